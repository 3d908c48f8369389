using System.Buffers;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>A piece being downloaded: the data of its blocks stored so far and the state of each of its 16 KiB blocks.</summary>
/// <remarks>Owned by <see cref="PieceManager"/> and touched only under its lock (except the data while hashing, when
/// <see cref="Verifying"/> keeps everyone else out). Each block's data is a pooled 16 KiB array taken when the block is
/// stored, so a piece holds what arrived of it, not its whole length: a peer downloading many pieces at once from slow
/// peers (each piece a few blocks in) holds a few blocks of each.</remarks>
internal sealed class ActivePiece
{
    private readonly byte[]?[] _data;

    public ActivePiece(int index, int length)
    {
        Index = index;
        Length = length;
        Blocks = new BlockSlot[(length + WireLimits.BlockLength - 1) / WireLimits.BlockLength];
        Unrequested = Blocks.Length;
        _data = new byte[]?[Blocks.Length];
    }

    public int Index { get; }
    public int Length { get; }
    public BlockSlot[] Blocks { get; }

    /// <summary>Room for block <paramref name="block"/>'s data (its request's length), taken from the pool the first time.</summary>
    public Span<byte> BlockData(int block) =>
        (_data[block] ??= ArrayPool<byte>.Shared.Rent(WireLimits.BlockLength)).AsSpan(0, Request(block).Length);

    /// <summary>Bytes of block data the piece holds now.</summary>
    public int HeldBytes
    {
        get
        {
            var held = 0;
            foreach (var data in _data) held += data?.Length ?? 0;
            return held;
        }
    }

    /// <summary>Blocks stored so far.</summary>
    public int Received { get; set; }

    /// <summary>Blocks neither stored nor asked of anyone: what FillRequests can hand out.</summary>
    public int Unrequested { get; set; }

    /// <summary>No block below this index is unrequested (a scan hint, lowered when a block is put back).</summary>
    public int FirstUnrequested { get; set; }

    /// <summary>All blocks are in and the SHA-1 check runs outside the lock: no more requests, late blocks are duplicates.</summary>
    public bool Verifying { get; set; }

    /// <summary>Peers that sent at least one stored block.</summary>
    public List<IBlockSource> Contributors { get; } = [];

    /// <summary>After a failed copy with several senders: the one peer allowed to send this copy (null: not yet chosen).</summary>
    public IBlockSource? SoloPeer { get; set; }

    public bool IsComplete => Received == Blocks.Length;

    /// <summary>The contributor whose stored blocks are most (the first to send one, on a tie); null before any came.</summary>
    public IBlockSource? MostBlocksFrom()
    {
        if (Contributors.Count <= 1) return Contributors.Count == 1 ? Contributors[0] : null;
        IBlockSource? most = null;
        var mostBlocks = 0;
        foreach (var peer in Contributors)
        {
            var blocks = 0;
            foreach (var slot in Blocks) if (slot.Received && Equals(slot.Sender, peer)) blocks++;
            if (blocks > mostBlocks) (most, mostBlocks) = (peer, blocks);
        }
        return most;
    }

    /// <summary>Blocks asked of someone and not yet stored.</summary>
    public int InFlight => Blocks.Length - Received - Unrequested;

    public BlockRequest Request(int block) =>
        new(Index, block * WireLimits.BlockLength, Math.Min(WireLimits.BlockLength, Length - block * WireLimits.BlockLength));

    /// <summary>The whole piece in one pooled buffer (of at least <see cref="Length"/> bytes), for the hash check and
    /// the write; every block must be stored. The caller owns the buffer; the blocks stay until <see cref="ReturnBuffer"/>.</summary>
    public byte[] Assemble()
    {
        var whole = ArrayPool<byte>.Shared.Rent(Length);
        for (var b = 0; b < Blocks.Length; b++)
        {
            var data = _data[b] ?? throw new InvalidOperationException($"block {b} of piece {Index} was never stored");
            var request = Request(b);
            data.AsSpan(0, request.Length).CopyTo(whole.AsSpan(request.Begin));
        }
        return whole;
    }

    /// <summary>Gives the blocks' data back to the pool.</summary>
    public void ReturnBuffer()
    {
        for (var b = 0; b < _data.Length; b++)
        {
            if (_data[b] is { } data) ArrayPool<byte>.Shared.Return(data);
            _data[b] = null;
        }
    }
}

/// <summary>One block of an <see cref="ActivePiece"/>: stored or not, and who was asked for it when.</summary>
/// <remarks>Usually one requester; endgame adds more in <see cref="Extra"/>. Each request also has the manager's
/// sequence number, in the order requests were handed out: what a peer answered tells which requests it skipped.</remarks>
internal struct BlockSlot
{
    public bool Received;
    public IBlockSource? Sender; // who sent the stored block
    public IBlockSource? Peer;
    public long RequestedAt; // UTC ticks
    public long Sequence;
    public List<(IBlockSource Peer, long At, long Sequence)>? Extra;

    public readonly int RequesterCount => (Peer is null ? 0 : 1) + (Extra?.Count ?? 0);

    public readonly bool IsRequestedBy(IBlockSource peer) =>
        Equals(Peer, peer) || (Extra is not null && Extra.Exists(e => Equals(e.Peer, peer)));

    public void AddRequester(IBlockSource peer, long at, long sequence)
    {
        if (Peer is null) (Peer, RequestedAt, Sequence) = (peer, at, sequence);
        else (Extra ??= []).Add((peer, at, sequence));
    }

    /// <summary>The sequence number of <paramref name="peer"/>'s request for this block, or null.</summary>
    public readonly long? SequenceOf(IBlockSource peer)
    {
        if (Equals(Peer, peer)) return Sequence;
        if (Extra is not null) foreach (var e in Extra) if (Equals(e.Peer, peer)) return e.Sequence;
        return null;
    }

    /// <summary>Removes <paramref name="peer"/>'s request; false if it had none.</summary>
    public bool RemoveRequester(IBlockSource peer)
    {
        if (Equals(Peer, peer))
        {
            if (Extra is { Count: > 0 })
            {
                (Peer, RequestedAt, Sequence) = Extra[^1];
                Extra.RemoveAt(Extra.Count - 1);
            }
            else Peer = null;
            return true;
        }
        return Extra is not null && Extra.RemoveAll(e => Equals(e.Peer, peer)) > 0;
    }

    /// <summary>Every peer with a request for this block.</summary>
    public readonly List<IBlockSource> Requesters()
    {
        var list = new List<IBlockSource>(RequesterCount);
        if (Peer is not null) list.Add(Peer);
        if (Extra is not null) foreach (var e in Extra) list.Add(e.Peer);
        return list;
    }
}
