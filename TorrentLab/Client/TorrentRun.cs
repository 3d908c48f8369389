using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;

namespace TorrentLab.Client;

/// <summary>One run of a torrent in a session (a <see cref="TorrentHandle"/> starts one per start or resume): started with
/// <see cref="TorrentClient.Start"/>, stopped with <see cref="StopAsync"/>, its progress and its end told to its
/// <see cref="ITorrentRunObserver"/>.</summary>
/// <remarks>
/// A run is a task while it prepares (the resume decision, a re-hash) or downloads. A torrent that seeds is not,
/// whether it had everything it wants at its start or its download has just completed (its ratio or time limit is a
/// timer of its own): it becomes a record of the session (a <see cref="SeedingTorrent"/>, the download's swarm and
/// connections handed to it), and the task, its frame and its cancellation are let go. libtorrent and Transmission
/// hold a seeding torrent the same way, as an entry of the session rather than something that waits. A record whose
/// file priorities come to want more downloads again in the same swarm, a task again (<see cref="ISeedingEnd.DownloadMore"/>).
/// </remarks>
internal sealed class TorrentRun : ISeedingEnd, IProgress<DownloadProgress>
{
    private readonly ITorrentRunObserver _observer;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _cts;   // while a task runs; guarded by _lock, as the fields below
    private SeedingTorrent? _seeding;        // while it seeds as a record of the session
    private TaskCompletionSource? _ended;    // made by StopAsync or at the end; completed once the observer heard the end
    private bool _stopAsked, _hasEnded;

    private readonly Session? _session;
    private bool _seedOnly; // seeds files it does not own (StartSeeding): never downloads into them

    private TorrentRun(Session? session, ITorrentRunObserver observer, CancellationTokenSource? cts)
    {
        _session = session;
        _observer = observer;
        _cts = cts;
    }

    internal static TorrentRun Start(Session? session, Torrent torrent, DownloadOptions options, ITorrentRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(options);
        var cts = new CancellationTokenSource();
        var run = new TorrentRun(session, observer, cts);
        var logged = TorrentClient.LoggingTo(options, session);
        _ = run.RunAsync(ct => DownloadAsync(session, torrent, logged, run, ct), cts.Token);
        return run;
    }

    /// <summary>Starts seeding the pieces <paramref name="have"/> holds, verified by the caller, as a record of the session
    /// at once: no resume decision, no ledger read or written, nothing fetched (a seed-only torrent, as
    /// <see cref="TorrentSession.SeedAsync"/> adds).</summary>
    internal static TorrentRun StartSeeding(Session session, Torrent torrent, DownloadOptions options, Wire.Bitfield have, ITorrentRunObserver observer)
    {
        var run = new TorrentRun(session, observer, cts: null) { _seedOnly = true };
        _ = run.SeedAsync(session, torrent, TorrentClient.LoggingTo(options, session, EngineLog.Swarm), have);
        return run;
    }

    private async Task SeedAsync(Session session, Torrent torrent, DownloadOptions options, Wire.Bitfield have)
    {
        await Task.Yield(); // off the caller's thread, which holds its handle's lock
        SeedingTorrent seeding;
        try
        {
            seeding = SeedingTorrent.Start(session, torrent, options, have);
        }
        catch (Exception e)
        {
            End(null, e); // the session has the torrent already, or it cannot listen
            return;
        }
        BecomeRecord(seeding, null);
    }

    /// <summary>True while it seeds as a record of the session: no task, frame or cancellation of the run waits with it.</summary>
    internal bool IsRecord { get { lock (_lock) return _seeding is not null && _cts is null; } }

    /// <summary>Stops the run: its peers leave, the trackers hear <c>stopped</c>, the ledger is saved. Completes after
    /// the observer heard the end (at once when it had ended already).</summary>
    public Task StopAsync()
    {
        CancellationTokenSource? cts;
        SeedingTorrent? seeding;
        Task ended;
        lock (_lock)
        {
            // Ended on its own: the observer may still be hearing it, and a stop waits until it has.
            if (_hasEnded) return _ended?.Task ?? Task.CompletedTask;
            _stopAsked = true;
            _ended ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
            ended = _ended.Task;
            cts = _cts;
            seeding = _seeding;
        }
        // Outside the lock: cancellation callbacks run here and may end the run.
        cts?.Cancel();
        seeding?.Stop();
        return ended;
    }

    /// <summary>Prepares (the resume decision, a re-hash), then downloads with the engine the options pick.</summary>
    private static async Task<SwarmOutcome> DownloadAsync(Session? session, Torrent torrent, DownloadOptions options, TorrentRun run, CancellationToken ct)
    {
        var start = await TorrentClient.PrepareAsync(session, torrent, options, ct).ConfigureAwait(false);
        if (session is not null && TorrentClient.EngineFor(options) == DownloadEngine.Swarm)
            return await SwarmDownload.RunAsync(start, options, run, session, ct).ConfigureAwait(false);
        return new(await TorrentClient.RunPrepared(session, start, options, run, ct).ConfigureAwait(false), null);
    }

    bool ISeedingEnd.DownloadMore(SeedingTorrent seeding, Pieces.PieceSelection selection)
    {
        CancellationTokenSource cts;
        lock (_lock)
        {
            if (_hasEnded || _stopAsked || _seedOnly || _seeding != seeding || _session is not { } session) return false;
            if (seeding.TryHandBack(selection) is not var (swarm, storage, options)) return false;
            _seeding = null;
            _cts = cts = new CancellationTokenSource(); // a task again, until it seeds on
            _ = RunAsync(ct => SwarmDownload.DownloadMoreAsync(swarm, storage, options, this, session, ct), cts.Token);
        }
        return true;
    }

    /// <summary>The task of a run: downloads, then seeds on as a record or ends.</summary>
    private async Task RunAsync(Func<CancellationToken, Task<SwarmOutcome>> download, CancellationToken ct)
    {
        await Task.Yield(); // off the caller's thread (which may hold a lock of its own), as Task.Run would
        DownloadResult? result = null;
        Exception? error = null;
        try
        {
            var (downloaded, seeding) = await download(ct).ConfigureAwait(false);
            if (seeding is not null)
            {
                BecomeRecord(seeding, downloaded);
                return; // the frame, the task and the cancellation go: the session holds the torrent
            }
            result = downloaded;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped before it had everything it wanted: no result.
        }
        catch (Exception e)
        {
            error = e;
        }
        End(result, error);
    }

    /// <summary>The torrent seeds as a record: a stop asked meanwhile stops it at once.</summary>
    private void BecomeRecord(SeedingTorrent seeding, DownloadResult? result)
    {
        seeding.SeedUntilStopped(result, this, this); // from here its end comes through SeedingEnded
        bool stop;
        lock (_lock)
        {
            stop = _stopAsked;
            if (!_hasEnded && !stop) _seeding = seeding;
            _cts = null; // nothing is cancelled any more: a stop goes to the record
        }
        if (stop) seeding.Stop();
    }

    void ISeedingEnd.SeedingEnded(DownloadResult? result, Exception? error) => End(result, error);

    private void End(DownloadResult? result, Exception? error)
    {
        TaskCompletionSource? ended;
        bool stopped;
        lock (_lock)
        {
            if (_hasEnded) return;
            _hasEnded = true;
            stopped = _stopAsked;
            ended = _ended ??= new(TaskCreationOptions.RunContinuationsAsynchronously); // a later stop waits for the observer too
            _seeding = null;
            _cts = null;
        }
        try
        {
            _observer.Ended(new TorrentRunEnd(result, error, stopped));
        }
        finally
        {
            ended.TrySetResult(); // a stop waits for the observer, never forever
        }
    }

    /// <summary>Passes the engine's progress reports to the observer, on the engine's thread.</summary>
    void IProgress<DownloadProgress>.Report(DownloadProgress value) => _observer.Report(value);
}
