using TorrentLab.Downloads;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>Downloads a torrent from many peers at once in a session (the default engine; <c>MaxPeers == 1</c> is the
/// reference path's job), serving what it has meanwhile: from the resume decision (<see cref="DownloadStart"/>) ->
/// storage and ledger (<see cref="DownloadFiles"/>) -> the <see cref="TorrentSwarm"/> listens, announces, dials and
/// fetches -> complete: the ledger saved, then the same swarm, its connections kept, seeds on as a
/// <see cref="SeedingTorrent"/>, or stops. Cancelling stops every peer first, then saves the ledger once more, so a
/// later start trusts it; then <see cref="OperationCanceledException"/> is thrown.</summary>
internal static class SwarmDownload
{
    /// <summary>Downloads from where <paramref name="start"/> left off in <paramref name="session"/>, or seeds at once a
    /// torrent that has every piece it wants (<see cref="CompleteAtStart"/>).</summary>
    /// <exception cref="DownloadFailedException">No peer delivered data for <see cref="DownloadOptions.StallTimeout"/>.</exception>
    /// <exception cref="StorageException">Writing failed (e.g. the disk is full); the ledger keeps what was written.</exception>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ledger was saved first.</exception>
    public static Task<SwarmOutcome> RunAsync(DownloadStart start, DownloadOptions options, IProgress<DownloadProgress>? progress,
        Session session, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPeers, 1, nameof(options.MaxPeers));
        if (start.Selection.IsDoneIn(start.Have)) return CompleteAtStart.RunAsync(start, options, progress, session, ct);
        var storage = FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have, createNow: false, budget: session.OpenFiles);
        var swarm = new TorrentSwarm(session, start.Torrent, options, storage, start.Have, downloading: true, start.Selection);
        return DriveAsync(swarm, storage, options, progress, session, starting: true, ct);
    }

    /// <summary>Runs <paramref name="swarm"/> (started here when <paramref name="starting"/>; else a seeding torrent's,
    /// handed back by <see cref="SeedingTorrent.TryHandBack"/> to download more, its peers kept) until every wanted
    /// piece is written, then hands it on to seed or stops it.</summary>
    public static async Task<SwarmOutcome> DriveAsync(TorrentSwarm swarm, FileStorage storage, DownloadOptions options,
        IProgress<DownloadProgress>? progress, Session session, bool starting, CancellationToken ct)
    {
        swarm.Progress.ReportTo = progress;
        var files = new DownloadFiles(storage, swarm.WrittenSnapshot, options.LedgerInterval);
        // Whether and how long it seeds is live until complete; the rest of what changes live is the swarm's.
        var seedingChoice = new LiveChanges.SeedingChoice(options);
        var live = new LiveChanges.Target(selection => swarm.TrySetSelection(selection, storage.Layout), swarm.TrySetSequential,
            swarm.Announcing.TryReannounce, swarm.Announcing.TrySetTrackers, swarm.TryAddPeer, swarm.TrySetMaxPeers, seedingChoice.TrySet, swarm.TrySetSuperSeed);
        options.Live?.Attach(live);
        SeedingTorrent? seeding = null; // once set, the swarm and its storage are the seeding torrent's
        try
        {
            await files.StartAsync(ct).ConfigureAwait(false);
            if (starting) swarm.Start();
            await WaitAsync(swarm, files.Created, ct).ConfigureAwait(false);
            await files.CompleteAsync().ConfigureAwait(false);
            options = seedingChoice.Decide(options); // the seeding plan as it stands at completion
            var downloaded = swarm.Progress.Result();
            // The last map (its last pieces and who sent them) before the result, so a caller that reads the torrent's map
            // once it completes finds it whole; and again after it, the report that says every piece is here, as before.
            var last = swarm.Snapshot();
            progress?.Report(last);
            options.Events?.Downloaded(downloaded);
            progress?.Report(last);
            if (options.SeedAfterDownload) seeding = SeedingTorrent.TakeOver(session, swarm, files.HandOn(), options, swarm.WrittenSnapshot());
            return new(downloaded, seeding);
        }
        finally
        {
            options.Live?.Detach(live);
            if (seeding is null) await swarm.DisposeAsync().ConfigureAwait(false); // every peer has stopped: no write after the last save
            await files.DisposeAsync().ConfigureAwait(false);
        }
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
