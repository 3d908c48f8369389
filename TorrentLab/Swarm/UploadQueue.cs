using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>A peer's requests waiting for our blocks, and the order they leave in: as asked, except while a lone
/// seed's first copy goes out (<see cref="FirstCopy"/>). Then requests for first copies go first, and the others wait
/// while other peers get first copies, unless the peer has been sent nothing for <see cref="HoldLimit"/>.</summary>
/// <remarks>Not thread-safe: the peer's send lock guards it.</remarks>
internal sealed class UploadQueue(object peer, TimeProvider clock)
{
    /// <summary>The longest a peer is sent nothing while its requests for pieces already sent wait; then they go, and
    /// what they start it may finish. Well under the 20 s after which libtorrent treats a peer that sends it nothing as
    /// snubbed (<c>piece_timeout</c>) and asks it for common pieces instead. A peer that keeps getting first copies
    /// waits for the others until the first copy is out.</summary>
    public static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(5);

    private readonly LinkedList<(BlockRequest Request, long QueuedAt)> _queue = new(); // QueuedAt: a timestamp of the clock
    private long _lastTakenAt; // when a request last left the queue (a timestamp of the clock); 0: never

    /// <summary>Requests queued.</summary>
    public int Count => _queue.Count;

    /// <summary>True when, at the last <see cref="Plan"/>, requests waited for other peers' first copies, and some are
    /// still queued.</summary>
    public bool Holding => _holding && _queue.Count > 0;
    private bool _holding;

    /// <summary>Queues a request, last.</summary>
    public void Add(BlockRequest request) => _queue.AddLast((request, clock.GetTimestamp()));

    /// <summary>Forgets a queued request (a <c>cancel</c>); false when it was not queued.</summary>
    public bool Remove(BlockRequest request)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (!node.Value.Request.Equals(request)) continue;
            _queue.Remove(node);
            return true;
        }
        return false;
    }

    /// <summary>Forgets every queued request <paramref name="drop"/> selects, telling <paramref name="dropped"/> of each.</summary>
    public void RemoveAll(Func<BlockRequest, bool> drop, Action<BlockRequest> dropped)
    {
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            if (drop(node.Value.Request))
            {
                _queue.Remove(node);
                dropped(node.Value.Request);
            }
            node = next;
        }
    }

    /// <summary>True when a request for a first copy is queued that may be served now.</summary>
    public bool HasFirstCopies(FirstCopy first, Func<int, bool> mayServe)
    {
        foreach (var (request, _) in _queue)
            if (mayServe(request.Index) && first.IsFirstCopy(peer, request.Index)) return true;
        return false;
    }

    /// <summary>How many queued requests may be served now: those for first copies, and the others too unless
    /// <paramref name="othersWait"/>; then only those that have waited <see cref="HoldLimit"/> while nothing else left
    /// for this peer.</summary>
    /// <param name="first">The first-copy rule while it is active; null: every request, in the order asked.</param>
    /// <param name="othersWait">Other peers are getting first copies.</param>
    /// <param name="mayServe">False for a piece that may not be served now (choked, outside its allowed fast set).</param>
    /// <param name="holdYoung">True when the others wait unless they waited <see cref="HoldLimit"/> with nothing sent.</param>
    public int Plan(FirstCopy? first, bool othersWait, Func<int, bool> mayServe, out bool holdYoung)
    {
        holdYoung = first is not null && othersWait;
        int go = 0, waiting = 0;
        foreach (var (request, queuedAt) in _queue)
        {
            if (!mayServe(request.Index)) continue;
            if (Goes(first, holdYoung, request.Index, queuedAt)) go++;
            else waiting++;
        }
        _holding = waiting > 0;
        return go;
    }

    /// <summary>Moves up to <paramref name="max"/> requests that may be served now into <paramref name="into"/>: first
    /// copies first, then the others (with <paramref name="holdYoung"/>, only those that waited
    /// <see cref="HoldLimit"/> while nothing left for this peer), each in the order asked; tells
    /// <paramref name="first"/> what goes.</summary>
    /// <returns>How many were taken.</returns>
    public int Take(Span<BlockRequest> into, int max, FirstCopy? first, bool holdYoung, Func<int, bool> mayServe)
    {
        var taken = 0;
        // Three passes while the rule is on: first copies, then new pieces held back by pacing, then pieces sent already;
        // a block taken in a later pass makes the rest of its piece a first copy for this peer, so the passes start over.
        for (var pass = 0; pass < (first is null ? 1 : 3) && taken < max; pass++)
        {
            var kind = (RequestClass)pass;
            var before = taken;
            for (var node = _queue.First; node is not null && taken < max;)
            {
                var next = node.Next;
                var (request, queuedAt) = node.Value;
                var go = mayServe(request.Index)
                    && (first is null || first.Classify(peer, request.Index) == kind && Goes(first, holdYoung, request.Index, queuedAt));
                if (go)
                {
                    _queue.Remove(node);
                    into[taken++] = request;
                    first?.Sent(peer, request.Index, request.Length);
                }
                node = next;
            }
            if (pass > 0 && taken > before) pass = -1;
        }
        if (taken > 0) _lastTakenAt = clock.GetTimestamp();
        return taken;
    }

    /// <summary>True when a request for piece <paramref name="index"/> queued at <paramref name="queuedAt"/> may be
    /// served now: a first copy, or one for a piece another peer got unless <paramref name="holdAgain"/> (others get
    /// first copies), or a paced one (<see cref="RequestClass.Paced"/>) only after its wait.</summary>
    private bool Goes(FirstCopy? first, bool holdAgain, int index, long queuedAt)
    {
        if (first is null) return true;
        return first.Classify(peer, index) switch
        {
            RequestClass.FirstCopy => true,
            RequestClass.Again => !holdAgain || Waited(queuedAt),
            _ => Waited(queuedAt),
        };
    }

    /// <summary>True when a request queued at <paramref name="queuedAt"/> has waited <see cref="HoldLimit"/> since then
    /// and since anything last left for this peer.</summary>
    private bool Waited(long queuedAt) => clock.GetElapsedTime(Math.Max(queuedAt, _lastTakenAt)) >= HoldLimit;
}
