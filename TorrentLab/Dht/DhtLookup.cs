using System.Diagnostics;
using System.Net;

namespace TorrentLab.Dht;

/// <summary>One hop of a lookup, as <c>--verbose</c> prints it: whom we asked, how far it is from the target, and
/// what it answered.</summary>
/// <param name="Node">The address asked.</param>
/// <param name="Id">Its id as it answered (or as we knew it), null for a silent bootstrap node.</param>
/// <param name="LogDistance">Bit length of its XOR distance to the target (160: far, 0: the target itself).</param>
/// <param name="Nodes">Nodes it returned.</param>
/// <param name="Closer">How many of those are closer to the target than it is.</param>
/// <param name="Peers">Peers (values) it returned.</param>
/// <param name="Error">Why it gave nothing (timeout, error answer), or null.</param>
public sealed record LookupHop(IPEndPoint Node, NodeId? Id, int LogDistance, int Nodes, int Closer, int Peers, string? Error);

/// <summary>What a finished lookup found: the closest nodes that answered (with the tokens get_peers gave) and its
/// cost.</summary>
internal sealed record LookupResult(IReadOnlyList<(NodeContact Node, byte[]? Token)> Closest, int Queries, int Peers);

/// <summary>The iterative lookup of BEP 5 (Kademlia's node lookup): ask the alpha closest known nodes, add the closer
/// nodes they return, and repeat until the K closest nodes seen have all answered or failed.</summary>
/// <remarks>BEP 5: "The original node iteratively queries nodes that are closer to the target infohash until it
/// cannot find any closer nodes." Termination: no query in flight and no unqueried node among the K closest live
/// candidates; bounded besides by <see cref="MaxQueries"/> and the node's lookup timeout.</remarks>
internal sealed class DhtLookup
{
    /// <summary>Most queries one lookup sends (a lookup in the real DHT takes 20 to 60).</summary>
    public const int MaxQueries = 200;

    /// <summary>Most queries of one lookup in flight at once, the slow ones included: the K closest nodes at most, all
    /// asked at once when the first ones are all slow.</summary>
    public const int MaxInFlight = RoutingTable.K;

    private readonly DhtNode _node;
    private readonly NodeId _target;
    private readonly bool _getPeers;
    private readonly KrpcQuery? _query;
    private readonly List<Candidate> _candidates = [];
    private readonly HashSet<IPEndPoint> _seen = [];
    private readonly HashSet<IPEndPoint> _peers = [];

    private sealed class Candidate(IPEndPoint endPoint, NodeId? id)
    {
        public IPEndPoint EndPoint { get; } = endPoint;
        public NodeId? Id { get; set; } = id;
        public State State { get; set; }
        public byte[]? Token { get; set; }

        // While in flight: when (the clock's timestamp) the query turns slow, and whether it has.
        public long SlowAt { get; set; }
        public bool Slow { get; set; }

        // BEP 42 enforced: an answer from an id that does not fit its address carries no token and does not count
        // among the closest that end the lookup.
        public bool Untrusted { get; set; }
    }

    private enum State { New, InFlight, Answered, Failed }

    /// <param name="node">The node that sends the queries.</param>
    /// <param name="target">The id the lookup walks towards.</param>
    /// <param name="getPeers">Ask get_peers (tokens and peers) rather than find_node.</param>
    /// <param name="query">Another query to send each node instead (BEP 44 get), its transaction id set per send.</param>
    public DhtLookup(DhtNode node, NodeId target, bool getPeers, KrpcQuery? query = null)
    {
        _node = node;
        _target = target;
        _getPeers = getPeers;
        _query = query;
    }

    /// <summary>Sees every answer with the address it came from (BEP 44 get reads the item in it).</summary>
    public Action<KrpcResponse, IPEndPoint>? OnResponse { get; init; }

    /// <summary>Adds a starting node; <paramref name="id"/> is null for a bootstrap address whose id we do not know yet.</summary>
    public void Seed(IPEndPoint endPoint, NodeId? id)
    {
        if (_node.MayRoute(endPoint) && _seen.Add(endPoint)) _candidates.Add(new Candidate(endPoint, id));
    }

    /// <summary>Counts a peer known before the lookup runs (one this node stores), so the lookup does not yield it
    /// again; false when it was known already or the address policy refuses it.</summary>
    public bool AddPeer(IPEndPoint peer) => Tracker.PeerAddressPolicy.MayDial(peer) && _peers.Add(peer);

    /// <summary>Runs the lookup; <paramref name="onPeer"/> gets each new peer as it arrives, <paramref name="onHop"/>
    /// each answer or failure.</summary>
    /// <remarks>Alpha queries that are not slow are kept in flight to the closest nodes (<see cref="Outstanding"/>): a
    /// query to a node that answers have outranked no longer counts, so closer nodes are asked as soon as an answer
    /// names them. A query not answered within the node's
    /// <see cref="DhtNode.ShortTimeout"/> turns slow: it keeps waiting for its answer (until the query timeout; a late
    /// answer is taken like any other), and another node is asked beside it, so a silent node costs the lookup about
    /// the short timeout rather than the query timeout. At most <see cref="MaxInFlight"/> queries are in flight in all.
    /// libtorrent does the same (<c>traversal_algorithm::failed</c> with <c>short_timeout</c>: "open up the slot by
    /// increasing the branch factor"), after a fixed second.</remarks>
    public async Task<LookupResult> RunAsync(Action<IPEndPoint>? onPeer, Action<LookupHop>? onHop, CancellationToken ct)
    {
        var clock = _node.Options.Clock;
        using var timeout = new Deadline(_node.Options.LookupTimeout, clock, ct);
        var inFlight = new Dictionary<Task<KrpcResponse>, Candidate>();
        var queries = 0;
        try
        {
            while (!timeout.Token.IsCancellationRequested)
            {
                while (inFlight.Count < MaxInFlight && queries < MaxQueries && Outstanding(inFlight.Values) < DhtNode.Alpha && NextToAsk() is { } next)
                {
                    next.State = State.InFlight;
                    next.SlowAt = clock.GetTimestamp() + (long)(_node.ShortTimeout.TotalSeconds * clock.TimestampFrequency);
                    queries++;
                    inFlight[_node.QueryAsync(next.EndPoint, Query(), timeout.Token)] = next;
                }
                if (inFlight.Count == 0) break;
                var done = await NextAnswerOrSlow(inFlight, clock).ConfigureAwait(false);
                if (done is null)
                {
                    // The earliest query that was not slow is now: it makes room for one more beside it.
                    var now = clock.GetTimestamp();
                    foreach (var waiting in inFlight.Values.Where(c => !c.Slow && c.SlowAt <= now)) waiting.Slow = true;
                    continue;
                }
                var candidate = inFlight[done];
                inFlight.Remove(done);
                Absorb(candidate, done, onPeer, onHop);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The lookup's own time limit: return what was found so far.
        }
        await Task.WhenAll(inFlight.Keys.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var closest = Ordered().Where(c => c.State == State.Answered && !c.Untrusted).Take(RoutingTable.K)
            .Select(c => (new NodeContact(c.Id!.Value, c.EndPoint), c.Token)).ToList();
        return new LookupResult(closest, queries, _peers.Count);
    }

    /// <summary>Waits for the first query to end (its task), or for the earliest query that is not slow yet to turn slow
    /// (null), whichever comes first; only the former when no more could be sent beside a slow one.</summary>
    private static async Task<Task<KrpcResponse>?> NextAnswerOrSlow(Dictionary<Task<KrpcResponse>, Candidate> inFlight, TimeProvider clock)
    {
        var watched = inFlight.Count < MaxInFlight ? inFlight.Values.Where(c => !c.Slow).Select(c => (long?)c.SlowAt).Min() : null;
        if (watched is not { } slowAt) return await Task.WhenAny(inFlight.Keys).ConfigureAwait(false);
        var due = TimeSpan.FromSeconds((double)(slowAt - clock.GetTimestamp()) / clock.TimestampFrequency);
        if (due <= TimeSpan.Zero) return null;
        // A timer of our own rather than a cancellable delay: its end runs nothing inline, and the lookup's time limit
        // ends the queries it waits on anyway.
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = clock.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), slow, due, Timeout.InfiniteTimeSpan);
        var first = await Task.WhenAny(inFlight.Keys.Append<Task>(slow.Task)).ConfigureAwait(false);
        return first == slow.Task ? null : (Task<KrpcResponse>)first;
    }

    /// <summary>The queries in flight that hold one of the alpha slots: those not slow yet to a node still among the K
    /// closest candidates that have not failed (or to a bootstrap address of unknown id). A query to a node that
    /// answers have since outranked holds none: the closer nodes are asked at once, not once it ends.</summary>
    /// <remarks>libtorrent's <c>dht_aggressive_lookups</c> (on by default): "we always keep branch factor outstanding
    /// requests to the closest nodes. i.e. every time we get results back with closer nodes, we query them right
    /// away." Before, the first answer's closer nodes waited for the other two queries of the first round, one query
    /// going out per answer, and a lookup took about one round trip more (bench/sim/run.sh dht).</remarks>
    private int Outstanding(IEnumerable<Candidate> inFlight)
    {
        var top = Ordered().Where(c => c.State != State.Failed && !c.Untrusted).Take(RoutingTable.K).ToHashSet();
        return inFlight.Count(c => !c.Slow && (c.Id is null || top.Contains(c)));
    }

    private KrpcQuery Query() => (_query ?? (_getPeers
        ? new KrpcQuery([], KrpcMethods.GetPeers, _node.Id) { InfoHash = _target }
        : new KrpcQuery([], KrpcMethods.FindNode, _node.Id) { Target = _target })) with { Want = _node.WantInQueries };

    /// <summary>The closest candidate not asked yet among the K closest that have not failed; bootstrap addresses of
    /// unknown id first.</summary>
    private Candidate? NextToAsk() =>
        _candidates.FirstOrDefault(c => c.Id is null && c.State == State.New)
        ?? Ordered().Where(c => c.State != State.Failed && !c.Untrusted).Take(RoutingTable.K).FirstOrDefault(c => c.State == State.New);

    private IEnumerable<Candidate> Ordered() =>
        _candidates.Where(c => c.Id is not null).OrderBy(c => c.Id!.Value, Comparer<NodeId>.Create(_target.CompareDistance));

    private void Absorb(Candidate candidate, Task<KrpcResponse> done, Action<IPEndPoint>? onPeer, Action<LookupHop>? onHop)
    {
        if (!done.IsCompletedSuccessfully)
        {
            candidate.State = State.Failed;
            if (candidate.Id is { } failedId) _node.NoteFailure(failedId);
            var reason = done.Exception?.InnerException?.Message ?? "cancelled";
            onHop?.Invoke(new LookupHop(candidate.EndPoint, candidate.Id, candidate.Id?.LogDistanceTo(_target) ?? -1, 0, 0, 0, reason));
            return;
        }
        var response = done.Result;
        candidate.State = State.Answered;
        candidate.Id = response.SenderId;
        // BEP 42 enforcement: "responses to get_peers requests whose node ID does not match its external IP should be
        // considered to not contain a token", and "must not be considered to have sent a valid response when checking
        // the termination condition of a lookup". Their nodes are still walked.
        candidate.Untrusted = _node.Options.EnforceNodeIds && !SecureNodeId.Matches(response.SenderId, candidate.EndPoint.Address);
        candidate.Token = candidate.Untrusted ? null : response.Token;
        OnResponse?.Invoke(response, candidate.EndPoint);
        var closer = 0;
        // BEP 32: a lookup walks the DHT of its node's family; nodes of the other family (when we asked for them) go
        // to the sibling node, which walks that DHT.
        var nodes = _node.OwnNodes(response);
        foreach (var contact in nodes)
        {
            if (contact.Id == _node.Id) continue;
            if (_target.CompareDistance(contact.Id, response.SenderId) < 0) closer++;
            // A node on the internet cannot know a node at our loopback or on our LAN: naming one aims our queries at a
            // service of ours. A contact is walked only when its scope is no narrower than its namer's.
            if (!DhtNode.MayFollow(contact.EndPoint, candidate.EndPoint))
            {
                Interlocked.Increment(ref _node.Stats._refusedContacts);
                continue;
            }
            if (_node.MayRoute(contact.EndPoint) && _seen.Add(contact.EndPoint)) _candidates.Add(new Candidate(contact.EndPoint, contact.Id));
        }
        _node.OfferToSibling(response, candidate.EndPoint);
        // A peer in "values" is dialled by whoever reads the lookup: the same policy as for nodes decides.
        foreach (var peer in response.Values)
            if (Tracker.PeerAddressPolicy.MayDial(peer) && _peers.Add(peer)) onPeer?.Invoke(peer);
        onHop?.Invoke(new LookupHop(candidate.EndPoint, response.SenderId, response.SenderId.LogDistanceTo(_target),
            nodes.Count, closer, response.Values.Count, null));
    }
}
