using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>How <see cref="TorrentClient.AdoptFilesAsync"/> took another client's data.</summary>
public enum AdoptedData
{
    /// <summary>The other client had every piece and every file is there at its full size: recorded complete, nothing hashed.</summary>
    CompleteNotHashed,

    /// <summary>The other client had some pieces: those pieces alone were hashed and the good ones recorded.</summary>
    ClaimedPiecesHashed,

    /// <summary>A file the other client had is missing or of another size: nothing recorded; the torrent's start checks it.</summary>
    NeedsCheck,

    /// <summary>Every piece was hashed, as asked (a recheck).</summary>
    Hashed,
}

/// <summary>What <see cref="TorrentClient.AdoptFilesAsync"/> found and recorded (made by it alone: a field added later
/// breaks no caller).</summary>
public sealed record AdoptReport
{
    internal AdoptReport(AdoptedData kind, Bitfield have, int claimed) => (Kind, Have, Claimed) = (kind, have, claimed);

    /// <summary>How the data was taken.</summary>
    public AdoptedData Kind { get; }

    /// <summary>The pieces recorded in the resume ledger (none for <see cref="AdoptedData.NeedsCheck"/>).</summary>
    public Bitfield Have { get; }

    /// <summary>How many pieces the other client said it had.</summary>
    public int Claimed { get; }
}

public static partial class TorrentClient
{
    /// <summary>Takes over data another client downloaded into <paramref name="folder"/> and records it in the resume
    /// ledger with the file selection <paramref name="priorities"/>, so a later start neither hashes it again nor
    /// fetches it again. The rule: a torrent the other client had whole, whose files are all there at their full size,
    /// is recorded complete without hashing (the size check of qBittorrent's <c>skip_checking</c>, see
    /// <see cref="PrepareFilesAsync(Torrent, string, bool, CancellationToken)"/>); of a torrent it had in part, only the
    /// pieces it claimed are hashed (its other pieces are not there to find), so the download resumes where it
    /// stopped; when a file is missing or of another size, nothing is recorded and the start checks the files.</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="folder">Its save folder.</param>
    /// <param name="claimed">The pieces the other client said it had; null when it did not say (every piece is hashed).</param>
    /// <param name="priorities">One priority per file; null for every file at normal priority.</param>
    /// <param name="recheck">Hash every piece whatever the other client said.</param>
    /// <param name="ct">Stops the hashing.</param>
    /// <exception cref="StorageException">A path leaves the folder, or a file cannot be read.</exception>
    public static async Task<AdoptReport> AdoptFilesAsync(Torrent torrent, string folder, Bitfield? claimed,
        IReadOnlyList<FilePriority>? priorities, bool recheck, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        if (claimed is not null && claimed.Length != torrent.PieceCount)
            throw new ArgumentException($"the claimed pieces are {claimed.Length}, the torrent has {torrent.PieceCount}", nameof(claimed));
        if (priorities is not null && priorities.Count != torrent.Files.Count)
            throw new ArgumentException($"{priorities.Count} priorities for {torrent.Files.Count} files", nameof(priorities));
        var layout = new StorageLayout(torrent, folder) { Selection = PieceSelection.For(torrent, priorities) };
        var ledger = new ResumeLedger(layout);
        var claimedCount = claimed?.Count ?? torrent.PieceCount;
        AdoptReport report;
        if (recheck || claimed is null)
            report = new(AdoptedData.Hashed, await PieceVerifier.VerifyAsync(layout, cancellation: ct).ConfigureAwait(false), claimedCount);
        else if (claimed.IsComplete)
            report = AllFilesWhole(torrent, layout)
                ? new(AdoptedData.CompleteNotHashed, Bitfield.Full(torrent.PieceCount), claimedCount)
                : new(AdoptedData.NeedsCheck, new Bitfield(torrent.PieceCount), claimedCount);
        else if (claimed.IsEmpty)
            report = new(AdoptedData.ClaimedPiecesHashed, new Bitfield(torrent.PieceCount), 0);
        else
            report = new(AdoptedData.ClaimedPiecesHashed,
                await PieceVerifier.VerifyAsync(layout, new PieceVerifierOptions { Only = claimed }, ct).ConfigureAwait(false), claimedCount);
        if (report.Kind == AdoptedData.NeedsCheck)
        {
            ledger.Delete(); // an older ledger of ours says nothing about these files
            return report;
        }
        ledger.Save(report.Have, PieceHashScheme.FullCheck(torrent));
        return report;
    }
}
