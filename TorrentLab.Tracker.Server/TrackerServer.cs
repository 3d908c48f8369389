using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Tracker.Server;

/// <summary>An in-memory BitTorrent tracker: HTTP announce and scrape, and BEP 15 UDP on the same port.</summary>
/// <remarks>Start with <see cref="StartAsync"/>; stop with <see cref="DisposeAsync"/>. Port 0 picks a free port
/// that is free for both TCP and UDP.</remarks>
public sealed class TrackerServer : IAsyncDisposable
{
    private const int MaxLogLine = 4096; // a scrape of 74 hashes (BEP 15's most in one datagram) logs 3,000 characters
    private const int PortAttempts = 20; // port 0: a free UDP port may be taken for TCP; try another, a bounded number of times

    private readonly HttpTrackerListener _http;
    private readonly IUdpPort _udp;
    private readonly UdpTrackerEndpoint _udpEndpoint;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TrackedSwarm _swarm;
    private readonly ITimer _sweep;
    private Task _httpLoop = Task.CompletedTask;

    private TrackerServer(HttpTrackerListener http, IUdpPort udp, UdpTrackerEndpoint udpEndpoint, TrackedSwarm swarm,
        TrackerServerOptions options, TrackerFaults faults)
    {
        Faults = faults;
        _http = http;
        _udp = udp;
        _udpEndpoint = udpEndpoint;
        _swarm = swarm;
        Options = options;
        // Forget silent peers and empty torrents even where nobody asks again: 8 sweeps per peer timeout, 1 s to 1 min apart.
        var every = TimeSpan.FromTicks(Math.Clamp(options.EffectivePeerTimeout.Ticks / 8, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweep = options.Time.CreateTimer(_ => swarm.Sweep(), null, every, every);
        Port = udp.LocalEndPoint.Port;
    }

    /// <summary>The options the server runs with.</summary>
    public TrackerServerOptions Options { get; }

    /// <summary>The port HTTP and UDP listen on (the chosen one when started with port 0).</summary>
    public int Port { get; }

    /// <summary>The faults to play on the next or every request (tests script tracker misbehaviour with it).</summary>
    public TrackerFaults Faults { get; }

    /// <summary><c>http://HOST:PORT/announce</c>.</summary>
    public string HttpAnnounceUrl => $"http://{HostText}:{Port}/announce";

    /// <summary><c>http://HOST:PORT/scrape</c>.</summary>
    public string HttpScrapeUrl => $"http://{HostText}:{Port}/scrape";

    /// <summary><c>udp://HOST:PORT/announce</c>.</summary>
    public string UdpAnnounceUrl => $"udp://{HostText}:{Port}/announce";

    private string HostText => Options.Host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Options.Host}]" : Options.Host.ToString();

    /// <summary>What the tracker knows about one torrent now: peers, seeders, leechers, completed downloads.</summary>
    public SwarmSnapshot GetSwarm(InfoHash infoHash) => _swarm.Snapshot(infoHash);

    /// <summary>How many torrents the tracker holds now, counted without forgetting any first (tests of its timer).</summary>
    internal int TorrentCount => _swarm.Count;

    /// <summary>Every torrent the tracker has a live peer for (a torrent whose last peer left is forgotten).</summary>
    public IReadOnlyList<InfoHash> InfoHashes => _swarm.InfoHashes;

    /// <summary>Binds HTTP and UDP on <see cref="TrackerServerOptions.Host"/> and starts answering.</summary>
    /// <exception cref="IOException">The port is taken (for a fixed port), or no free port was found.</exception>
    public static Task<TrackerServer> StartAsync(TrackerServerOptions options, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        // Every log line may carry what a client sent (an event=, a tracker id, a refused head): control characters
        // are escaped before a line leaves, so nothing can move a terminal's cursor or forge a line of its own.
        if (options.Log is { } log) options = options with { Log = line => log(UntrustedText.Clean(line, MaxLogLine)) };
        if (options.PeerTimeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), $"PeerTimeout must be positive, got {timeout}");
        if (options.MaxPeersPerTorrent < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxPeersPerTorrent must be at least 1, got {options.MaxPeersPerTorrent}");
        if (options.MaxTorrentsPerAddress < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxTorrentsPerAddress must be at least 1, got {options.MaxTorrentsPerAddress}");
        var network = options.Network;
        // On the kernel's network, a receive thread per core shares the UDP socket (the kernel hands each datagram to
        // one); 64 KiB: the largest UDP payload, so no request is cut.
        var udpOptions = new UdpPortOptions { MaxDatagram = UdpTrackerEndpoint.MaxDatagram, ReceiveThread = true, ReceiveThreads = Environment.ProcessorCount };
        for (var attempt = 1; ; attempt++)
        {
            IUdpPort? udp = null;
            ITcpListener tcp;
            try
            {
                udp = network.BindUdp(new IPEndPoint(options.Host, options.Port), udpOptions);
                // Only the TCP side may be rebound while its old connections linger in TIME_WAIT (SO_REUSEADDR does not
                // let two listeners share a TCP port on Linux; on UDP it would, so the UDP port does not ask for it).
                // 512: the kernel queues this many connections while the accept loop catches up.
                tcp = network.Listen(new IPEndPoint(options.Host, udp.LocalEndPoint.Port), backlog: 512, reuseAddress: true);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                udp?.Dispose();
                if (options.Port == 0 && attempt < PortAttempts) continue; // the TCP side of this number is taken: another
                throw new IOException($"cannot listen on {options.Host} port {options.Port}: {e.Message}", e);
            }
            catch
            {
                udp?.Dispose();
                throw;
            }
            var swarm = new TrackedSwarm(options.EffectivePeerTimeout, options.Time, options.ShufflePeers, options.MaxPeersPerTorrent,
                options.MaxTorrentsPerAddress);
            var faults = new TrackerFaults();
            var http = new HttpTrackerListener(tcp, new HttpTrackerEndpoint(options, swarm, faults), options);
            var endpoint = new UdpTrackerEndpoint(udp, options, swarm, faults);
            var server = new TrackerServer(http, udp, endpoint, swarm, options, faults);
            server._httpLoop = http.RunAsync(server._stopping.Token);
            endpoint.Start();
            return Task.FromResult(server);
        }
    }

    /// <summary>Stops HTTP and UDP and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sweep.Dispose();
        await _http.DisposeAsync().ConfigureAwait(false);
        _udpEndpoint.Stop();
        _udp.Dispose();   // waits for the receive threads
        try
        {
            await _httpLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) { } // the loop ends by cancellation
        catch (ObjectDisposedException) { } // or by its listener closing under it
        _stopping.Dispose();
    }
}
