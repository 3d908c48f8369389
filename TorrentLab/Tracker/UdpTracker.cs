using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using TorrentLab.Metainfo;
using TorrentLab.Network;
using TorrentLab.Proxy;

namespace TorrentLab.Tracker;

/// <summary>A UDP tracker (BEP 15): connect once a minute, then announce or scrape, retransmitting on silence.</summary>
/// <remarks>Through a SOCKS5 proxy, a tracker named by a host name is never resolved here: each datagram carries the
/// name to the proxy's relay (RFC 1928 7, ATYP X'03'), which resolves it, and the answer is known by its transaction id
/// alone (the relay names the address it came from, which we never looked up).</remarks>
internal sealed class UdpTracker : ITrackerTransport, IDisposable
{
    // BEP 15: "A client can use a connection ID until one minute after it has received it."
    private static readonly TimeSpan ConnectionIdLifetime = TimeSpan.FromMinutes(1);

    private readonly TrackerClientOptions _options;
    private readonly string _host;
    private readonly string _name; // the host as DNS spells it (an IDN in punycode): what a proxy is given
    private readonly int _port;
    private readonly SemaphoreSlim _gate = new(1, 1); // one exchange at a time: the connection id is shared state
    private Port? _socket; // kept between exchanges: the tracker ties the connection id to our address and port
    private long _connectionId;
    private long _connectedAt = long.MinValue; // timestamp (of the options' clock) of the last connect response

    public UdpTracker(string url, TrackerClientOptions options)
    {
        Url = url;
        _options = options;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port <= 0)
            throw new TrackerException($"invalid UDP tracker URL '{url}': expected udp://host:port/...");
        _host = uri.DnsSafeHost; // without the brackets of an IPv6 literal
        _name = uri.IdnHost;
        _port = uri.Port;
    }

    public string Url { get; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct)
    {
        var reply = await ExchangeAsync(
            (connectionId, transactionId) => UdpTrackerMessages.AnnounceRequest(connectionId, transactionId, request),
            UdpTrackerMessages.ActionAnnounce, ct).ConfigureAwait(false);
        return UdpTrackerMessages.ReadAnnounceResponse(reply.Datagram, reply.Family);
    }

    public async Task<ScrapeResult> ScrapeAsync(InfoHash infoHash, CancellationToken ct)
    {
        var reply = await ExchangeAsync(
            (connectionId, transactionId) => UdpTrackerMessages.ScrapeRequest(connectionId, transactionId, [infoHash]),
            UdpTrackerMessages.ActionScrape, ct).ConfigureAwait(false);
        return UdpTrackerMessages.ReadScrapeResponse(reply.Datagram, 1)[0];
    }

    private readonly record struct Reply(byte[] Datagram, AddressFamily Family);

    /// <summary>Connects when the connection id is missing or stale, then sends the request; both steps retransmit
    /// along one shared schedule, so the whole exchange is bounded by the schedule's total.</summary>
    private async Task<Reply> ExchangeAsync(Func<long, int, byte[]> build, int action, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var remote = await ResolveAsync(ct).ConfigureAwait(false);
            var socket = SocketFor(remote.Address ?? await ProxyEndPointAsync(ct).ConfigureAwait(false));
            var schedule = _options.UdpRetransmitSchedule;
            for (var attempt = 0; attempt < schedule.Count; attempt++)
            {
                if (_connectedAt == long.MinValue || _options.Time.GetElapsedTime(_connectedAt) >= ConnectionIdLifetime)
                {
                    var connected = await SendAndWaitAsync(socket, remote, UdpTrackerMessages.ConnectRequest,
                        UdpTrackerMessages.ActionConnect, schedule[attempt], _options.Time, ct).ConfigureAwait(false);
                    if (connected is null) continue; // silence: retransmit with the next, longer wait
                    _connectionId = UdpTrackerMessages.ReadConnectResponse(connected.Value.Datagram);
                    _connectedAt = _options.Time.GetTimestamp();
                }
                var connectionId = _connectionId;
                var answer = await SendAndWaitAsync(socket, remote, transactionId => build(connectionId, transactionId),
                    action, schedule[attempt], _options.Time, ct).ConfigureAwait(false);
                if (answer is { } got) return new Reply(got.Datagram, got.From.AddressFamily);
            }
            var total = schedule.Aggregate(TimeSpan.Zero, (sum, wait) => sum + wait);
            throw new TrackerException($"no answer from {remote} after {schedule.Count} attempt(s) over {total.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            _socket?.Dispose();
            _socket = null;
            throw new TrackerException($"cannot reach {_host}:{_port}: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Our UDP port for this tracker and the datagrams it received, waiting to be read (the oldest are
    /// dropped beyond <see cref="Waiting"/>: a flood of strays cannot fill memory).</summary>
    private sealed class Port : IDisposable
    {
        private const int Waiting = 64;

        public Port(INetwork network, IPEndPoint local)
        {
            Udp = network.BindUdp(local, new UdpPortOptions()); // 64 KiB: the largest UDP datagram
            var received = Channel.CreateBounded<(byte[], IPEndPoint)>(new BoundedChannelOptions(Waiting)
            {
                FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true,
            });
            Received = received.Reader;
            Udp.Start((datagram, from) => received.Writer.TryWrite((datagram.ToArray(), from)));
        }

        public IUdpPort Udp { get; }

        public ChannelReader<(byte[] Datagram, IPEndPoint From)> Received { get; }

        public void Dispose() => Udp.Dispose();
    }

    /// <summary>Sends one request and waits up to <paramref name="wait"/> for its answer and its sender; null on silence.</summary>
    /// <remarks>BEP 15: the client must check that the transaction id matches. Datagrams from any other address (when
    /// the tracker's address is known), too short, or with another transaction id are not the answer and are ignored.</remarks>
    private static async Task<(byte[] Datagram, IPEndPoint From)?> SendAndWaitAsync(Port socket, Remote remote, Func<int, byte[]> build,
        int expectedAction, TimeSpan wait, TimeProvider time, CancellationToken ct)
    {
        var transactionId = Randomness.SecretInt32(int.MinValue, int.MaxValue);
        remote.Send(socket.Udp, build(transactionId));
        using var limit = new Deadline(wait, time, ct);
        for (var ignored = 0; ignored < 1000; ignored++) // bounded: a flood of stray datagrams cannot hold us forever
        {
            (byte[] Datagram, IPEndPoint From) received;
            try
            {
                received = await socket.Received.ReadAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
            var datagram = received.Datagram.AsSpan();
            if (remote.Address is { } address && !address.Equals(received.From)) continue;
            if (!UdpTrackerMessages.TryReadResponseHeader(datagram, out var action, out var tid) || tid != transactionId) continue;
            if (action == UdpTrackerMessages.ActionError)
            {
                var message = UdpTrackerMessages.ReadErrorMessage(datagram);
                throw new TrackerException($"failure reason: {message}") { FailureReason = message };
            }
            if (action != expectedAction)
                throw new TrackerException($"expected action {expectedAction} in the answer, got {action}");
            return (datagram.ToArray(), received.From);
        }
        throw new TrackerException("too many stray datagrams while waiting for the tracker's answer");
    }

    /// <summary>Where the tracker is: its address, or (through a proxy) its name, which the proxy's relay resolves.</summary>
    private readonly record struct Remote(IPEndPoint? Address, string? Name, int Port)
    {
        public void Send(IUdpPort port, byte[] datagram)
        {
            if (Address is { } address) port.Send(datagram, address);
            else ((Socks5UdpPort)port).Send(datagram, Name!, Port);
        }

        public override string ToString() => Address?.ToString() ?? $"{Name}:{Port} (through the proxy)";
    }

    /// <summary>Our port for datagrams to <paramref name="remote"/>: the tracker's address, or the proxy's when the
    /// tracker is named through it (the port beneath talks to the proxy's relay).</summary>
    private Port SocketFor(IPEndPoint remote)
    {
        if (_socket is not null && _socket.Udp.LocalEndPoint.AddressFamily == remote.AddressFamily) return _socket;
        _socket?.Dispose();
        _socket = null;
        _connectedAt = long.MinValue; // a new local port needs a new connection id
        var v6 = remote.AddressFamily == AddressFamily.InterNetworkV6;
        // A loopback tracker is reached from a loopback socket: nothing listens on other interfaces.
        var local = IPAddress.IsLoopback(remote.Address) ? (v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback) : (v6 ? IPAddress.IPv6Any : IPAddress.Any);
        return _socket = new Port(_options.Dialer.Network, new IPEndPoint(local, 0));
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }

    /// <summary>The address to send to: IPv4 first, and only one the address policy allows (checked after DNS).</summary>
    private IPAddress Allowed(IPAddress[] addresses)
    {
        var allowed = addresses.Where(a => PeerAddressPolicy.MayUse(a)).ToList();
        return allowed.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? allowed.FirstOrDefault()
            ?? throw new TrackerException($"refusing host '{UntrustedText.Clean(_host, 64)}': it resolves to " +
                $"{string.Join(", ", addresses.Take(4).Select(a => a.ToString()))}, none of which may be dialled");
    }

    private async Task<Remote> ResolveAsync(CancellationToken ct)
    {
        if (IPAddress.TryParse(_host, out var literal)) return new Remote(new IPEndPoint(Allowed([literal]), _port), null, _port);
        // Through a proxy, a name is the proxy's to resolve (our resolver would tell the network which tracker we want);
        // the address policy then cannot see the address, which is the proxy's network's, not ours.
        if (_options.Dialer.Network is Socks5Network)
        {
            if (_name.Length > 255) throw new TrackerException($"the name '{UntrustedText.Clean(_name, 64)}...' is longer than the 255 bytes a SOCKS5 proxy is given");
            return new Remote(null, _name, _port);
        }
        try
        {
            var addresses = await _options.Dialer.Resolve(_host, ct).ConfigureAwait(false);
            if (addresses.Length == 0) throw new TrackerException($"cannot resolve '{_host}': no address");
            return new Remote(new IPEndPoint(Allowed(addresses), _port), null, _port);
        }
        catch (SocketException e)
        {
            throw new TrackerException($"cannot resolve '{_host}': {e.Message}", e);
        }
    }

    /// <summary>The proxy's address, which decides our local port's family and whether it is on loopback.</summary>
    private Task<IPEndPoint> ProxyEndPointAsync(CancellationToken ct) => ((Socks5Network)_options.Dialer.Network).EndPointAsync(ct);
}
