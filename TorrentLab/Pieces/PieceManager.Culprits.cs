using System.Security.Cryptography;

namespace TorrentLab.Pieces;

// Finding who sent bad data, instead of blaming every peer that touched a bad piece.
//
// A piece fails its SHA-1 check. With one sender, that sender lied. With several, any of them may have, so nobody is
// blamed yet: the SHA-1 of every block is remembered with its sender, and the piece is fetched again from a single
// peer. If that copy fails too, its one sender lied. When a copy finally verifies, each remembered block is compared
// with the good one: a sender whose block differs lied (libtorrent's "smart ban" works the same way), and the honest
// senders of the failed copy are never blamed.
internal sealed partial class PieceManager
{
    private readonly Dictionary<int, List<SentBlock>> _failedCopies = []; // piece -> blocks of its failed copies
    private readonly HashSet<int> _soloPieces = [];                      // pieces to fetch again from one peer only

    /// <summary>One block of a copy that failed its hash: who sent it and the SHA-1 of what it sent.</summary>
    private readonly record struct SentBlock(IBlockSource Peer, int Block, byte[] Hash);

    /// <summary>True when <paramref name="peer"/> may send blocks of <paramref name="piece"/>: any peer, except for a
    /// piece being fetched from one peer only after a failure, which only its owner may fill.</summary>
    private static bool MayContribute(ActivePiece piece, IBlockSource peer) => piece.SoloPeer is null || Equals(piece.SoloPeer, peer);

    /// <summary>Before blocks of <paramref name="piece"/> go to <paramref name="peer"/>: a solo piece nobody owns
    /// becomes this peer's; false when another peer owns it.</summary>
    private bool ClaimForRequests(ActivePiece piece, IBlockSource peer)
    {
        if (!_soloPieces.Contains(piece.Index)) return true;
        piece.SoloPeer ??= peer;
        return Equals(piece.SoloPeer, peer);
    }

    /// <summary>A failed copy: its culprit when one peer sent it all, else nobody yet (the blocks are remembered and
    /// the piece is fetched again from one peer).</summary>
    private List<IBlockSource> CulpritsOfFailedCopy(ActivePiece piece)
    {
        if (piece.Contributors.Count == 1)
        {
            var liar = piece.Contributors[0];
            if (_peers.TryGetValue(liar, out var state)) state.HashFailures++;
            return [liar];
        }
        if (!_failedCopies.TryGetValue(piece.Index, out var blocks)) _failedCopies[piece.Index] = blocks = [];
        for (var b = 0; b < piece.Blocks.Length; b++)
        {
            blocks.Add(new SentBlock(piece.Blocks[b].Sender!, b, SHA1.HashData(piece.BlockData(b))));
        }
        _soloPieces.Add(piece.Index);
        return [];
    }

    /// <summary>A verified copy: every peer whose block in an earlier, failed copy differs from the good data.</summary>
    private List<IBlockSource> CulpritsOfEarlierCopies(ActivePiece piece)
    {
        _soloPieces.Remove(piece.Index);
        if (!_failedCopies.Remove(piece.Index, out var blocks)) return [];
        var liars = new List<IBlockSource>();
        Span<byte> good = stackalloc byte[SHA1.HashSizeInBytes];
        foreach (var sent in blocks)
        {
            SHA1.HashData(piece.BlockData(sent.Block), good);
            if (good.SequenceEqual(sent.Hash) || liars.Contains(sent.Peer)) continue;
            liars.Add(sent.Peer);
            if (_peers.TryGetValue(sent.Peer, out var state)) state.HashFailures++;
        }
        return liars;
    }

    /// <summary>The owner of a solo piece choked us or left (or lost piece <paramref name="only"/>: BEP 54): the piece
    /// starts over (its blocks are dropped) so another peer can own it; an owner that sent nothing yet simply gives it up.</summary>
    private void ReleaseSoloPieces(IBlockSource peer, int? only = null)
    {
        List<ActivePiece>? dropped = null;
        foreach (var piece in _inProgress)
        {
            if (!Equals(piece.SoloPeer, peer) || piece.Verifying || (only is { } index && piece.Index != index)) continue;
            if (piece.Received == 0) piece.SoloPeer = null;
            else (dropped ??= []).Add(piece);
        }
        if (dropped is null) return;
        foreach (var piece in dropped)
        {
            foreach (var state in _peers.Values) state.Outstanding.RemoveWhere(r => r.Index == piece.Index);
            _wastedBytes += ReceivedBytes(piece);
            Retire(piece);
            piece.ReturnBuffer();
        }
    }
}
