namespace TorrentLab.Downloads;

/// <summary>A snapshot of a download, reported a few times a second to whoever shows progress.</summary>
/// <param name="PiecesDone">Verified pieces, including those found on disk at start.</param>
/// <param name="PieceCount">Pieces in the torrent.</param>
/// <param name="BytesDone">Verified bytes.</param>
/// <param name="TotalBytes">Bytes in the torrent.</param>
/// <param name="DownloadRate">Payload bytes per second received recently.</param>
/// <param name="UploadRate">Payload bytes per second sent recently.</param>
/// <param name="ConnectedPeers">Peers with an open connection.</param>
/// <param name="CurrentPeer">The peer being downloaded from (single-peer path), else null.</param>
/// <param name="Elapsed">Time since the download started.</param>
public sealed record DownloadProgress(
    int PiecesDone, int PieceCount, long BytesDone, long TotalBytes,
    double DownloadRate, double UploadRate, int ConnectedPeers, string? CurrentPeer, TimeSpan Elapsed)
{
    /// <summary>Bytes uploaded to other peers so far.</summary>
    public long Uploaded { get; init; }

    /// <summary>Peers dropped for breaking the protocol or sending data that failed its hash.</summary>
    public int BadPeers { get; init; }

    /// <summary>How many peer addresses each discovery source gave (swarm engine); <see cref="PeerSources.None"/> else.</summary>
    public PeerSources PeerSources { get; init; } = PeerSources.None;

    /// <summary>Per-peer detail, filled only when asked for (verbose display).</summary>
    public IReadOnlyList<PeerProgress> Peers { get; init; } = [];

    /// <summary>Every piece's state for a piece map; null when the engine does not report it.</summary>
    public PieceStates? Pieces { get; init; }

    /// <summary>Done as a fraction 0..1.</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesDone / TotalBytes;

    /// <summary>Estimated time left at the current rate; null while the rate is zero or the estimate is over a year.</summary>
    public TimeSpan? Eta
    {
        get
        {
            var seconds = DownloadRate <= 0 ? double.PositiveInfinity : (TotalBytes - BytesDone) / DownloadRate;
            return seconds < TimeSpan.FromDays(365).TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
        }
    }
}

/// <summary>One connected peer's rates, for the verbose progress display.</summary>
public sealed record PeerProgress(string Address, string Client, double DownloadRate, double UploadRate, bool PeerChoking, bool AmInterested);
