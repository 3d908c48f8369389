using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>Where a download starts: the one storage layout of its files, passed to every part that touches the disk,
/// and the pieces already good there (the one resume decision, shared by both engines).</summary>
internal sealed class DownloadStart(StorageLayout layout, Bitfield have, FileOwnership ownership, bool ledgerTrusted)
{
    /// <summary>The pieces came from a resume ledger that was trusted as it is, with the selection asked for: it need
    /// not be written again until something changes.</summary>
    public bool LedgerTrusted { get; } = ledgerTrusted;

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
    /// <param name="torrent">The torrent.</param>
    /// <param name="options">Its output folder, resume choice and file priorities.</param>
    /// <param name="ct">Cancels a re-hash.</param>
    /// <param name="inTurn">Runs a re-hash of the files in its turn among other torrents' (a session's: thousands of
    /// torrents started at once read one torrent's files at a time); null runs it at once. A trusted ledger needs no turn.</param>
    /// <exception cref="StorageException">A torrent path would leave the output folder, or a file cannot be read.</exception>
    public static async Task<DownloadStart> PrepareAsync(Torrent torrent, DownloadOptions options, CancellationToken ct,
        Func<Func<Task<Bitfield>>, Task<Bitfield>>? inTurn = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(options);
        var layout = new StorageLayout(torrent, options.OutputDirectory);
        // The files wanted: as asked, else as the ledger recorded (a resumed selective download stays selective).
        var ledger = new ResumeLedger(layout) { ReadsOnce = true }; // read once for the priorities, the files and the pieces
        var recorded = PieceSelection.For(torrent, options.Resume ? ledger.RecordedPriorities() : null);
        layout.Selection = options.FilePriorities is { } asked ? PieceSelection.For(torrent, asked) : recorded;
        var ownership = FileOwnership.Read(layout, ledger); // which files are ours, read before a --no-resume deletes the ledger
        var (have, trusted) = await ResumeAsync(layout, ledger, options, inTurn ?? (check => check()), ct).ConfigureAwait(false);
        // A file the torrent did not write is touched only if its pieces verify, or with --overwrite.
        await ownership.CheckAsync(options.Resume ? have : null, options.Overwrite, ct).ConfigureAwait(false);
        // The ledger says all there is to say when it is trusted and records the selection asked for.
        return new DownloadStart(layout, have, ownership, trusted && recorded.Files.SequenceEqual(layout.Selection.Files));
    }

    private static async Task<(Bitfield Have, bool Trusted)> ResumeAsync(StorageLayout layout, ResumeLedger ledger, DownloadOptions options,
        Func<Func<Task<Bitfield>>, Task<Bitfield>> inTurn, CancellationToken ct)
    {
        var torrent = layout.Torrent;
        if (!options.Resume)
        {
            if (ledger.Delete()) options.Log?.Invoke("resume ledger deleted: starting fresh");
            return (new Bitfield(torrent.PieceCount), false);
        }
        var check = ledger.Validate();
        options.Log?.Invoke(check.Reason);
        if (check.Trusted is { } trusted) return (trusted, true);
        if (!layout.FullPaths.Any(File.Exists)) return (new Bitfield(torrent.PieceCount), false);
        options.Log?.Invoke("checking the existing files against the piece hashes");
        var checking = options.Checking is null ? null : new PieceVerifierOptions { Progress = options.Checking };
        var have = await inTurn(() => PieceVerifier.VerifyAsync(layout, checking, ct)).ConfigureAwait(false);
        options.Log?.Invoke($"{have.Count} of {have.Length} pieces already good on disk");
        return (have, false);
    }
}
