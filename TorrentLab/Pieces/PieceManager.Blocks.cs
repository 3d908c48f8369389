using System.Buffers;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

// Receiving blocks (BEP 3 "piece" messages) and checking complete pieces against their hashes (PieceCheck).
internal sealed partial class PieceManager
{
    /// <summary>Takes one block a peer sent (a BEP 3 <c>piece</c> message: index, begin, block) and says what became
    /// of it. The bytes are copied; the caller may reuse <paramref name="data"/> at once.</summary>
    /// <remarks>A block is stored only when this peer was asked for exactly it (an outstanding request, or one that
    /// just expired or was withdrawn: a late answer is welcome), its piece is in progress and it is still missing.
    /// Anything else leaves the state untouched: a peer cannot push data nobody asked it for into a piece. The block
    /// that completes a piece also runs its SHA-1 check, on the calling thread but outside the lock, so other peers'
    /// blocks keep flowing meanwhile; a failure or a later success names the culprits (see <c>PieceManager.Culprits.cs</c>).</remarks>
    public BlockResult OnBlockReceived(IBlockSource peer, int index, int begin, ReadOnlySpan<byte> data)
    {
        var result = TakeBlock(peer, index, begin, data);
        return result.Kind == BlockResultKind.PieceComplete ? Verify(result.Completed!, result.CancelPeers) : result;
    }

    /// <summary><see cref="OnBlockReceived"/> in two steps: the block is stored as there, but the block that completes
    /// a piece returns <see cref="BlockResultKind.PieceComplete"/> unhashed, and the caller passes that result to
    /// <see cref="VerifyComplete"/>, on whatever thread it likes (the swarm engine's seam for hashing beside the
    /// receive loop). Until then the piece takes no blocks and is requested from nobody.</summary>
    public BlockResult TakeBlock(IBlockSource peer, int index, int begin, ReadOnlySpan<byte> data)
    {
        ActivePiece piece;
        List<IBlockSource>? cancel;
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out var state) || (uint)index >= (uint)PieceCount) return BlockResult.Unrequested(index);
            // The block's geometry first: exactly one of the piece's 16 KiB blocks, or nothing is looked at.
            var pieceLength = _torrent.GetPieceLength(index);
            if (begin < 0 || begin >= pieceLength || begin % WireLimits.BlockLength != 0) return BlockResult.Unrequested(index);
            var request = new BlockRequest(index, begin, Math.Min(WireLimits.BlockLength, pieceLength - begin));
            if (data.Length != request.Length) return BlockResult.Unrequested(index);
            var outstanding = state.Outstanding.Remove(request);
            var why = WithdrawnWhy.Expired;
            if (!outstanding && !state.Withdrawn.Remove(request, out why)) return BlockResult.Unrequested(index); // never asked of it
            var cause = outstanding ? 0 : 1 + (int)why;

            var active = _activeByIndex[index];
            if (active is null)
            {
                _wastedBytes += data.Length;
                _wastedByCause[cause] += data.Length;
                return BlockResult.Duplicate(index); // verified already (a late endgame copy), or the piece was dropped
            }
            piece = active;
            var block = begin / WireLimits.BlockLength;
            ref var slot = ref piece.Blocks[block];
            var wasUnrequested = !slot.Received && slot.RequesterCount == 0; // counted in the Unrequested pool
            // This peer's request is answered, whatever happens next.
            if (outstanding)
            {
                if (slot.SequenceOf(peer) is { } sequence)
                {
                    state.LastAnswerAt = _clock.GetUtcNow().UtcTicks;
                    state.NewestAnswered = Math.Max(state.NewestAnswered, sequence);
                }
                slot.RemoveRequester(peer);
            }
            if (piece.Verifying || slot.Received || !MayContribute(piece, peer))
            {
                _wastedBytes += data.Length;
                _wastedByCause[WasteCauses / 2 + cause] += data.Length;
                return BlockResult.Duplicate(index);
            }

            data.CopyTo(piece.BlockData(block));
            slot.Received = true;
            slot.Sender = peer;
            piece.Received++;
            _downloadedBytes += data.Length;
            if (!piece.Contributors.Contains(peer)) piece.Contributors.Add(peer);
            cancel = CancelOthers(ref slot, request);
            if (wasUnrequested)
            {
                // Nobody had it requested any more (it expired or was released): it leaves the unrequested pool.
                piece.Unrequested--;
                _unrequestedBlocks--;
            }
            if (!piece.IsComplete) return BlockResult.Accepted(index, cancel);
            piece.Verifying = true;
            return BlockResult.Complete(piece, cancel);
        }
    }

    /// <summary>Checks the piece a <see cref="BlockResultKind.PieceComplete"/> result carries against its hashes and
    /// says what became of it: <see cref="BlockResultKind.PieceVerified"/> or <see cref="BlockResultKind.PieceFailed"/>
    /// (the endgame cancels were in the first result and are not repeated). Call it exactly once per such result.</summary>
    /// <exception cref="ArgumentException">The result completed no piece.</exception>
    /// <exception cref="InvalidOperationException">Its piece was checked already.</exception>
    public BlockResult VerifyComplete(BlockResult complete)
    {
        if (complete.Kind != BlockResultKind.PieceComplete || complete.Completed is not { } piece)
            throw new ArgumentException("not a complete piece", nameof(complete));
        lock (_lock)
        {
            // A second check would hash a buffer already handed on and retire the piece twice.
            if (_activeByIndex[piece.Index] != piece) throw new InvalidOperationException($"piece {piece.Index} was checked already");
        }
        return Verify(piece, null);
    }

    private BlockResult Verify(ActivePiece piece, IReadOnlyList<IBlockSource>? cancel)
    {
        var index = piece.Index;

        // Hash outside the lock: the piece is Verifying, so nothing else touches its blocks. SHA-1, the merkle tree
        // of its file (BEP 52), or both for a hybrid: the same check as on disk.
        var whole = piece.Assemble();
        var good = Check.Check(index, whole.AsSpan(0, piece.Length));

        lock (_lock)
        {
            Retire(piece);
            if (good)
            {
                var was = _pickContext.IsStartable(index);
                _have.Set(index);
                _pickContext.Recount(index, was);
                _haveBytes += piece.Length;
                _verifiedBytes += piece.Length;
                if (_selection.IsWanted(index))
                {
                    _wantedMissing--;
                    foreach (var other in _peers.Values) if (other.Has[index]) other.Interesting--;
                }
                var liars = CulpritsOfEarlierCopies(piece);
                piece.ReturnBuffer();
                return BlockResult.Verified(new VerifiedPiece(index, whole, piece.Length, [.. piece.Contributors], piece.MostBlocksFrom()), cancel, liars);
            }
            ArrayPool<byte>.Shared.Return(whole);
            _wastedBytes += piece.Length;
            var culprits = CulpritsOfFailedCopy(piece);
            piece.ReturnBuffer();
            return BlockResult.Failed(index, [.. piece.Contributors], culprits, cancel);
        }
    }

    /// <summary>Endgame: every other peer asked for this block gets its request withdrawn; they are returned so the
    /// caller sends them <c>cancel</c>. Null when there were none.</summary>
    private List<IBlockSource>? CancelOthers(ref BlockSlot slot, BlockRequest request)
    {
        if (slot.RequesterCount == 0) return null;
        var others = slot.Requesters();
        foreach (var other in others)
        {
            slot.RemoveRequester(other);
            var state = _peers[other];
            if (state.Outstanding.Remove(request)) state.Withdrawn.Add(request, WithdrawnWhy.Cancelled); // its copy may already be on the way
        }
        return others;
    }
}
