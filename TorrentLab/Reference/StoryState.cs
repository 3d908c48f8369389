using System.Diagnostics;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Reference;

/// <summary>What the reference story has done so far (peers tried, bad peers, pieces on disk), and the progress
/// reports and piece map made from it.</summary>
internal sealed class StoryState(Torrent torrent, PieceManager pieces, Bitfield written, Stopwatch clock, IProgress<DownloadProgress>? progress)
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);
    private TimeSpan? _lastReport;

    public RateMeter Received { get; } = new();
    public List<string> Failures { get; } = [];
    public List<string> BadPeers { get; } = [];
    public HashSet<string> PeersUsed { get; } = [];
    public string? CurrentPeer { get; set; }
    /// <summary>Pieces whose last copy failed its hash (shown on the piece map until a good copy arrives).</summary>
    public HashSet<int> FailedPieces { get; } = [];

    /// <summary>ledger: records that a verified piece reached the disk (the resume saver writes it at its next save).</summary>
    public void Stored(int index)
    {
        lock (written) written.Set(index);
    }

    /// <summary>The pieces on disk now, for the resume saver.</summary>
    public Bitfield Written()
    {
        lock (written) return Bitfield.FromWire(written.ToBytes(), torrent.PieceCount);
    }

    public void Report(string? peer, bool force = false)
    {
        if (progress is null || (!force && _lastReport is { } last && clock.Elapsed - last < ReportInterval)) return;
        _lastReport = clock.Elapsed;
        var wanted = pieces.Selection;
        var (done, bytes) = wanted.WantedIn(pieces.SnapshotHave(), torrent);
        progress.Report(new DownloadProgress(done, wanted.WantedCount, bytes, wanted.WantedBytes,
            Received.BytesPerSecond, 0, peer is null ? 0 : 1, peer ?? CurrentPeer, clock.Elapsed)
        {
            BadPeers = BadPeers.Count,
            // The piece map: verified from the have bitfield, requested = being assembled, failed = last copy was bad.
            Pieces = PieceStates.From(pieces.SnapshotHave(), pieces.SnapshotInProgress(), FailedPieces),
        });
    }

    public DownloadResult Result(int piecesFromResume) =>
        new(Received.Total, 0, piecesFromResume, PeersUsed.ToArray(), BadPeers.ToArray(), clock.Elapsed)
        {
            Selected = pieces.Selection.Skipping(torrent),
        };
}
