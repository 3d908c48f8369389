namespace TorrentLab.Downloads;

/// <summary>How a finished download went: what was fetched, from whom, and who misbehaved.</summary>
/// <param name="Downloaded">Payload bytes received from peers (including wasted ones).</param>
/// <param name="Uploaded">Payload bytes sent to peers.</param>
/// <param name="PiecesFromResume">Pieces already complete on disk at start (from the ledger or a check).</param>
/// <param name="PeersUsed">Peers that delivered at least one verified piece.</param>
/// <param name="BadPeers">Peers dropped for protocol violations or data failing its hash, with the reason.</param>
/// <param name="Elapsed">Wall-clock time of the download.</param>
public sealed record DownloadResult(long Downloaded, long Uploaded, int PiecesFromResume, IReadOnlyList<string> PeersUsed,
    IReadOnlyList<string> BadPeers, TimeSpan Elapsed)
{
    /// <summary>How many peer addresses each discovery source gave (swarm engine).</summary>
    public PeerSources PeerSources { get; init; } = PeerSources.None;

    /// <summary>Bytes of the pieces wanted when files were skipped (<see cref="DownloadOptions.FilePriorities"/>), and
    /// how many files were skipped; null when every file was wanted.</summary>
    public (long Bytes, int SkippedFiles)? Selected { get; init; }

    /// <summary>Average payload rate over the whole download, bytes per second.</summary>
    public double AverageRate => Elapsed.TotalSeconds <= 0 ? 0 : Downloaded / Elapsed.TotalSeconds;
}
