using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;

namespace TorrentLab.Dht;

/// <summary>A Mainline DHT node (BEP 5): it asks other nodes for peers and answers their queries, as a packet-in,
/// packet-out core over an <see cref="IDatagramSender"/>.</summary>
/// <remarks>Reading order: <see cref="KrpcCodec"/> (the messages), <see cref="RoutingTable"/> (whom we know),
/// <see cref="TransactionTable"/> (our queries and their transactions), <see cref="DhtLookup"/> (the iterative search),
/// <c>DhtNode.Serve.cs</c> (answering others), <c>DhtNode.Lifecycle.cs</c> (start, bootstrap, refresh, save).
/// <see cref="StartAsync"/> runs a node on a UDP socket of its own; a caller sharing one socket with other protocols
/// creates the node over its own sender and calls <see cref="Receive"/> with every datagram that starts with 'd'.</remarks>
public sealed partial class DhtNode : IAsyncDisposable
{
    /// <summary>BEP 5 lookups: "alpha" queries in flight at once (Kademlia's 3).</summary>
    public static int Alpha { get; } = 3;

    // BEP 5 "v": two letters for the client, two bytes of version.
    private static readonly byte[] ClientVersion = [(byte)'T', (byte)'L', 0, 1];

    private readonly DhtNodeOptions _options;
    private readonly IDatagramSender _sender;
    private readonly Lock _tableLock = new();
    private readonly RoutingTable _table;
    private readonly TokenIssuer _tokens;
    private readonly PeerStore _peers;
    private readonly QueryRateLimiter _limiter;
    private readonly Random _random = Randomness.NewRandom();

    /// <summary>Creates a node that sends through <paramref name="sender"/>; the caller feeds it with <see cref="Receive"/>.</summary>
    public DhtNode(DhtNodeOptions options, IDatagramSender sender) : this(options, sender, null) { }

    private DhtNode(DhtNodeOptions options, IDatagramSender sender, DhtNode? sibling)
    {
        _options = options;
        _sender = sender;
        Family = FamilyOf(options.LocalEndPoint);
        Sibling = sibling;
        var saved = DhtState.Load(options.StatePath, options.Log);
        Id = StartId(options, saved, Family, sibling?.Id);
        _externalAddress = new ExternalAddressVotes(Family, saved?.ExternalAddressOf(Family));
        _table = new RoutingTable(Id, options.Clock);
        _tokens = new TokenIssuer(options.Clock);
        _peers = new PeerStore(options.Clock);
        _itemExchange = new ItemExchange(this, _tokens);
        _limiter = new QueryRateLimiter(options.Clock);
        _transactions = new TransactionTable(options, Stats, Send, _roundTrips);
        SavedNodes = saved?.ContactsOf(Family) ?? [];
    }

    /// <summary>Our node id.</summary>
    public NodeId Id { get; }

    /// <summary>What the node received, answered and dropped so far.</summary>
    public DhtStats Stats { get; } = new();

    /// <summary>The UDP address the node listens on, when it runs on a socket of its own.</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    /// <summary>Nodes in the routing table now.</summary>
    public int NodeCount { get { lock (_tableLock) return _table.Count; } }

    /// <summary>Peers other nodes announced to us, over every info hash.</summary>
    public int StoredPeerCount => _peers.PeerCount;

    /// <summary>How many nodes the saved state gave (tried first at start).</summary>
    public int SavedNodeCount => SavedNodes.Count;

    /// <summary>The nodes read from the saved state, tried first at start.</summary>
    internal IReadOnlyList<NodeContact> SavedNodes { get; }

    internal RoutingTable Table => _table;
    internal Lock TableLock => _tableLock;
    internal PeerStore Peers => _peers;
    internal DhtNodeOptions Options => _options;

    /// <summary>The peers of <paramref name="infoHash"/> that others announced to this node (what it serves).</summary>
    public IReadOnlyList<IPEndPoint> StoredPeers(InfoHash infoHash) => _peers.Get(ToNodeId(infoHash), PeerStore.MaxPeersPerTorrent);

    /// <summary>Handles one received datagram: a response to one of our queries, or a query to answer. Never throws
    /// for what the datagram holds: a malformed one is dropped and counted in <see cref="Stats"/>.</summary>
    public void Receive(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        Interlocked.Increment(ref Stats._received);
        KrpcMessage message;
        try
        {
            message = KrpcCodec.Decode(datagram);
        }
        catch (DhtException e)
        {
            Interlocked.Increment(ref Stats._dropped);
            _options.Log?.Invoke($"dropped a datagram from {from}: {e.Message}");
            // BEP 5 error 203 "Protocol Error, such as a malformed packet, invalid arguments, or bad token", for a query
            // whose transaction id we could read (rate-limited like any answer).
            if (!_options.ReadOnly && KrpcCodec.TryReadEnvelope(datagram) is { Type: (byte)'q' } envelope && Allowed(from))
                SendError(envelope.TransactionId, KrpcError.Protocol, e.Message, from);
            return;
        }
        switch (message)
        {
            case KrpcQuery when _options.ReadOnly:
                // BEP 43: a read-only node "no longer responds to 'query' messages that it receives".
                Interlocked.Increment(ref Stats._ignoredQueries);
                break;
            case KrpcQuery query:
                Serve(query, from);
                break;
            case KrpcResponse or KrpcError:
                Complete(message, from);
                break;
        }
    }

    /// <summary>Whether a datagram on a socket shared with other protocols is for the DHT: a KRPC message is a bencoded
    /// dictionary, so its first byte is 'd' (uTP packets start with a version nibble of 1, never 0x64).</summary>
    public static bool IsKrpc(ReadOnlySpan<byte> datagram) => datagram.Length > 0 && datagram[0] == (byte)'d';

    internal static NodeId ToNodeId(InfoHash infoHash) => new(infoHash.Bytes);

    /// <summary>Whether the node may send to <paramref name="to"/>: an address the one policy for addresses from the
    /// network allows (<see cref="PeerAddressPolicy"/>: never unspecified, broadcast, multicast, link-local or port 0,
    /// wherever a reply names it), and only loopback in loopback-only mode.</summary>
    internal bool MaySend(IPEndPoint to) =>
        PeerAddressPolicy.MayDial(to) && (!_options.LoopbackOnly || IPAddress.IsLoopback(to.Address));

    /// <summary>Whether a contact at <paramref name="named"/>, named in an answer from <paramref name="namer"/>, may be
    /// queried: only when its scope is no narrower than the namer's (<see cref="AddressScopes.NoNarrowerThan"/>). A
    /// node on the internet naming 127.0.0.1, 10.0.0.1 or 100.64.0.1 is pointing us at a service of ours, of our LAN or
    /// of our operator; a loopback node naming loopback nodes (the test suite's DHT) or a LAN node naming LAN nodes is
    /// followed. libtorrent's searches have their own guard (<c>dht_restrict_search_ips</c>: one node per IP, and few
    /// close in address, per search); this one is about where a name may send us.</summary>
    internal static bool MayFollow(IPEndPoint named, IPEndPoint namer) => AddressScopes.NoNarrowerThan(named.Address, namer.Address);

    private void Send(KrpcMessage message, IPEndPoint to)
    {
        if (!MaySend(to))
        {
            Interlocked.Increment(ref Stats._refusedSends);
            return;
        }
        // BEP 42: every answer tells the asker the address it came from.
        var bytes = KrpcCodec.Encode(message with { Version = ClientVersion, RequesterAddress = message is KrpcQuery ? null : to });
        // UDP sends complete at once; the task is observed so a failure never goes unobserved.
        var sending = _sender.SendAsync(bytes, to, CancellationToken.None);
        if (!sending.IsCompleted) _ = sending.AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }
}
