namespace TorrentLab.Wire;

/// <summary>The sizes the peer wire protocol works with, and the bounds past which a peer is dropped.</summary>
internal static class WireLimits
{
    /// <summary>16 KiB, the block size every client requests. BEP 3: "All current implementations use 2^14 (16 kiB),
    /// and close connections which request an amount greater than that."</summary>
    public const int BlockLength = 16 * 1024;

    /// <summary>1 MiB: no message we accept is longer (a bitfield of 8 million pieces); a longer length prefix is a
    /// protocol violation, rejected before a single byte of it is buffered.</summary>
    public const int MaxMessageLength = 1024 * 1024;

    /// <summary>The 4-byte big-endian length prefix in front of every message (BEP 3).</summary>
    public const int LengthPrefix = 4;

    /// <summary>A <c>piece</c> message's fixed part: id (1), index (4), begin (4); the block follows.</summary>
    public const int PieceHeader = 9;

    /// <summary>The longest message the reader must hold at once under <paramref name="maxBlockLength"/> and
    /// <paramref name="pieceCount"/> (a piece message or a bitfield, whichever is larger).</summary>
    internal static int MaxFrameLength(int maxBlockLength, int pieceCount) =>
        LengthPrefix + Math.Max(PieceHeader + maxBlockLength, 1 + Bitfield.ByteCount(Math.Max(pieceCount, 0)));

    /// <summary>The checks every uploader makes on a <c>request</c> (BEP 3) before serving it; the caller says what it
    /// does about a fault (drop the peer, log it) and whether it can serve the piece at all.</summary>
    /// <param name="request">A request message (the reader already checked its index against the piece count).</param>
    /// <param name="pieceLength">The length of the requested piece.</param>
    public static RequestFault CheckRequest(in PeerMessage request, int pieceLength)
    {
        // BEP 3: "All current implementations use 2^14 (16 kiB), and close connections which request an amount greater
        // than that."
        if (request.Length > BlockLength) return RequestFault.TooLong;
        if ((long)request.Begin + request.Length > pieceLength) return RequestFault.PastPieceEnd;
        return RequestFault.None;
    }
}

/// <summary>What is wrong with a <c>request</c>, if anything (see <see cref="WireLimits.CheckRequest"/>).</summary>
internal enum RequestFault
{
    /// <summary>A request an uploader may serve.</summary>
    None,
    /// <summary>More than <see cref="WireLimits.BlockLength"/> bytes.</summary>
    TooLong,
    /// <summary>Bytes past the end of the piece.</summary>
    PastPieceEnd,
}
