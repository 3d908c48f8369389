using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 6, the fast extension, when both handshakes set its bit: every request gets exactly one answer (a piece or a
// reject), so a choke keeps our requests outstanding and a rejected request of ours goes back to the picker at once. Our
// half (the allowed fast set served while choked, our rejects) is PeerUpload's.
internal sealed partial class SwarmPeer
{
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

    /// <summary>A <c>reject</c> of one of our requests: the block goes back to the picker at once, for any peer. From a
    /// seed that still unchokes us, it is asked of that seed again only once the seed has nothing else for us: a lone
    /// seed sending its first copy rejects a piece it sent another peer so that we take one nobody has
    /// (UploadQueue.RejectAgainOnce); asked again at once, the rejected blocks would fill our pipeline to it again.</summary>
    private void OnReject(in PeerMessage reject)
    {
        var block = new BlockRequest(reject.Index, reject.Begin, reject.Length);
        var elsewhereFirst = !Connection.PeerChoking && Connection.PeerPieces is { IsComplete: true };
        // A reject for a request already withdrawn (choke, timeout, endgame cancel) changes nothing.
        if (_pieces.ReleaseBlock(this, block, elsewhereFirst)) ForgetRequests(block);
    }
}
