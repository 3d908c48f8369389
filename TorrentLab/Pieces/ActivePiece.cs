using System.Buffers;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>A piece being downloaded: its pooled buffer and the state of each of its 16 KiB blocks.</summary>
/// <remarks>Owned by <see cref="PieceManager"/> and touched only under its lock (except the buffer while hashing,
/// when <see cref="Verifying"/> keeps everyone else out).</remarks>
internal sealed class ActivePiece
{
    public ActivePiece(int index, int length)
    {
        Index = index;
        Length = length;
        Blocks = new BlockSlot[(length + WireLimits.BlockLength - 1) / WireLimits.BlockLength];
        Unrequested = Blocks.Length;
        Buffer = ArrayPool<byte>.Shared.Rent(length);
    }

    public int Index { get; }
    public int Length { get; }
    public byte[] Buffer { get; private set; }
    public BlockSlot[] Blocks { get; }

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

    /// <summary>Blocks asked of someone and not yet stored.</summary>
    public int InFlight => Blocks.Length - Received - Unrequested;

    public BlockRequest Request(int block) =>
        new(Index, block * WireLimits.BlockLength, Math.Min(WireLimits.BlockLength, Length - block * WireLimits.BlockLength));

    /// <summary>Hands the buffer to a caller (a verified piece) so that <see cref="ReturnBuffer"/> no longer owns it.</summary>
    public byte[] TakeBuffer()
    {
        var buffer = Buffer;
        Buffer = [];
        return buffer;
    }

    public void ReturnBuffer()
    {
        if (Buffer.Length > 0) ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = [];
    }
}

/// <summary>One block of an <see cref="ActivePiece"/>: stored or not, and who was asked for it when.</summary>
/// <remarks>Usually one requester; endgame adds more in <see cref="Extra"/>.</remarks>
internal struct BlockSlot
{
    public bool Received;
    public IBlockSource? Sender; // who sent the stored block
    public IBlockSource? Peer;
    public long RequestedAt; // UTC ticks
    public List<(IBlockSource Peer, long At)>? Extra;

    public readonly int RequesterCount => (Peer is null ? 0 : 1) + (Extra?.Count ?? 0);

    public readonly bool IsRequestedBy(IBlockSource peer) =>
        Equals(Peer, peer) || (Extra is not null && Extra.Exists(e => Equals(e.Peer, peer)));

    public void AddRequester(IBlockSource peer, long at)
    {
        if (Peer is null) (Peer, RequestedAt) = (peer, at);
        else (Extra ??= []).Add((peer, at));
    }

    /// <summary>Removes <paramref name="peer"/>'s request; false if it had none.</summary>
    public bool RemoveRequester(IBlockSource peer)
    {
        if (Equals(Peer, peer))
        {
            if (Extra is { Count: > 0 })
            {
                (Peer, RequestedAt) = Extra[^1];
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
