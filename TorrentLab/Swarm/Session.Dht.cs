using System.Net;
using System.Net.Sockets;
using TorrentLab.Dht;

namespace TorrentLab.Swarm;

// The session's one DHT node (BEP 5), on the UDP socket of the peer port ("the DHT listens on the port of the peer"),
// and the schedule of its per-torrent work: each public torrent is looked up with get_peers and announced with
// announce_peer in turn, a few at a time, so a session of thousands of torrents keeps BEP 5's manners toward other
// nodes. A DHT that cannot start (port taken, no bootstrap node resolves) only logs why. BEP 32: when the session also
// listens on an address of the other family (the default "::" is both), a second node serves that family's DHT on a
// UDP socket of its own with the same port number, paired with the first (DhtNode.CreateSibling): lookups and
// announces then run in the IPv4 and the IPv6 DHT at once.
internal sealed partial class Session
{
    /// <summary>Between lookups of a torrent still downloading with no peer connected: soon, so a trackerless
    /// torrent starts quickly.</summary>
    internal static readonly TimeSpan DhtRetry = TimeSpan.FromSeconds(20);

    /// <summary>Between lookups (and announces) otherwise: libtorrent's <c>dht_announce_interval</c>, well inside the
    /// half hour after which nodes forget a peer.</summary>
    internal static readonly TimeSpan DhtInterval = TimeSpan.FromMinutes(15);

    /// <summary>Lookups running at once, over all torrents.</summary>
    private const int MaxConcurrentLookups = 4;

    private readonly Lock _dhtLock = new();
    private readonly PriorityQueue<ISessionTorrent, DateTimeOffset> _dhtDue = new();
    private readonly SemaphoreSlim _dhtWake = new(0, 1);
    private UdpEndpoint? _udp;
    private UdpDatagramSocket? _udpOther;
    private DhtNode? _dht;
    private FileStream? _dhtStateLock;

    /// <summary>The DHT node, once it runs (null with the DHT off or before it started).</summary>
    internal DhtNode? Dht => Volatile.Read(ref _dht);

    private readonly TaskCompletionSource<DhtNode?> _dhtStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The DHT node once it has joined (its bootstrap names resolved), or null when it does not run: off,
    /// no UDP port, or the session stopped first. A magnet link's lookup in the session waits for it.</summary>
    internal Task<DhtNode?> DhtStarted => _dhtStarted.Task;

    /// <summary>The UDP address the DHT listens on (null when it does not run).</summary>
    internal IPEndPoint? DhtEndPoint => _udp?.LocalEndPoint;

    private void StartDht()
    {
        if (!Settings.Dht)
        {
            _dhtStarted.TrySetResult(null);
            return;
        }
        if (Utp is not { } socket)
        {
            Settings.Log?.Invoke($"dht: off, UDP port {Port} could not be bound");
            _dhtStarted.TrySetResult(null);
            return;
        }
        _udp = UdpEndpoint.Over(socket);
        _udpOther = BindOtherFamily(socket.LocalEndPoint);
        _tasks.Add(RunDhtAsync(_udp, _stop.Token));
    }

    /// <summary>The UDP socket for the DHT of the family the peer port's UDP socket is not (BEP 32), on the same port
    /// number and the first listen address of that family; null when the session listens on none, or it is taken.</summary>
    private UdpDatagramSocket? BindOtherFamily(IPEndPoint primary)
    {
        var family = DhtNode.FamilyOf(primary) == AddressFamily.InterNetworkV6 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (family == AddressFamily.InterNetworkV6 && !Settings.Network.SupportsIPv6) return null;
        if (EndPoints.FirstOrDefault(e => DhtNode.FamilyOf(e) == family) is not { } at) return null;
        try
        {
            return new UdpDatagramSocket(Settings.Network, new IPEndPoint(at.Address, primary.Port));
        }
        catch (SocketException e)
        {
            Settings.Log?.Invoke($"dht: no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} DHT, UDP {at.Address} port {primary.Port} could not be bound ({e.SocketErrorCode})");
            return null;
        }
    }

    /// <summary>Looks <paramref name="swarm"/> up now, then on its schedule until it detaches.</summary>
    private void ScheduleDht(ISessionTorrent swarm)
    {
        if (!Settings.Dht) return;
        lock (_dhtLock) _dhtDue.Enqueue(swarm, DateTimeOffset.MinValue);
        WakeDht();
    }

    private void WakeDht()
    {
        try { _dhtWake.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task RunDhtAsync(UdpEndpoint udp, CancellationToken ct)
    {
        var options = new DhtNodeOptions
        {
            Bootstrap = Settings.DhtBootstrap, StatePath = LockStatePath(Settings.DhtStatePath), LocalEndPoint = udp.LocalEndPoint,
            Log = Settings.LoggerFactory is null ? Settings.Log : Settings.Lines(EngineLog.Dht), // its own category
            Network = Settings.Network, Clock = Settings.Time,
        };
        try
        {
            var bootstrap = await ResolveBootstrapAsync(options, ct).ConfigureAwait(false);
            var node = new DhtNode(options, udp);
            udp.Krpc = node.Receive;
            node.Join(bootstrap);
            if (_udpOther is { } other)
            {
                var sibling = node.CreateSibling(options with { LocalEndPoint = other.LocalEndPoint }, other);
                other.Start(sibling.Receive);
                sibling.Join(bootstrap);
                Settings.Log?.Invoke($"dht: node {sibling.Id.Hex[..8]}.. on UDP {other.LocalEndPoint} ({sibling.SavedNodeCount} saved nodes) for the {(sibling.Family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} DHT");
            }
            Volatile.Write(ref _dht, node);
            if (RouterAddress is { } external) node.NoteRouterAddress(external); // mapped before the node started
            _dhtStarted.TrySetResult(node);
            Settings.Log?.Invoke($"dht: node {node.Id.Hex[..8]}.. on UDP {udp.LocalEndPoint}, {node.SavedNodeCount} saved nodes, {bootstrap.Count} bootstrap nodes");
            var running = new List<Task>();
            while (!ct.IsCancellationRequested)
            {
                running.RemoveAll(t => t.IsCompleted);
                var (next, wait) = NextDue(running.Count < MaxConcurrentLookups);
                if (next is not null)
                {
                    running.Add(LookUpAsync(node, next, ct));
                    continue;
                }
                // Woken by a torrent attached or a lookup ended, else at the next torrent's time: an idle session
                // sleeps until a torrent is due.
                var delay = wait is { } until && until > TimeSpan.Zero ? until : Timeout.InfiniteTimeSpan;
                await Deadline.WaitAsync(_dhtWake, delay, Settings.Time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally { _dhtStarted.TrySetResult(null); }
    }

    /// <summary>The torrent due now, if a lookup may start; else how long until the next one is due.</summary>
    private (ISessionTorrent? Swarm, TimeSpan? Wait) NextDue(bool mayStart)
    {
        lock (_dhtLock)
        {
            while (_dhtDue.TryPeek(out var swarm, out var due))
            {
                if (!swarm.IsAttached) { _dhtDue.Dequeue(); continue; }
                var wait = due - Settings.Time.GetUtcNow();
                if (wait > TimeSpan.Zero || !mayStart) return (null, wait);
                _dhtDue.Dequeue();
                return (swarm, null);
            }
            return (null, null);
        }
    }

    /// <summary>One get_peers lookup for the torrent (its peers go to its peer book), then announce_peer to the
    /// closest nodes that answered; then the torrent waits for its next turn.</summary>
    private async Task LookUpAsync(DhtNode node, ISessionTorrent swarm, CancellationToken ct)
    {
        try
        {
            var found = 0;
            await foreach (var peer in node.GetPeersAsync(swarm.Torrent.InfoHash, ct).ConfigureAwait(false))
                if (swarm.OnDhtPeer(peer)) found++;
            var announced = await node.AnnounceAsync(swarm.Torrent.InfoHash, AnnouncedPort, ct: ct).ConfigureAwait(false);
            swarm.Log($"dht: {found} new peer(s), announced to {announced} node(s), {node.NodeCount + (node.Sibling?.NodeCount ?? 0)} nodes in the table(s)");
            swarm.Events?.DhtLookedUp(found, null);
        }
        catch (DhtException e)
        {
            swarm.Log($"dht: lookup failed: {e.Message}");
            swarm.Events?.DhtLookedUp(0, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        var after = swarm.WantsPeersSoon ? DhtRetry : DhtInterval;
        if (swarm.IsAttached)
            lock (_dhtLock) _dhtDue.Enqueue(swarm, Settings.Time.GetUtcNow() + after);
        WakeDht();
    }

    /// <summary>The state file, when no other running session holds it: a second session on the same file would
    /// join the DHT with the same node id on another port, so it starts with a fresh id and saves nothing.</summary>
    private string? LockStatePath(string? path)
    {
        if (path is null) return null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _dhtStateLock = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Settings.Log?.Invoke($"dht: '{path}' is in use by another session (or cannot be written): this one takes a fresh node id and saves none");
            return null;
        }
    }

    /// <summary>The bootstrap nodes that resolve; each one that does not is logged and skipped (a DHT with only its
    /// saved table, or no node at all, is still a correct start).</summary>
    private async Task<List<IPEndPoint>> ResolveBootstrapAsync(DhtNodeOptions options, CancellationToken ct)
    {
        var resolved = new List<IPEndPoint>();
        foreach (var name in options.Bootstrap)
        {
            try { resolved.AddRange(await DhtNode.ResolveAsync(options.Network, [name], options.LoopbackOnly, ct).ConfigureAwait(false)); }
            catch (DhtException e) { Settings.Log?.Invoke($"dht: skipping bootstrap node: {e.Message}"); }
        }
        return resolved;
    }

    /// <summary>Stops the nodes (which save their routing tables), then lets go of the state file and the UDP side.</summary>
    private async Task StopDhtAsync()
    {
        if (Volatile.Read(ref _dht) is { } node)
        {
            if (node.Sibling is { } sibling) await sibling.DisposeAsync().ConfigureAwait(false);
            await node.DisposeAsync().ConfigureAwait(false);
        }
        if (_udpOther is not null) await _udpOther.DisposeAsync().ConfigureAwait(false);
        _dhtStateLock?.Dispose();
        if (_udp is not null) await _udp.DisposeAsync().ConfigureAwait(false);
    }
}
