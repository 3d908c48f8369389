namespace TorrentLab.Pieces;

/// <summary>The last few requests withdrawn from one peer (expired, released on choke, cancelled in endgame): a block
/// answering one of them is a late answer, not data nobody asked for.</summary>
/// <remarks>Bounded: the oldest are forgotten first, so a peer cannot make us remember without limit.</remarks>
internal sealed class RecentRequests
{
    /// <summary>Enough for a full pipeline released on a choke (the swarm keeps at most 128 in flight) and more.</summary>
    public const int Capacity = 1024;

    private readonly Dictionary<BlockRequest, WithdrawnWhy> _set = [];
    private readonly Queue<BlockRequest> _order = new();

    public int Count => _set.Count;

    public void Add(BlockRequest request, WithdrawnWhy why = WithdrawnWhy.Expired)
    {
        if (!_set.TryAdd(request, why)) return;
        _order.Enqueue(request);
        while (_order.Count > Capacity) _set.Remove(_order.Dequeue());
    }

    public bool Contains(BlockRequest request) => _set.ContainsKey(request);

    /// <summary>Forgets <paramref name="request"/>; false if it was not there.</summary>
    public bool Remove(BlockRequest request) => _set.Remove(request); // its queue entry is skipped when it comes due

    /// <summary>Forgets <paramref name="request"/> and says why it had been withdrawn; false if it was not there.</summary>
    public bool Remove(BlockRequest request, out WithdrawnWhy why) => _set.Remove(request, out why);
}

/// <summary>Why a request was taken back from its peer (what a late answer to it is counted as, when wasted).</summary>
internal enum WithdrawnWhy : byte
{
    /// <summary>Unanswered for the request timeout.</summary>
    Expired,
    /// <summary>Released: the peer choked us, snubbed us, left, or lost the piece.</summary>
    Released,
    /// <summary>Endgame: another peer's copy came first and this one got a <c>cancel</c>.</summary>
    Cancelled,
}
