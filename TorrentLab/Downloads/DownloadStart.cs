using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>Where a download starts: the one storage layout of its files, passed to every part that touches the disk,
/// and the pieces already good there (the one resume decision, shared by both engines).</summary>
internal sealed class DownloadStart(StorageLayout layout, Bitfield have, FileOwnership ownership)
{
    /// <summary>Which existing files the download may resize and write (checked: nothing else is in the way).</summary>
    public FileOwnership Ownership { get; } = ownership;

    /// <summary>Where each file of the torrent lives below the output folder.</summary>
    public StorageLayout Layout { get; } = layout;

    public Torrent Torrent => Layout.Torrent;

    /// <summary>The pieces wanted and their priorities (every piece unless files are skipped).</summary>
    public PieceSelection Selection => Layout.Selection!;

    /// <summary>The pieces already verified on disk; the engine takes ownership.</summary>
    public Bitfield Have { get; } = have;

    /// <summary>How many pieces were already on disk when the download started.</summary>
    public int PiecesFromResume { get; } = have.Count;

    /// <summary>The resume decision: a trusted ledger, else a re-hash of whatever files exist, else nothing;
    /// <see cref="DownloadOptions.Resume"/> false deletes the ledger and starts fresh.</summary>
    /// <exception cref="StorageException">A torrent path would leave the output folder, or a file cannot be read.</exception>
    public static async Task<DownloadStart> PrepareAsync(Torrent torrent, DownloadOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(options);
        var layout = new StorageLayout(torrent, options.OutputDirectory);
        // The files wanted: as asked, else as the ledger recorded (a resumed selective download stays selective).
        layout.Selection = PieceSelection.For(torrent, options.FilePriorities
            ?? (options.Resume ? new ResumeLedger(layout).RecordedPriorities() : null));
        var ownership = FileOwnership.Read(layout); // which files are ours, read before a --no-resume deletes the ledger
        var have = await ResumeAsync(layout, options, ct).ConfigureAwait(false);
        // A file the torrent did not write is touched only if its pieces verify, or with --overwrite.
        await ownership.CheckAsync(options.Resume ? have : null, options.Overwrite, ct).ConfigureAwait(false);
        return new DownloadStart(layout, have, ownership);
    }

    private static async Task<Bitfield> ResumeAsync(StorageLayout layout, DownloadOptions options, CancellationToken ct)
    {
        var torrent = layout.Torrent;
        var ledger = new ResumeLedger(layout);
        if (!options.Resume)
        {
            if (ledger.Delete()) options.Log?.Invoke("resume ledger deleted: starting fresh");
            return new Bitfield(torrent.PieceCount);
        }
        var check = ledger.Validate();
        options.Log?.Invoke(check.Reason);
        if (check.Trusted is { } trusted) return trusted;
        if (!layout.FullPaths.Any(File.Exists)) return new Bitfield(torrent.PieceCount);
        options.Log?.Invoke("checking the existing files against the piece hashes");
        var have = await PieceVerifier.VerifyAsync(layout, cancellation: ct).ConfigureAwait(false);
        options.Log?.Invoke($"{have.Count} of {have.Length} pieces already good on disk");
        return have;
    }
}
