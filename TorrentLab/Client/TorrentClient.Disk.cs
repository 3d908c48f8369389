using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>What a re-hash of a download found: the intact pieces, each file's completeness, and where the resume
/// ledger was written (null when it was not).</summary>
public sealed record VerifyReport(Bitfield Have, IReadOnlyList<FileProgress> Files, string? LedgerPath)
{
    /// <summary>The hashes the pieces were checked with (<see cref="PieceHashScheme"/>), as the ledger records them.</summary>
    public string HashScheme { get; init; } = PieceHashScheme.Sha1;

    /// <summary>The files wanted, as the resume ledger recorded them (every file when it recorded no selection): a
    /// skipped file's missing pieces are not damage.</summary>
    public PieceSelection Selection { get; init; } = null!;

    /// <summary>True when every wanted piece is intact.</summary>
    public bool IsComplete => Selection.IsDoneIn(Have);
}

public static partial class TorrentClient
{
    /// <summary>Re-hashes the download below <paramref name="folder"/> (BEP 3 piece hashes, BEP 52 merkle trees) and, when asked, rewrites
    /// its resume ledger to match.</summary>
    /// <exception cref="StorageException">The folder does not exist, a path leaves it, or a file cannot be read.</exception>
    public static Task<VerifyReport> VerifyAsync(Torrent torrent, string folder, bool writeLedger = true, CancellationToken ct = default) =>
        VerifyAsync(torrent, folder, writeLedger, checking: null, ct);

    /// <summary>As <see cref="VerifyAsync(Torrent, string, bool, CancellationToken)"/>, telling
    /// <paramref name="checking"/> the running total of bytes re-hashed.</summary>
    /// <exception cref="StorageException">The folder does not exist, a path leaves it, or a file cannot be read.</exception>
    public static async Task<VerifyReport> VerifyAsync(Torrent torrent, string folder, bool writeLedger, IProgress<long>? checking,
        CancellationToken ct = default)
    {
        if (!Directory.Exists(folder)) throw new StorageException($"output folder '{folder}' does not exist");
        var layout = new StorageLayout(torrent, folder);
        layout.Selection = PieceSelection.For(torrent, new ResumeLedger(layout).RecordedPriorities()); // kept when the ledger is rewritten
        var have = await PieceVerifier.VerifyAsync(layout, checking is null ? null : new PieceVerifierOptions { Progress = checking }, ct).ConfigureAwait(false);
        string? ledgerPath = null;
        if (writeLedger)
        {
            var ledger = new ResumeLedger(layout);
            ledger.Save(have, PieceHashScheme.FullCheck(torrent));
            ledgerPath = ledger.FilePath;
        }
        return new VerifyReport(have, FileProgress.Compute(torrent, have), ledgerPath)
        {
            HashScheme = PieceHashScheme.FullCheck(torrent),
            Selection = layout.Selection,
        };
    }

    /// <summary>Before a download into <paramref name="folder"/> starts: refuses one that would resize or write a file
    /// the torrent did not create and whose pieces do not verify (a failure of kind <see cref="FailureKind.Conflict"/>);
    /// when the torrent's files are there already and may be used, records the pieces that verify in its resume ledger,
    /// so the download (or the seeding) starts from them without hashing them a second time. Nothing is hashed when
    /// the ledger is trusted or no file of the torrent exists.</summary>
    /// <exception cref="StorageException">A file or a directory is in the way, a path leaves the folder, or a file
    /// cannot be read.</exception>
    /// <returns>What the ledger says now: the pieces known good (as <see cref="ReadLedger"/> would read them) and the
    /// file selection it recorded.</returns>
    public static Task<(PieceStates Pieces, IReadOnlyList<FilePriority>? Priorities)> PrepareFilesAsync(Torrent torrent, string folder,
        CancellationToken ct = default) =>
        PrepareFilesAsync(torrent, folder, skipChecking: false, ct);

    /// <summary>As <see cref="PrepareFilesAsync(Torrent, string, CancellationToken)"/>; with
    /// <paramref name="skipChecking"/>, data whose every file is there at its full length is recorded complete on the
    /// caller's word, without hashing (qBittorrent's "skip hash check", for data known to be right: a torrent made from
    /// it, or a copy). Data with a file missing or short is hashed as usual.</summary>
    /// <remarks>Wrong data recorded so is served as it is: peers find each bad piece by its hash and drop us. A recheck
    /// (<see cref="VerifyAsync(Torrent, string, bool, CancellationToken)"/>) finds what is really there.</remarks>
    /// <returns>As <see cref="PrepareFilesAsync(Torrent, string, CancellationToken)"/>: what the ledger says now.</returns>
    public static async Task<(PieceStates Pieces, IReadOnlyList<FilePriority>? Priorities)> PrepareFilesAsync(Torrent torrent, string folder,
        bool skipChecking, CancellationToken ct = default)
    {
        var layout = new StorageLayout(torrent, folder);
        var ledger = new ResumeLedger(layout) { ReadsOnce = true };
        var recorded = ledger.RecordedPriorities();
        layout.Selection = PieceSelection.For(torrent, recorded); // kept when the ledger is rewritten
        if (ledger.Validate().Trusted is { } trusted) return (PieceStates.From(trusted), recorded);
        if (!layout.FullPaths.Any(File.Exists)) return (PieceStates.From(new Bitfield(torrent.PieceCount)), recorded);
        var ownership = FileOwnership.Read(layout, ledger);
        var have = skipChecking && AllFilesWhole(torrent, layout)
            ? Bitfield.Full(torrent.PieceCount)
            : await PieceVerifier.VerifyAsync(layout, cancellation: ct).ConfigureAwait(false);
        await ownership.CheckAsync(have, overwrite: false, ct).ConfigureAwait(false);
        ledger.Save(have, PieceHashScheme.FullCheck(torrent));
        return (PieceStates.From(have), recorded);
    }

    /// <summary>True when every file of the torrent exists at exactly its length (pad files are not on disk: BEP 47).</summary>
    private static bool AllFilesWhole(Torrent torrent, StorageLayout layout)
    {
        for (var i = 0; i < torrent.Files.Count; i++)
        {
            if (torrent.Files[i].IsPadding) continue;
            var file = new FileInfo(layout.FullPaths[i]);
            if (!file.Exists || file.Length != torrent.Files[i].Length) return false;
        }
        return true;
    }

    /// <summary>What the resume ledger says, read once: the piece map known without hashing (the ledger's pieces when
    /// it can be trusted, else none; a stale ledger is re-checked when the download starts) and the file selection it
    /// recorded (one priority per file), or null when none.</summary>
    public static (PieceStates Pieces, IReadOnlyList<FilePriority>? Priorities) ReadLedger(Torrent torrent, string folder)
    {
        var ledger = new ResumeLedger(new StorageLayout(torrent, folder)) { ReadsOnce = true };
        return (PieceStates.From(ledger.Validate().Trusted ?? new Bitfield(torrent.PieceCount)), ledger.RecordedPriorities());
    }
}
