using System.Security.Cryptography;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

// Receiving blocks (BEP 3 "piece" messages) and checking complete pieces against their SHA-1.
public sealed partial class PieceManager
{
    /// <summary>Takes one block a peer sent (a BEP 3 <c>piece</c> message: index, begin, block) and says what became
    /// of it. The bytes are copied; the caller may reuse <paramref name="data"/> at once.</summary>
    /// <remarks>A block is stored when its piece is in progress, the offset and length are exactly one of the piece's
    /// blocks, and it is still missing; who was asked for it does not matter (a late answer to an expired request
    /// is welcome). Anything else leaves the state untouched. The block that completes a piece also runs its SHA-1
    /// check, on the calling thread but outside the lock, so other peers' blocks keep flowing meanwhile.</remarks>
    public BlockResult OnBlockReceived(object peer, int index, int begin, ReadOnlySpan<byte> data)
    {
        ActivePiece piece;
        List<object>? cancel;
        lock (_lock)
        {
            if (!_peers.TryGetValue(peer, out var state) || (uint)index >= (uint)PieceCount) return BlockResult.Unrequested(index);
            var active = _activeByIndex[index];
            if (active is null)
            {
                if (!_have[index]) return BlockResult.Unrequested(index);
                _wastedBytes += data.Length;
                return BlockResult.Duplicate(index); // verified already: a late endgame copy
            }
            piece = active;
            if (begin < 0 || begin >= piece.Length || begin % WireLimits.BlockLength != 0) return BlockResult.Unrequested(index);
            var block = begin / WireLimits.BlockLength;
            var request = piece.Request(block);
            if (data.Length != request.Length) return BlockResult.Unrequested(index);

            ref var slot = ref piece.Blocks[block];
            var wasUnrequested = !slot.Received && slot.RequesterCount == 0; // counted in the Unrequested pool
            // This peer's request is answered, whatever happens next.
            if (state.Outstanding.Remove(request)) slot.RemoveRequester(peer);
            if (piece.Verifying || slot.Received)
            {
                _wastedBytes += data.Length;
                return BlockResult.Duplicate(index);
            }

            data.CopyTo(piece.Buffer.AsSpan(begin));
            slot.Received = true;
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
        }

        // Hash outside the lock: the piece is Verifying, so nothing else touches its buffer.
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(piece.Buffer.AsSpan(0, piece.Length), hash);
        var good = hash.SequenceEqual(_torrent.GetPieceHash(index));

        lock (_lock)
        {
            Retire(piece);
            if (good)
            {
                _have.Set(index);
                _haveBytes += piece.Length;
                _verifiedBytes += piece.Length;
                foreach (var other in _peers.Values) if (other.Has[index]) other.Interesting--;
                return BlockResult.Verified(new VerifiedPiece(index, piece.TakeBuffer(), piece.Length), cancel);
            }
            _wastedBytes += piece.Length;
            piece.ReturnBuffer();
            foreach (var contributor in piece.Contributors)
                if (_peers.TryGetValue(contributor, out var state)) state.HashFailures++;
            return BlockResult.Failed(index, [.. piece.Contributors], cancel);
        }
    }

    /// <summary>Endgame: every other peer asked for this block gets its request withdrawn; they are returned so the
    /// caller sends them <c>cancel</c>. Null when there were none.</summary>
    private List<object>? CancelOthers(ref BlockSlot slot, BlockRequest request)
    {
        if (slot.RequesterCount == 0) return null;
        var others = slot.Requesters();
        foreach (var other in others)
        {
            slot.RemoveRequester(other);
            _peers[other].Outstanding.Remove(request);
        }
        return others;
    }
}
