using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TorrentLab.Metainfo;

namespace TorrentLab.Tracker.Server;

/// <summary>An in-memory BitTorrent tracker: HTTP announce and scrape on Kestrel, and BEP 15 UDP on the same port.</summary>
/// <remarks>Start with <see cref="StartAsync"/>; stop with <see cref="DisposeAsync"/>. Port 0 picks a free port
/// that is free for both TCP and UDP.</remarks>
public sealed class TrackerServer : IAsyncDisposable
{
    private const int PortAttempts = 20; // port 0: a free UDP port may be taken for TCP; try another, a bounded number of times

    private readonly WebApplication _web;
    private readonly Socket _udp;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TrackedSwarm _swarm;
    private Task _udpLoop = Task.CompletedTask;

    private TrackerServer(WebApplication web, Socket udp, TrackedSwarm swarm, TrackerServerOptions options)
    {
        _web = web;
        _udp = udp;
        _swarm = swarm;
        Options = options;
        Port = ((IPEndPoint)udp.LocalEndPoint!).Port;
    }

    /// <summary>The options the server runs with.</summary>
    public TrackerServerOptions Options { get; }

    /// <summary>The port HTTP and UDP listen on (the chosen one when started with port 0).</summary>
    public int Port { get; }

    /// <summary>The faults to play on the next or every request (tests script tracker misbehaviour with it).</summary>
    public TrackerFaults Faults { get; } = new();

    /// <summary><c>http://HOST:PORT/announce</c>.</summary>
    public string HttpAnnounceUrl => $"http://{HostText}:{Port}/announce";

    /// <summary><c>http://HOST:PORT/scrape</c>.</summary>
    public string HttpScrapeUrl => $"http://{HostText}:{Port}/scrape";

    /// <summary><c>udp://HOST:PORT/announce</c>.</summary>
    public string UdpAnnounceUrl => $"udp://{HostText}:{Port}/announce";

    private string HostText => Options.Host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Options.Host}]" : Options.Host.ToString();

    /// <summary>What the tracker knows about one torrent now: peers, seeders, leechers, completed downloads.</summary>
    public SwarmSnapshot GetSwarm(InfoHash infoHash) => _swarm.Snapshot(infoHash);

    /// <summary>Every torrent the tracker has seen an announce for.</summary>
    public IReadOnlyList<InfoHash> InfoHashes => _swarm.InfoHashes;

    /// <summary>Binds HTTP and UDP on <see cref="TrackerServerOptions.Host"/> and starts answering.</summary>
    /// <exception cref="IOException">The port is taken (for a fixed port), or no free port was found.</exception>
    public static async Task<TrackerServer> StartAsync(TrackerServerOptions options, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var udp = new Socket(options.Host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(options.Host, options.Port));
                var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
                var swarm = new TrackedSwarm(options.Interval, options.Time, options.ShufflePeers);
                var web = BuildWeb(options, port);
                var server = new TrackerServer(web, udp, swarm, options);
                var http = new HttpTrackerEndpoint(options, swarm, server.Faults);
                web.Run(http.HandleAsync);
                try
                {
                    await web.StartAsync(ct).ConfigureAwait(false);
                }
                catch (IOException) when (options.Port == 0 && attempt < PortAttempts)
                {
                    await web.DisposeAsync().ConfigureAwait(false);
                    udp.Dispose();
                    continue; // the TCP side of this port number is taken; pick another number
                }
                catch
                {
                    await web.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                var endpoint = new UdpTrackerEndpoint(udp, options, swarm, server.Faults);
                server._udpLoop = endpoint.RunAsync(Environment.ProcessorCount, server._stopping.Token); // a receive loop per core
                return server;
            }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    // Kestrel only: no configuration files, no logging providers, no console lifetime messages.
    private static WebApplication BuildWeb(TrackerServerOptions options, int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            // Tracker clients are not browsers: libtorrent's "Host: ::1:PORT" is repaired, not refused (HostHeaderRepair.cs).
            kestrel.Listen(options.Host, port, listen => listen.Use(HostHeaderRepair.Middleware));
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // The embedding program owns Ctrl-C and SIGTERM (the CLI cancels its token; tests dispose the server).
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        return builder.Build();
    }

    /// <summary>Stops HTTP and UDP and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _web.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _web.DisposeAsync().ConfigureAwait(false);
            _udp.Dispose();
            try
            {
                await _udpLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException) { } // the loop ends by cancellation
            catch (ObjectDisposedException) { } // or by its socket closing under it
            _stopping.Dispose();
        }
    }

    /// <summary>A host lifetime that leaves process signals alone: the server stops when disposed, not on Ctrl-C.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
