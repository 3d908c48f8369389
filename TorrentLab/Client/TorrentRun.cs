using TorrentLab.Downloads;
using TorrentLab.Swarm;

namespace TorrentLab.Client;

/// <summary>A torrent's engine while its <see cref="TorrentHandle"/> runs it (from a start or resume to a stop or the
/// end): a task while it prepares or downloads (<see cref="TorrentClient.Start"/>), a record of the session while it
/// seeds (a <see cref="SeedingTorrent"/>: no task, frame or cancellation waits with it, as libtorrent and Transmission
/// hold one), and a task again, in the same swarm, when the seeding torrent comes to want more. Its progress and its one
/// end go to its <see cref="ITorrentRunObserver"/>.</summary>
internal sealed class TorrentRun : ISeedingEnd, IProgress<DownloadProgress>
{
    private readonly Session? _session;
    private readonly ITorrentRunObserver _observer;
    private readonly bool _seedOnly;      // seeds files it does not own (TorrentSession.SeedAsync): fetches nothing into them
    private readonly Lock _lock = new();
    private CancellationTokenSource? _cts; // while a task runs; guarded by _lock, as the fields below
    private SeedingTorrent? _seeding;      // while it seeds as a record of the session
    private TaskCompletionSource? _ended;  // made by StopAsync or at the end; completed once the observer heard the end
    private bool _stopAsked, _hasEnded;

    private TorrentRun(Session? session, ITorrentRunObserver observer, bool seedOnly) => (_session, _observer, _seedOnly) = (session, observer, seedOnly);

    /// <summary>Starts a run whose task is <paramref name="task"/> (given the run, to report progress to): it downloads,
    /// or starts the seeding at once. A seed-only run never downloads more.</summary>
    internal static TorrentRun Start(Session? session, ITorrentRunObserver observer, bool seedOnly,
        Func<IProgress<DownloadProgress>, CancellationToken, Task<SwarmOutcome>> task)
    {
        var run = new TorrentRun(session, observer, seedOnly);
        lock (run._lock) run.StartTaskLocked(ct => task(run, ct));
        return run;
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
            if (_hasEnded) return _ended?.Task ?? Task.CompletedTask; // the observer may still be hearing it: a stop waits
            _stopAsked = true;
            ended = (_ended ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            (cts, seeding) = (_cts, _seeding);
        }
        cts?.Cancel(); // outside the lock: cancellation callbacks run here and may end the run
        seeding?.Stop();
        return ended;
    }

    bool ISeedingEnd.DownloadMore(SeedingTorrent seeding, Pieces.PieceSelection selection)
    {
        lock (_lock)
        {
            if (_hasEnded || _stopAsked || _seeding != seeding || _session is not { } session) return false;
            if (_seedOnly) return true; // it fetches nothing, whatever its priorities: they are kept, its peers too
            if (seeding.TryHandBack(selection) is not var (swarm, storage, options)) return false;
            _seeding = null;
            StartTaskLocked(ct => SwarmDownload.DriveAsync(swarm, storage, options, this, session, starting: false, ct));
            return true;
        }
    }

    private void StartTaskLocked(Func<CancellationToken, Task<SwarmOutcome>> task)
    {
        _cts = new CancellationTokenSource();
        _ = RunAsync(task, _cts.Token);
    }

    /// <summary>The task: downloads, then seeds on as a record of the session (a stop asked meanwhile stops it at once) or ends.</summary>
    private async Task RunAsync(Func<CancellationToken, Task<SwarmOutcome>> task, CancellationToken ct)
    {
        await Task.Yield(); // off the caller's thread, which holds a lock
        try
        {
            var (result, seeding) = await task(ct).ConfigureAwait(false);
            if (seeding is null) End(result, null);
            else BecomeRecord(seeding, result); // the frame, the task and the cancellation go: the session holds the torrent
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { End(null, null); } // stopped before it had all it wanted
        catch (Exception e) { End(null, e); }
    }

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
        TaskCompletionSource ended;
        bool stopped;
        lock (_lock)
        {
            if (_hasEnded) return;
            (_hasEnded, stopped, _seeding, _cts) = (true, _stopAsked, null, null);
            ended = _ended ??= new(TaskCreationOptions.RunContinuationsAsynchronously); // a later stop waits for the observer too
        }
        try { _observer.Ended(new TorrentRunEnd(result, error, stopped)); }
        finally { ended.TrySetResult(); } // a stop waits for the observer, never forever
    }

    /// <summary>Passes the engine's progress reports to the observer, on the engine's thread.</summary>
    void IProgress<DownloadProgress>.Report(DownloadProgress value) => _observer.Report(value);
}
