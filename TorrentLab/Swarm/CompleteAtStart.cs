using TorrentLab.Downloads;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>A torrent that has every piece it wants when it starts: its ledger written (it records the files as ours),
/// then either the result that says nothing was fetched, or its seeding started with no swarm until a peer comes.</summary>
internal static class CompleteAtStart
{
    /// <summary>True when there is nothing to do but say so: every wanted piece is here and it is not to seed.</summary>
    public static bool NothingToDo(DownloadStart start, DownloadOptions options) =>
        !options.SeedAfterDownload && start.Selection.IsDoneIn(start.Have);

    /// <summary>Records it (<see cref="RecordAsync"/>), or seeds it in <paramref name="session"/> when it is to
    /// (<see cref="SeedAsync"/>).</summary>
    public static async Task<SwarmOutcome> RunAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        Session session, CancellationToken ct)
    {
        if (!options.SeedAfterDownload) return new(await RecordAsync(start, options, progress, ct).ConfigureAwait(false), null);
        var (seeding, result) = await SeedAsync(start, options, session, ct).ConfigureAwait(false);
        return new(result, seeding);
    }

    /// <summary>Nothing to fetch and nothing to seed: no port is bound; the ledger is written and the result says so.</summary>
    public static async Task<DownloadResult> RecordAsync(DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        await WriteLedgerAsync(start, options, ct).ConfigureAwait(false);
        options.Log?.Invoke("already complete: nothing to download");
        var (pieces, bytes) = start.Selection.WantedIn(start.Have, start.Torrent);
        progress?.Report(new DownloadProgress(pieces, start.Selection.WantedCount, bytes, start.Selection.WantedBytes, 0, 0, 0, null, TimeSpan.Zero)
        {
            Pieces = PieceStates.From(start.Have),
        });
        var result = NothingDownloaded(start);
        options.Events?.Downloaded(result);
        return result;
    }

    /// <summary>Starts seeding it in <paramref name="session"/>, the ledger written first unless it was trusted. Returns
    /// the seeding torrent and the result it is to end with (null: made when it ends, for a whole torrent; a partial
    /// seed's says what it skipped).</summary>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    public static async ValueTask<(SeedingTorrent Seeding, DownloadResult? Result)> SeedAsync(DownloadStart start,
        DownloadOptions options, Session session, CancellationToken ct)
    {
        await WriteLedgerAsync(start, options, ct).ConfigureAwait(false); // at once with a trusted ledger
        var seeding = SeedingTorrent.Start(session, start.Torrent, options, start.Have);
        var result = start.Selection.Skipping(start.Torrent) is { } skipping ? seeding.SeededResult() with { Selected = skipping } : null;
        options.Events?.Downloaded(result ?? NothingDownloaded(start));
        return (seeding, result);
    }

    /// <summary>Writes the ledger, unless the one it started from says so already: a restart of thousands of seeding
    /// torrents opens and writes nothing.</summary>
    private static async Task WriteLedgerAsync(DownloadStart start, DownloadOptions options, CancellationToken ct)
    {
        if (start.LedgerTrusted) return;
        using var storage = FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have);
        await using var saver = new ResumeSaver(new ResumeLedger(start.Layout), storage, () => start.Have, options.LedgerInterval);
        await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false);
    }

    /// <summary>The result of a run that had every piece it wants at its start.</summary>
    private static DownloadResult NothingDownloaded(DownloadStart start) =>
        new(0, 0, start.Have.Count, [], [], TimeSpan.Zero) { Selected = start.Selection.Skipping(start.Torrent) };
}
