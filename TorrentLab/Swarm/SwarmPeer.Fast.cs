using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 6, the fast extension, when both handshakes set its bit: every request gets exactly one answer (a piece or a
// reject), so a choke keeps our requests outstanding, a rejected request of ours goes back to the picker at once, and the
// allowed fast set is served while choked.
internal sealed partial class SwarmPeer
{
    private HashSet<int> _offeredFast = [];   // the allowed fast set we sent it (under _sendLock)

    /// <summary>Sends it our allowed fast set (BEP 6's canonical set for its address), limited to pieces we can serve;
    /// requests for them are served even while we choke it. Call after the bitfield.</summary>
    public void OfferAllowedFast()
    {
        if (!Connection.FastAgreed) return;
        var offered = new HashSet<int>();
        foreach (var index in AllowedFastSet.Generate(Connection.RemoteEndPoint.Address, _swarm.Torrent.InfoHash, _pieces.PieceCount))
            if (_swarm.CanServe(index) && offered.Add(index)) Enqueue(PeerMessage.AllowedFast(index));
        lock (_sendLock) _offeredFast = offered;
    }

    /// <summary>True when a request for piece <paramref name="index"/> is served even while we choke it (under _sendLock).</summary>
    private bool AllowedWhileChoked(int index) => _offeredFast.Contains(index);

    /// <summary>A request we will not serve: BEP 6 answers it with a reject; without the fast extension it is dropped
    /// silently, as BEP 3 does (under _sendLock).</summary>
    private void RejectLocked(BlockRequest request)
    {
        // BEP 6: "every request is guaranteed to result in EXACTLY ONE response which is either the corresponding reject
        // or corresponding piece message."
        if (Connection.FastAgreed) _control.Enqueue(PeerMessage.Reject(request.Index, request.Begin, request.Length));
    }

    /// <summary>On choking it: queued requests are dropped (BEP 3) or, with BEP 6, rejected one by one, except those
    /// for its allowed fast pieces, which are still served (under _sendLock).</summary>
    private void DropQueuedOnChokeLocked()
    {
        _uploads.RemoveAll(request => !AllowedWhileChoked(request.Index), RejectLocked);
    }

    /// <summary>The peer choked us. Without the fast extension our requests are gone: they go back to the picker, for
    /// any peer (and to this one again once it unchokes us). With it, they stay ours until answered.</summary>
    private void OnChoke()
    {
        // BEP 6: "Choke no longer implicitly rejects all pending requests, thus eliminating some race conditions which
        // could cause pieces to be needlessly requested multiple times." Each one is answered by its piece or a reject
        // (OnReject puts the block back); one left unanswered is put back by the request timeout, as any other.
        if (Connection.FastAgreed) return;
        // BEP 3 (no fast extension): a choking peer answers none of our pending requests; they are dropped.
        _pieces.ReleaseBlocks(this);
        ForgetRequests();
    }

    /// <summary>A <c>reject</c> of one of our requests: the block goes back to the picker at once, for any peer.</summary>
    private void OnReject(in PeerMessage reject)
    {
        var block = new BlockRequest(reject.Index, reject.Begin, reject.Length);
        // A reject for a request already withdrawn (choke, timeout, endgame cancel) changes nothing.
        if (_pieces.ReleaseBlock(this, block)) ForgetRequests(block);
    }
}
