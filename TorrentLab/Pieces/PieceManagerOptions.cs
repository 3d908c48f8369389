namespace TorrentLab.Pieces;

/// <summary>Tuning for a <see cref="PieceManager"/>; the defaults suit one fast loopback peer and a modest swarm.</summary>
internal sealed record PieceManagerOptions
{
    /// <summary>Requests in flight per peer (pipelining). 64 x 16 KiB = 1 MiB outstanding, enough to keep a loopback
    /// or LAN peer busy; BEP 3's old advice of 5 leaves a fast link idle between round trips. A caller may ask for
    /// fewer per call (e.g. a peer's BEP 10 <c>reqq</c>) by passing a shorter span to FillRequests.</summary>
    public int MaxRequestsPerPeer { get; init; } = 64;

    /// <summary>A request unanswered this long is put back by <see cref="PieceManager.ExpireRequests"/>, unless it is
    /// only queued behind others the peer is still answering (it answered one within this time, and none asked later).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Memory bound: piece buffers in progress hold at most about this many bytes
    /// (at least <see cref="MinPiecesInProgress"/> pieces, whatever the piece length).</summary>
    public long MaxBytesInProgress { get; init; } = 32L * 1024 * 1024;

    /// <summary>Floor of the in-progress bound, so a torrent with huge pieces can still pipeline.</summary>
    public int MinPiecesInProgress { get; init; } = 2;

    /// <summary>Endgame: how many peers may be asked for the same block at once (1 disables duplicates).</summary>
    public int EndgameMaxRequestsPerBlock { get; init; } = 3;

    /// <summary>Chooses which new piece to start; null means <see cref="RarestFirstPicker"/>.</summary>
    public IPiecePicker? Picker { get; init; }

    /// <summary>Which pieces to download and in what priority (from the files' priorities); null: every piece.</summary>
    public PieceSelection? Selection { get; init; }

    /// <summary>The windows open streams read next (<see cref="ReadDemand"/>): their pieces are started before any other
    /// wanted piece, whatever the picker or the file priorities say; null: no stream.</summary>
    public ReadDemand? Demand { get; init; }

    /// <summary>The clock for request times; tests pass a manual one. Null means <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>The in-progress bound for a given piece length.</summary>
    internal int MaxPiecesInProgress(int pieceLength) =>
        (int)Math.Max(MinPiecesInProgress, Math.Min(MaxPieceCountInProgress, MaxBytesInProgress / Math.Max(1, pieceLength)));

    /// <summary>Whatever the bytes, at most this many pieces at once: tiny pieces (a few bytes) must not make the
    /// in-progress list, scanned on every request fill, millions long.</summary>
    private const int MaxPieceCountInProgress = 4096;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestsPerPeer, 1, nameof(MaxRequestsPerPeer));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinPiecesInProgress, 1, nameof(MinPiecesInProgress));
        ArgumentOutOfRangeException.ThrowIfLessThan(EndgameMaxRequestsPerBlock, 1, nameof(EndgameMaxRequestsPerBlock));
    }
}
