namespace TorrentLab.Pieces;

/// <summary>One block to ask a peer for: the payload of a BEP 3 <c>request</c> (and <c>cancel</c>) message.</summary>
/// <param name="Index">The piece index.</param>
/// <param name="Begin">Byte offset of the block inside the piece.</param>
/// <param name="Length">Block length: <see cref="Wire.WireLimits.BlockLength"/>, except the last block of a piece, which may be shorter.</param>
internal readonly record struct BlockRequest(int Index, int Begin, int Length)
{
    public override string ToString() => $"piece {Index} bytes {Begin}..{Begin + Length}";
}

/// <summary>A request that stayed unanswered past the timeout: the block went back to the pool.</summary>
/// <param name="Peer">The peer that was asked (the caller may send it a <c>cancel</c> and count it as slow).</param>
/// <param name="Request">The block that was asked for.</param>
internal readonly record struct ExpiredRequest(IBlockSource Peer, BlockRequest Request);
