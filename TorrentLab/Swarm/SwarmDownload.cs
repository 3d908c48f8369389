using TorrentLab.Downloads;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>What a swarm download came to: its result, and, when it is to seed, the torrent seeding on in its session
/// as a record of the session (no task waits with it).</summary>
/// <param name="Result">What it downloaded; null for a whole torrent that seeds from the start (its result is made when
/// its seeding ends).</param>
/// <param name="Seeding">The torrent seeding on, or null when it does not seed.</param>
internal readonly record struct SwarmOutcome(DownloadResult? Result, SeedingTorrent? Seeding);

/// <summary>Downloads a torrent from many peers at once in a session (the default engine; <c>MaxPeers == 1</c> is the
/// reference path's job), serving what it has to others meanwhile, and hands it on to seed when it is to.</summary>
/// <remarks>
/// The story: from the resume decision made (<see cref="DownloadStart"/>) -> open storage -> listen, announce
/// <c>started</c>, dial peers -> pieces flow through the <see cref="Pieces.PieceManager"/> (rarest first, endgame) ->
/// each verified piece is written, announced with <c>have</c> and recorded by the periodic ledger save -> the ledger
/// saved at completion -> the same swarm, its connections kept, seeds on as a <see cref="SeedingTorrent"/>
/// (<see cref="DownloadOptions.SeedAfterDownload"/>), or announces <c>stopped</c>. Cancelling stops every peer first,
/// then writes the ledger once more, so a later run trusts it; then <see cref="OperationCanceledException"/> is thrown.
/// </remarks>
internal static class SwarmDownload
{
    /// <summary>True when there is nothing to do but say so: every wanted piece is here and it is not to seed.</summary>
    public static bool NothingToDo(DownloadStart start, DownloadOptions options) =>
        !options.SeedAfterDownload && start.Selection.IsDoneIn(start.Have);

    /// <summary>Downloads from where <paramref name="start"/> left off in <paramref name="session"/>, or seeds at once a
    /// torrent that has every piece it wants.</summary>
    /// <exception cref="DownloadFailedException">No peer delivered data for <see cref="DownloadOptions.StallTimeout"/>.</exception>
    /// <exception cref="StorageException">Writing failed (e.g. the disk is full); the ledger keeps what was written.</exception>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ledger was saved first.</exception>
    public static async Task<SwarmOutcome> RunAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        Session session, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPeers, 1, nameof(options.MaxPeers));
        if (NothingToDo(start, options)) return new(await CompleteAtStart.RecordAsync(start, options, progress, ct).ConfigureAwait(false), null);
        if (start.Selection.IsDoneIn(start.Have))
        {
            // A complete torrent seeds with no swarm until a peer comes (no storage opened here).
            var (seeding, result) = await CompleteAtStart.SeedAsync(start, options, session, ct).ConfigureAwait(false);
            return new(result, seeding);
        }
        return await DownloadAsync(start, options, progress, session, ct).ConfigureAwait(false);
    }

    private static Task<SwarmOutcome> DownloadAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        Session session, CancellationToken ct)
    {
        // Files are created by their first piece or in the background (below), not all before the first connection: a
        // torrent of 500,000 files took minutes to create them, and meanwhile nothing listened, announced or timed out.
        var storage = FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have, createNow: false, budget: session.OpenFiles);
        var swarm = new TorrentSwarm(session, start.Torrent, options, storage, start.Have, downloading: true, start.Selection);
        return DriveAsync(swarm, storage, options, progress, session, starting: true, ct);
    }

    /// <summary>Downloads what a seeding torrent's new file priorities want in the swarm it ran
    /// (<see cref="SeedingTorrent.TryHandBack"/>), its peers kept, and seeds on after as a download does.</summary>
    public static Task<SwarmOutcome> DownloadMoreAsync(TorrentSwarm swarm, FileStorage storage, DownloadOptions options,
        IProgress<DownloadProgress>? progress, Session session, CancellationToken ct) =>
        DriveAsync(swarm, storage, options, progress, session, starting: false, ct);

    /// <summary>Runs <paramref name="swarm"/> until every wanted piece is written (started here when
    /// <paramref name="starting"/>, else running already), saving the ledger, then hands it on to seed or stops it.</summary>
    private static async Task<SwarmOutcome> DriveAsync(TorrentSwarm swarm, FileStorage storage, DownloadOptions options,
        IProgress<DownloadProgress>? progress, Session session, bool starting, CancellationToken ct)
    {
        swarm.Progress.ReportTo = progress;
        var saver = new ResumeSaver(new ResumeLedger(storage.Layout), storage, swarm.WrittenSnapshot, options.LedgerInterval);
        // Whether and how long it seeds is live until complete; the rest of what changes live is the swarm's.
        var seedingChoice = new LiveChanges.SeedingChoice(options);
        var live = new LiveChanges.Target(selection => swarm.TrySetSelection(selection, storage.Layout), swarm.TrySetSequential,
            swarm.Announcing.TryReannounce, swarm.Announcing.TrySetTrackers, swarm.TryAddPeer, swarm.TrySetMaxPeers, seedingChoice.TrySet, swarm.TrySetSuperSeed);
        options.Live?.Attach(live);
        using var stopCreating = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var creating = Task.CompletedTask;
        SeedingTorrent? seeding = null; // once set, the swarm and its storage are the seeding torrent's
        try
        {
            await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false); // records the files already there as ours at once
            if (starting) swarm.Start();
            creating = CreateFilesAsync(storage, saver, stopCreating.Token);
            await WaitAsync(swarm, creating, ct).ConfigureAwait(false);
            await creating.ConfigureAwait(false); // complete means every file exists (an empty one gets no piece)
            // Complete: a cancel arriving now (the caller reacting to the last piece) must not turn it into a failure.
            await saver.SaveNowAsync(force: true, CancellationToken.None).ConfigureAwait(false);
            await saver.DisposeAsync().ConfigureAwait(false); // nothing is written while seeding: no more periodic saves
            options = seedingChoice.Decide(options); // the seeding plan as it stands at completion
            var downloaded = Result(swarm);
            var last = swarm.Snapshot();
            // The last map (its last pieces and who sent them) before the result, so a caller that reads the torrent's map
            // once it completes finds it whole; and again after it, the report that says every piece is here, as before.
            progress?.Report(last);
            options.Events?.Downloaded(downloaded);
            progress?.Report(last);
            // Seeding goes on in the same swarm, its connections kept, until its peers leave; then the torrent holds no
            // swarm until one comes.
            if (options.SeedAfterDownload) seeding = SeedingTorrent.TakeOver(session, swarm, storage, options, swarm.WrittenSnapshot());
            return new(downloaded, seeding);
        }
        finally
        {
            options.Live?.Detach(live);
            await stopCreating.CancelAsync().ConfigureAwait(false);
            try { await creating.ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or StorageException) { } // already thrown above, or stopping
            if (seeding is null)
            {
                await swarm.DisposeAsync().ConfigureAwait(false); // every peer has stopped: no write after the last save
                await saver.DisposeAsync().ConfigureAwait(false);   // the final ledger save (completion or cancel)
                storage.Dispose();
            }
        }
    }

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
}
