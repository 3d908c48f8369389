namespace TorrentLab.Pieces;

/// <summary>What happened to a block a peer sent: see <see cref="PieceManager.OnBlockReceived"/>.</summary>
internal enum BlockResultKind
{
    /// <summary>Nobody asked this peer for this: an unknown piece, an offset/length that is not one of the piece's
    /// blocks, or a block never requested from it. Nothing was stored or counted; a peer that keeps doing it is
    /// misbehaving.</summary>
    Unrequested,
    /// <summary>The block was already received (endgame duplicates, late answers to expired requests). Counted as waste.</summary>
    Duplicate,
    /// <summary>Stored; the piece still misses other blocks.</summary>
    Accepted,
    /// <summary>Only from <see cref="PieceManager.TakeBlock"/>: the block completed its piece, which is not hashed yet.
    /// Pass the result to <see cref="PieceManager.VerifyComplete"/> (once) for PieceVerified or PieceFailed.</summary>
    PieceComplete,
    /// <summary>The block completed its piece and the piece matched its SHA-1: write <see cref="BlockResult.Piece"/>
    /// and dispose it.</summary>
    PieceVerified,
    /// <summary>The block completed its piece but the SHA-1 did not match: the data was discarded, the piece will be
    /// requested again, <see cref="BlockResult.Contributors"/> lists who sent its blocks and
    /// <see cref="BlockResult.Culprits"/> who is proven to have lied.</summary>
    PieceFailed,
}

/// <summary>The outcome of one received block: a kind, and what the caller must act on.</summary>
/// <remarks>Switch on <see cref="Kind"/>. <see cref="CancelPeers"/> is filled in endgame for every kind that
/// stored the block: those peers were also asked for it and should get a BEP 3 <c>cancel</c>.</remarks>
internal readonly struct BlockResult
{
    private BlockResult(BlockResultKind kind, int pieceIndex, VerifiedPiece? piece, IReadOnlyList<IBlockSource>? contributors,
        IReadOnlyList<IBlockSource>? cancelPeers, IReadOnlyList<IBlockSource>? culprits = null, ActivePiece? completed = null)
    {
        Completed = completed;
        Kind = kind;
        PieceIndex = pieceIndex;
        Piece = piece;
        Contributors = contributors ?? [];
        CancelPeers = cancelPeers ?? [];
        Culprits = culprits ?? [];
    }

    public BlockResultKind Kind { get; }

    /// <summary>The piece the block belongs to (as sent by the peer, even when Unrequested).</summary>
    public int PieceIndex { get; }

    /// <summary>For <see cref="BlockResultKind.PieceVerified"/>: the verified bytes. The caller owns it and must
    /// dispose it (after writing) to return its pooled buffer; null for every other kind.</summary>
    public VerifiedPiece? Piece { get; }

    /// <summary>For <see cref="BlockResultKind.PieceFailed"/>: every peer that sent a block of the bad piece (not
    /// all of them lied: see <see cref="Culprits"/>); empty otherwise.</summary>
    public IReadOnlyList<IBlockSource> Contributors { get; }

    /// <summary>Peers proven to have sent bad data: the sole sender of a failed piece, or (with a verified piece) the
    /// senders whose blocks in an earlier failed copy differ from the good data. Empty when nobody is proven yet.</summary>
    public IReadOnlyList<IBlockSource> Culprits { get; }

    /// <summary>For <see cref="BlockResultKind.PieceComplete"/>: the piece waiting for its check.</summary>
    internal ActivePiece? Completed { get; }

    /// <summary>Other peers with an outstanding request for this same block (endgame): send them <c>cancel</c>.</summary>
    public IReadOnlyList<IBlockSource> CancelPeers { get; }

    internal static BlockResult Unrequested(int index) => new(BlockResultKind.Unrequested, index, null, null, null);
    internal static BlockResult Duplicate(int index) => new(BlockResultKind.Duplicate, index, null, null, null);
    internal static BlockResult Accepted(int index, IReadOnlyList<IBlockSource>? cancel) => new(BlockResultKind.Accepted, index, null, null, cancel);
    internal static BlockResult Complete(ActivePiece piece, IReadOnlyList<IBlockSource>? cancel) =>
        new(BlockResultKind.PieceComplete, piece.Index, null, null, cancel, completed: piece);
    internal static BlockResult Verified(VerifiedPiece piece, IReadOnlyList<IBlockSource>? cancel, IReadOnlyList<IBlockSource>? culprits = null) =>
        new(BlockResultKind.PieceVerified, piece.Index, piece, null, cancel, culprits);
    internal static BlockResult Failed(int index, IReadOnlyList<IBlockSource> contributors, IReadOnlyList<IBlockSource> culprits,
        IReadOnlyList<IBlockSource>? cancel) =>
        new(BlockResultKind.PieceFailed, index, null, contributors, cancel, culprits);

    public override string ToString() => $"{Kind} (piece {PieceIndex})";
}
