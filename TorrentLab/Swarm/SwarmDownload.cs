using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Downloads a torrent from many peers at once (the default engine; <c>MaxPeers == 1</c> is the reference
/// path's job), serving what it has to others meanwhile, and optionally seeding afterwards.</summary>
/// <remarks>
/// The story: resume (trusted ledger, else a re-hash of existing files) -> open storage -> listen, announce
/// <c>started</c>, dial peers -> pieces flow through the <see cref="Pieces.PieceManager"/> (rarest first, endgame) ->
/// each verified piece is written, announced with <c>have</c> and recorded by the periodic ledger save -> announce
/// <c>completed</c> -> optionally seed (<see cref="DownloadOptions.SeedAfterDownload"/>) -> announce <c>stopped</c>.
/// Cancelling stops every peer first, then writes the ledger once more, so a later run trusts it; then
/// <see cref="OperationCanceledException"/> is thrown.
/// </remarks>
internal static class SwarmDownload
{
    /// <summary>The saved DHT routing table's file name, in the output folder's state folder.</summary>
    public const string DhtStateFile = "dht.json";

    /// <summary>Where a download into <paramref name="outputDirectory"/> keeps the DHT routing table: beside its resume ledgers.</summary>
    public static string DhtStatePathIn(string outputDirectory) =>
        Path.Combine(OutputPaths.Root(outputDirectory), OutputPaths.StateFolder, DhtStateFile);

    /// <summary>Downloads <paramref name="torrent"/> into <see cref="DownloadOptions.OutputDirectory"/>.</summary>
    /// <exception cref="DownloadFailedException">No peer delivered data for <see cref="DownloadOptions.StallTimeout"/>.</exception>
    /// <exception cref="StorageException">Writing failed (e.g. the disk is full); the ledger keeps what was written.</exception>
    /// <exception cref="SwarmException">No port to listen on.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ledger was saved first.</exception>
    /// <remarks>While seeding after the download, cancellation ends the seeding and the result is returned (the
    /// download itself succeeded).</remarks>
    public static async Task<DownloadResult> RunAsync(Torrent torrent, DownloadOptions options, IProgress<DownloadProgress>? progress,
        CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPeers, 1, nameof(options.MaxPeers));
        var start = await DownloadStart.PrepareAsync(torrent, options, ct).ConfigureAwait(false);
        return await RunAsync(start, options, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads from where <paramref name="start"/> left off (the front door made the resume decision), in
    /// <paramref name="session"/>, or in a session of its own made from <see cref="DownloadOptions.Session"/> (with the
    /// DHT table kept beside the resume ledgers) when that is null.</summary>
    internal static Task<DownloadResult> RunAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        CancellationToken ct, Session? session = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPeers, 1, nameof(options.MaxPeers));
        var done = start.Selection.IsDoneIn(start.Have);
        if (done && !options.SeedAfterDownload) return AlreadyCompleteAsync(start, options, progress, ct);
        // In a session it was given, a complete torrent seeds with no swarm until a peer comes (no storage opened here).
        if (done && session is not null) return SeedCompleteAsync(start, options, progress, session, ct);
        return DownloadAsync(start, options, progress, ct, session);
    }

    private static async Task<DownloadResult> DownloadAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        CancellationToken ct, Session? session)
    {
        var torrent = start.Torrent;
        // The DHT routing table lives beside the resume ledgers, so the next download in this folder needs no bootstrap node.
        await using var own = session is null
            ? Session.Start(options.Session with { DhtStatePath = options.Session.DhtStatePath ?? DhtStatePathIn(options.OutputDirectory), Log = options.Session.Log ?? options.Log, Trace = options.Session.Trace ?? options.Trace })
            : null;
        if (start.Selection.IsDoneIn(start.Have)) return await SeedCompleteAsync(start, options, progress, own!, ct).ConfigureAwait(false);
        // Files are created by their first piece or in the background (below), not all before the first connection: a
        // torrent of 500,000 files took minutes to create them, and meanwhile nothing listened, announced or timed out.
        var host = session ?? own!;
        using var storage = FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have, createNow: false, budget: host.OpenFiles);
        var ledger = new ResumeLedger(start.Layout);
        var swarm = new TorrentSwarm(host, torrent, options, storage, start.Have, downloading: true, start.Selection) { Progress = { ReportTo = progress } };
        var saver = new ResumeSaver(ledger, storage, swarm.WrittenSnapshot, options.LedgerInterval);
        // File priorities, order, trackers and peers change while it downloads (the session's handle asks here before it
        // restarts); a seeding torrent that takes over attaches its own.
        var seedingChoice = new LiveChanges.SeedingChoice(options); // whether and how long it seeds, live until complete
        var live = new LiveChanges.Target(selection => swarm.TrySetSelection(selection, start.Layout), swarm.TrySetSequential,
            swarm.Announcing.TryReannounce, swarm.Announcing.TrySetTrackers, swarm.TryAddPeer, swarm.TrySetMaxPeers, seedingChoice.TrySet, swarm.TrySetSuperSeed);
        options.Live?.Attach(live);
        using var stopCreating = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var creating = Task.CompletedTask;
        try
        {
            await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false); // records the files already there as ours at once
            swarm.Start();
            creating = CreateFilesAsync(storage, saver, stopCreating.Token);
            await WaitAsync(swarm, creating, ct).ConfigureAwait(false);
            await creating.ConfigureAwait(false); // complete means every file exists (an empty one gets no piece)
            // Complete: a cancel arriving now (the caller reacting to the last piece) must not turn it into a failure.
            await saver.SaveNowAsync(force: true, CancellationToken.None).ConfigureAwait(false);
            await saver.DisposeAsync().ConfigureAwait(false); // nothing is written while seeding: no more periodic saves
            options = seedingChoice.Decide(options); // the seeding plan as it stands at completion
            var downloaded = Result(swarm);
            options.Events?.Downloaded(downloaded); // before the report that says every piece is here
            progress?.Report(swarm.Snapshot());
            if (!options.SeedAfterDownload) return downloaded;
            // Seeding goes on in the same swarm until its peers leave; then the torrent holds no swarm until one comes.
            var seeding = SeedingTorrent.TakeOver(host, swarm, storage, options, swarm.WrittenSnapshot());
            return await SeedUntilDoneAsync(seeding, downloaded, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            options.Live?.Detach(live);
            await stopCreating.CancelAsync().ConfigureAwait(false);
            try { await creating.ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or StorageException) { } // already thrown above, or stopping
            await swarm.DisposeAsync().ConfigureAwait(false); // every peer has stopped: no write after the last save
            await saver.DisposeAsync().ConfigureAwait(false);   // the final ledger save (completion or cancel)
        }
    }

    /// <summary>Everything wanted is on disk and the torrent is to be seeded: the ledger is written (it records the
    /// files as ours) and the torrent seeds with no swarm until a peer comes.</summary>
    private static async Task<DownloadResult> SeedCompleteAsync(DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, Session session, CancellationToken ct)
    {
        var (seeding, result) = await StartSeedingAsync(start, options, session, ct).ConfigureAwait(false);
        return await SeedUntilDoneAsync(seeding, result, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Starts seeding a torrent that has everything it wants in <paramref name="session"/>, the ledger written
    /// first unless it was trusted. Returns the seeding torrent and the result it is to end with (null: made when it
    /// ends, for a whole torrent; a partial seed's says what it skipped).</summary>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    internal static async ValueTask<(SeedingTorrent Seeding, DownloadResult? Result)> StartSeedingAsync(DownloadStart start,
        DownloadOptions options, Session session, CancellationToken ct)
    {
        await RecordAsync(start, options, ct).ConfigureAwait(false); // at once with a trusted ledger
        var seeding = SeedingTorrent.Start(session, start.Torrent, options, start.Have);
        var result = start.Selection.Skipping(start.Torrent) is { } skipping ? seeding.SeededResult() with { Selected = skipping } : null;
        options.Events?.Downloaded(result ?? NothingDownloaded(start));
        return (seeding, result);
    }

    /// <summary>Writes the ledger of a download that has everything it wants (it records the files as ours), unless
    /// the ledger it started from says so already: a restart of thousands of seeding torrents opens and writes nothing.</summary>
    private static async Task RecordAsync(DownloadStart start, DownloadOptions options, CancellationToken ct)
    {
        if (start.LedgerTrusted) return;
        using var storage = FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have);
        await using var saver = new ResumeSaver(new ResumeLedger(start.Layout), storage, () => start.Have, options.LedgerInterval);
        await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false);
    }

    /// <summary>Nothing to fetch: no port is bound; the ledger is written (it records the files as ours) and the
    /// result says so.</summary>
    private static async Task<DownloadResult> AlreadyCompleteAsync(DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        await RecordAsync(start, options, ct).ConfigureAwait(false);
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

    /// <summary>The result of a run that had every piece it wants at its start.</summary>
    private static DownloadResult NothingDownloaded(DownloadStart start) =>
        new(0, 0, start.Have.Count, [], [], TimeSpan.Zero) { Selected = start.Selection.Skipping(start.Torrent) };

    private static DownloadResult Result(TorrentSwarm swarm) =>
        new(swarm.Received, swarm.Uploaded, swarm.StartPieces, swarm.PeersUsed, swarm.BadPeers, swarm.Elapsed)
        {
            PeerSources = swarm.PeerSources,
            Selected = swarm.Selected,
        };

    /// <summary>Creates the files no piece has reached yet, then records them all in the ledger.</summary>
    private static async Task CreateFilesAsync(FileStorage storage, ResumeSaver saver, CancellationToken ct)
    {
        await storage.CreateRemainingAsync(ct).ConfigureAwait(false);
        await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false);
    }

    /// <summary>Until the swarm completes or fails, the file creation fails, or <paramref name="ct"/> is cancelled.</summary>
    private static async Task WaitAsync(TorrentSwarm swarm, Task creating, CancellationToken ct)
    {
        var cancelled = Task.Delay(Timeout.Infinite, ct);
        var first = await Task.WhenAny(swarm.Completion, swarm.Failure, cancelled, creating).ConfigureAwait(false);
        if (first == creating && !creating.IsCompletedSuccessfully) await creating.ConfigureAwait(false); // throws why
        if (first == creating) first = await Task.WhenAny(swarm.Completion, swarm.Failure, cancelled).ConfigureAwait(false);
        if (first == swarm.Failure) await swarm.Failure.ConfigureAwait(false); // throws the failure
        if (!swarm.Completion.IsCompleted) ct.ThrowIfCancellationRequested();
    }

    /// <summary>Seeds until its ratio or time limit (if any, changed live through the handle) or cancellation, then
    /// stops seeding and completes <paramref name="result"/> with its totals; a failure to read the data is thrown.</summary>
    private static Task<DownloadResult> SeedUntilDoneAsync(SeedingTorrent seeding, DownloadResult? result,
        IProgress<DownloadProgress>? progress, CancellationToken ct) =>
        // The torrent waits without a frame of this class: its limits are timers of its own.
        seeding.SeedUntilCancelled(result, progress, ct);
}
