using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>A peer's requests waiting for our blocks, and the order they leave in: as asked, except under an upload
/// limit while a lone seed's first copy goes out (<see cref="FirstCopy"/>). Then requests for first copies go first and
/// take the limit's tokens as they come; new pieces for a peer whose last ones have not spread, then pieces another peer
/// got, take only tokens nobody took (<see cref="QueuePlan"/>).</summary>
/// <remarks>Not thread-safe: the peer's send lock guards it.</remarks>
internal sealed class UploadQueue(object peer)
{
    private readonly LinkedList<BlockRequest> _queue = new();

    /// <summary>Requests queued.</summary>
    public int Count => _queue.Count;

    /// <summary>Queues a request, last.</summary>
    public void Add(BlockRequest request) => _queue.AddLast(request);

    /// <summary>Forgets a queued request (a <c>cancel</c>); false when it was not queued.</summary>
    public bool Remove(BlockRequest request)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (!node.Value.Equals(request)) continue;
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
            if (drop(node.Value))
            {
                _queue.Remove(node);
                dropped(node.Value);
            }
            node = next;
        }
    }

    /// <summary>How many queued requests may be served now, in two kinds: <see cref="QueuePlan.Now"/> may take the
    /// upload's tokens as they come; <see cref="QueuePlan.Later"/> only tokens nobody took (see PeerUpload's sender).
    /// Without the rule or without a limit, every request is Now.</summary>
    /// <param name="first">The first-copy rule while it is active; null: every request, in the order asked.</param>
    /// <param name="limited">The upload is limited: requests that are no first copy are Later.</param>
    /// <param name="mayServe">False for a piece that may not be served now (choked, outside its allowed fast set).</param>
    public QueuePlan Plan(FirstCopy? first, bool limited, Func<int, bool> mayServe)
    {
        int now = 0, later = 0;
        foreach (var request in _queue)
        {
            if (!mayServe(request.Index)) continue;
            if (GoesNow(first, limited, request.Index)) now++;
            else later++;
        }
        return new QueuePlan(now, later);
    }

    /// <summary>Moves up to <paramref name="max"/> requests that may be served now into <paramref name="into"/> and tells
    /// <paramref name="first"/> what goes. Under a limit (<paramref name="limited"/>) while the rule is on: first copies
    /// first, then new pieces held back by pacing, then pieces sent already, each in the order asked (with
    /// <paramref name="onlyNow"/>, first copies only). Otherwise in the order asked: without a limit the whole queue
    /// goes as fast as the connection takes it, and sorting it for every batch cost more than it gained (two libtorrent
    /// downloaders of 128 MiB: our seed's rate halved by the passes over 500 queued requests).</summary>
    /// <returns>How many were taken.</returns>
    public int Take(Span<BlockRequest> into, int max, FirstCopy? first, bool limited, bool onlyNow, Func<int, bool> mayServe)
    {
        var taken = 0;
        var ordered = first is not null && limited;
        // Three passes in order: first copies, then new pieces held back by pacing, then pieces sent already; a block
        // taken in a later pass makes the rest of its piece a first copy for this peer, so the passes start over.
        for (var pass = 0; pass < (ordered ? 3 : 1) && taken < max; pass++)
        {
            var kind = (RequestClass)pass;
            var before = taken;
            for (var node = _queue.First; node is not null && taken < max;)
            {
                var next = node.Next;
                var request = node.Value;
                var go = mayServe(request.Index)
                    && (!ordered || first!.Classify(peer, request.Index) == kind && (!onlyNow || GoesNow(first, true, request.Index)));
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
        return taken;
    }

    private readonly HashSet<BlockRequest> _rejectedOnce = [];

    /// <summary>Under an upload limit while a lone seed's first copy goes out, for a peer that speaks BEP 6 and whose
    /// queue holds only requests for pieces another peer got (<see cref="RequestClass.Again"/>, which wait for tokens
    /// nobody takes) while it could start a new first copy (<see cref="FirstCopy.CouldStartNew"/>): rejects each of them,
    /// once per block, so that the peer asks for a piece nobody has instead, which takes the tokens as they come. A
    /// block asked again after its reject stays queued (the peer wants nothing else of us) and waits as before.</summary>
    /// <remarks>Issue 84, eight capped downloaders that knew only the seed: a downloader's pipeline to the seed held
    /// only such requests, waiting for spare tokens, and asked for nothing new for seconds, its upload idle
    /// (bench/notes/lone-seed.md, "Which spare tokens go first").</remarks>
    /// <param name="first">The first-copy rule, active.</param>
    /// <param name="mayServe">False for a piece that may not be served now.</param>
    /// <param name="reject">Answers one request with a reject.</param>
    /// <returns>How many requests were rejected.</returns>
    public int RejectAgainOnce(FirstCopy first, Func<int, bool> mayServe, Action<BlockRequest> reject)
    {
        var rejected = 0;
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            var request = node.Value;
            if (mayServe(request.Index) && first.Classify(peer, request.Index) == RequestClass.Again && _rejectedOnce.Add(request))
            {
                _queue.Remove(node);
                reject(request);
                rejected++;
            }
            node = next;
        }
        return rejected;
    }

    /// <summary>True when a request for piece <paramref name="index"/> may take tokens as they come: always, unless
    /// <paramref name="limited"/>; then only a first copy.</summary>
    private bool GoesNow(FirstCopy? first, bool limited, int index) =>
        first is null || !limited || first.Classify(peer, index) == RequestClass.FirstCopy;
}

/// <summary>A peer's sendable requests by how they may take the upload's tokens (<see cref="UploadQueue.Plan"/>).</summary>
/// <param name="Now">Requests that take tokens as they come.</param>
/// <param name="Later">Requests that take only tokens nobody took, which would otherwise be lost.</param>
internal readonly record struct QueuePlan(int Now, int Later);
