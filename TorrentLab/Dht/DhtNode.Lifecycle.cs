using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    private UdpDatagramSocket? _socket;
    private CancellationTokenSource? _maintenanceStop;
    private Task _maintenance = Task.CompletedTask;
    private IReadOnlyList<IPEndPoint> _bootstrap = [];

    /// <summary>The join started by <see cref="StartAsync"/>: complete once the first lookup of our own id ended.
    /// Nothing waits for it: lookups started earlier also ask the bootstrap nodes directly.</summary>
    public Task Bootstrapped { get; private set; } = Task.CompletedTask;

    /// <summary>Starts a node on a UDP socket of its own, starts joining the DHT through the saved nodes and the
    /// bootstrap nodes (<see cref="Bootstrapped"/>; the call does not wait for it), and keeps its table fresh until
    /// disposed (which saves the table).</summary>
    /// <exception cref="DhtException">A bootstrap address that cannot be resolved or is refused in loopback-only mode.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The UDP port cannot be bound.</exception>
    public static async Task<DhtNode> StartAsync(DhtNodeOptions options, CancellationToken ct = default)
    {
        var bootstrap = await ResolveAsync(options.Network, options.Bootstrap, options.LoopbackOnly, ct).ConfigureAwait(false);
        var socket = new UdpDatagramSocket(options.Network, options.LocalEndPoint);
        var node = new DhtNode(options, socket) { _socket = socket };
        socket.Start(node.Receive);
        node.Join(bootstrap);
        return node;
    }

    /// <summary>For a node over a shared socket, once that socket hands it datagrams: starts joining the DHT through the
    /// saved nodes and <paramref name="bootstrap"/> (those of the node's family; <see cref="Bootstrapped"/>; not waited
    /// for) and keeps the table fresh until disposed (which saves the table).</summary>
    /// <exception cref="InvalidOperationException">The node has already joined.</exception>
    public void Join(IReadOnlyList<IPEndPoint> bootstrap)
    {
        if (_maintenanceStop is not null) throw new InvalidOperationException("the DHT node has already joined");
        _bootstrap = [.. bootstrap.Where(e => FamilyOf(e) == Family)]; // BEP 32: each DHT is joined over its own family
        StartMaintenance();
        Bootstrapped = BootstrapAsync(_bootstrap, _maintenanceStop!.Token)
            .ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Joins the DHT: a find_node lookup of our own id from the saved nodes and <paramref name="bootstrap"/>
    /// (BEP 5: "Upon inserting the first node into its routing table and when starting up thereafter, the node should
    /// attempt to find the closest nodes in the DHT to itself."), then one lookup inside each bucket farther out
    /// (Kademlia's join: "u refreshes all k-buckets further away than its closest neighbor"). Returns the nodes in
    /// the table afterwards.</summary>
    /// <remarks>The lookup of our own id meets about one node per farther bucket on its way in; without the refresh
    /// those buckets stay nearly empty until their 15-minute refresh, and a lookup of a target in the far half of the
    /// id space starts from our own neighbourhood and can end there (bench/sim/run.sh dht: 3,000 nodes, 4 % of lookups
    /// lost so before this).</remarks>
    public async Task<int> BootstrapAsync(IEnumerable<IPEndPoint> bootstrap, CancellationToken ct = default)
    {
        var lookup = new DhtLookup(this, Id, getPeers: false);
        foreach (var saved in SavedNodes) lookup.Seed(saved.EndPoint, saved.Id);
        foreach (var learned in Learned) lookup.Seed(learned.EndPoint, learned.Id);
        foreach (var endPoint in bootstrap) lookup.Seed(endPoint, null);
        var result = await lookup.RunAsync(null, null, ct).ConfigureAwait(false);
        var queries = result.Queries;
        if (NodeCount > 0)
        {
            List<NodeId> farther;
            lock (_tableLock) farther = _table.FartherTargets(_random);
            var refreshed = await Task.WhenAll(farther.Select(t => StartLookup(t, getPeers: false).RunAsync(null, null, ct))).ConfigureAwait(false);
            queries += refreshed.Sum(r => r.Queries);
        }
        _options.Log?.Invoke($"bootstrap: {queries} queries, {NodeCount} nodes in the routing table");
        return NodeCount;
    }

    /// <summary>The peers of <paramref name="infoHash"/>, yielded as the lookup's answers arrive (BEP 5 get_peers); on a
    /// dual-stack host, from the IPv4 and the IPv6 DHT at once (BEP 32).</summary>
    public IAsyncEnumerable<IPEndPoint> GetPeersAsync(InfoHash infoHash, CancellationToken ct = default) =>
        GetPeersAsync(ToNodeId(infoHash), null, ct);

    /// <summary>Like <see cref="GetPeersAsync(InfoHash, CancellationToken)"/>, reporting every hop to <paramref name="onHop"/>.</summary>
    public async IAsyncEnumerable<IPEndPoint> GetPeersAsync(NodeId infoHash, Action<LookupHop>? onHop,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var found = Channel.CreateUnbounded<IPEndPoint>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Right after the join started, wait for it a moment (one query's time at most), so the lookup starts from a
        // table of nodes rather than from the bootstrap node alone.
        var joins = BothFamilies.Select(n => n.Bootstrapped).Where(t => !t.IsCompleted).ToList();
        if (joins.Count > 0) await Task.WhenAny(Task.WhenAll(joins), Task.Delay(_options.QueryTimeout, _options.Clock, ct)).ConfigureAwait(false);
        var lookups = BothFamilies.Select(n => n.StartLookup(infoHash, getPeers: true)).ToList();
        // Peers other nodes announced to this node (and to the sibling) are peers of the torrent too (each yielded once).
        foreach (var (node, lookup) in BothFamilies.Zip(lookups))
            foreach (var stored in node._peers.Get(infoHash, PeerStore.MaxPeersPerTorrent))
                if (lookup.AddPeer(stored)) found.Writer.TryWrite(stored);
        // A caller that stops reading early (it has enough peers) ends the lookups too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = Task.Run(async () =>
        {
            try { await Task.WhenAll(lookups.Select(l => l.RunAsync(p => found.Writer.TryWrite(p), onHop, stop.Token))).ConfigureAwait(false); }
            finally { found.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            await foreach (var peer in found.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return peer;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await running.ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        }
    }

    /// <summary>Finds the nodes closest to <paramref name="infoHash"/> with get_peers and announces our peer to each
    /// that gave a token (BEP 5 announce_peer); on a dual-stack host in both DHTs, so IPv6 nodes store our IPv6 address
    /// (BEP 32). Returns how many accepted the announce.</summary>
    /// <param name="infoHash">The torrent.</param>
    /// <param name="port">The TCP port our peer listens on.</param>
    /// <param name="impliedPort">Ask the nodes to use the UDP source port instead (BEP 5 implied_port, for NATs).</param>
    /// <param name="ct">Stops the lookup and the announces.</param>
    public async Task<int> AnnounceAsync(InfoHash infoHash, int port, bool impliedPort = false, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var accepted = await Task.WhenAll(BothFamilies.Select(n => n.AnnounceInOwnDhtAsync(ToNodeId(infoHash), port, impliedPort, ct))).ConfigureAwait(false);
        return accepted.Sum();
    }

    private async Task<int> AnnounceInOwnDhtAsync(NodeId target, int port, bool impliedPort, CancellationToken ct)
    {
        var result = await StartLookup(target, getPeers: true).RunAsync(null, null, ct).ConfigureAwait(false);
        // BEP 5: "the queried node must verify that the token was previously sent to the same IP address": each
        // announce carries the token that very node gave us.
        var announces = result.Closest.Where(c => c.Token is not null).Select(async c =>
        {
            var query = new KrpcQuery([], KrpcMethods.AnnouncePeer, Id) { InfoHash = target, Port = port, ImpliedPort = impliedPort, Token = c.Token };
            try
            {
                await QueryAsync(c.Node.EndPoint, query, ct).ConfigureAwait(false);
                return true;
            }
            catch (DhtException) { return false; }
        });
        return (await Task.WhenAll(announces).ConfigureAwait(false)).Count(ok => ok);
    }

    /// <summary>A lookup seeded from the routing table's closest nodes, and while the table is small also from the
    /// saved nodes and the bootstrap nodes, so a lookup started right after <see cref="StartAsync"/> need not wait.</summary>
    internal DhtLookup StartLookup(NodeId target, bool getPeers, KrpcQuery? query = null, Action<KrpcResponse, IPEndPoint>? onResponse = null)
    {
        var lookup = new DhtLookup(this, target, getPeers, query) { OnResponse = onResponse };
        List<NodeContact> closest;
        lock (_tableLock) closest = _table.Closest(target, RoutingTable.K * 2);
        foreach (var contact in closest) lookup.Seed(contact.EndPoint, contact.Id);
        if (closest.Count >= RoutingTable.K) return lookup;
        foreach (var contact in SavedNodes) lookup.Seed(contact.EndPoint, contact.Id);
        foreach (var contact in Learned) lookup.Seed(contact.EndPoint, contact.Id);
        foreach (var endPoint in _bootstrap) lookup.Seed(endPoint, null);
        return lookup;
    }

    /// <summary>The routing table as a state file holds it: our id and the nodes not known to be bad (BEP 32: an IPv6
    /// node's id and address go to <c>id6</c> and <c>address6</c>).</summary>
    internal DhtState Snapshot()
    {
        lock (_tableLock)
        {
            var now = _options.Clock.GetUtcNow();
            var nodes = _table.Entries.Where(e => e.StatusAt(now) != NodeStatus.Bad).OrderByDescending(e => e.LastSeen)
                .Take(DhtState.MaxNodes).Select(e => new DhtStateNode(e.Contact.Id.Hex, e.Contact.EndPoint.ToString())).ToList();
            var address = ExternalAddress is { } a && !SecureNodeId.IsExempt(a) ? a.ToString() : null;
            return Family == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? new DhtState(Id.Hex, nodes) { Id6 = Id.Hex, Address6 = address }
                : new DhtState(Id.Hex, nodes) { Address = address };
        }
    }

    /// <summary>Saves the routing table to <see cref="DhtNodeOptions.StatePath"/> (nothing when it is null), keeping
    /// what the file holds of the other family's table.</summary>
    public void Save()
    {
        if (_options.StatePath is { } path) DhtState.SaveFamily(path, Family, Snapshot(), _options.Log);
    }

    private void StartMaintenance()
    {
        _maintenanceStop = new CancellationTokenSource();
        _maintenance = MaintainAsync(_maintenanceStop.Token);
    }

    /// <summary>BEP 5 upkeep, every <see cref="DhtNodeOptions.MaintenanceInterval"/>: refresh buckets unchanged for 15
    /// minutes, ping questionable nodes whose slot a newcomer waits for, expire stored peers.</summary>
    private async Task MaintainAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.MaintenanceInterval, _options.Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) await MaintainOnceAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
    }

    internal async Task MaintainOnceAsync(CancellationToken ct)
    {
        List<NodeId> targets;
        List<NodeContact> toPing;
        bool alone;
        lock (_tableLock)
        {
            targets = _table.RefreshTargets(_random);
            toPing = _table.ToPing();
            alone = _table.Closest(Id, 1).Count == 0;
        }
        // A join that found no one (the bootstrap node was busy, or our queries or its answers were lost) is tried again
        // each round, as libtorrent looks up its own id again while its table is shallow: nothing else would ever fill
        // a table no other node knows of.
        if (alone && Bootstrapped.IsCompleted && (_bootstrap.Count > 0 || SavedNodes.Count > 0))
        {
            await BootstrapAsync(_bootstrap, ct).ConfigureAwait(false);
        }
        else
        {
            foreach (var contact in toPing)
            {
                try { await PingAsync(contact.EndPoint, ct).ConfigureAwait(false); }
                catch (DhtException) { NoteFailure(contact.Id); }
            }
            foreach (var target in targets) await StartLookup(target, getPeers: false).RunAsync(null, null, ct).ConfigureAwait(false);
        }
        _peers.Expire();
        _itemExchange.Store.Expire();
    }

    /// <summary>Resolves <c>HOST:PORT</c> bootstrap names (<c>[v6]:PORT</c> for an IPv6 literal) to IPv4 and IPv6
    /// addresses; each node joins through those of its family.</summary>
    /// <exception cref="DhtException">Not HOST:PORT, a name that does not resolve, or a non-loopback host in loopback-only mode.</exception>
    public static Task<List<IPEndPoint>> ResolveAsync(IEnumerable<string> names, bool loopbackOnly, CancellationToken ct = default) =>
        ResolveAsync(SystemNetwork.Instance, names, loopbackOnly, ct);

    /// <summary>As <see cref="ResolveAsync(IEnumerable{string}, bool, CancellationToken)"/>, with the names of
    /// <paramref name="network"/>.</summary>
    internal static async Task<List<IPEndPoint>> ResolveAsync(INetwork network, IEnumerable<string> names, bool loopbackOnly, CancellationToken ct = default)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (var name in names)
        {
            if (IPEndPoint.TryParse(name, out var literal) && literal.Port > 0)
            {
                if (loopbackOnly && !IPAddress.IsLoopback(literal.Address))
                    throw new DhtException($"bootstrap node {name} is not a loopback address, and this node is loopback-only");
                endPoints.Add(literal);
                continue;
            }
            var colon = name.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(name.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
                throw new DhtException($"bootstrap node '{name}' is not HOST:PORT with a port in 1..65535");
            var host = name[..colon];
            // Loopback-only nodes never ask DNS about a public host: only "localhost" resolves.
            if (loopbackOnly && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                throw new DhtException($"bootstrap node {name} is not a loopback address, and this node is loopback-only");
            IPAddress[] addresses;
            try
            {
                addresses = await network.ResolveAsync(host, ct).ConfigureAwait(false);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new DhtException($"bootstrap node {name} cannot be resolved: {e.Message}", e);
            }
            // A name is resolved by whoever runs DNS: what it gives passes the same policy as any address from the network.
            endPoints.AddRange(addresses.Where(a => Tracker.PeerAddressPolicy.MayUse(a)).Select(a => new IPEndPoint(a, port)));
        }
        return endPoints;
    }

    /// <summary>Stops the maintenance and the socket of its own, then saves the routing table.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_maintenanceStop is not null)
        {
            await _maintenanceStop.CancelAsync().ConfigureAwait(false);
            try { await _maintenance.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            await Bootstrapped.ConfigureAwait(false); // ends at once: it shares the maintenance token
            _maintenanceStop.Dispose();
        }
        if (_socket is not null) await _socket.DisposeAsync().ConfigureAwait(false);
        try
        {
            Save();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.Log?.Invoke($"could not save the DHT state to {_options.StatePath}: {e.Message}");
        }
    }
}
