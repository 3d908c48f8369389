using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>One torrent of a <see cref="TorrentSession"/>, held while it runs: start, pause, resume, recheck, move its
/// data, change its file priorities, order, limits and trackers, and read its state, progress and peers (libtorrent's
/// <c>torrent_handle</c>, MonoTorrent's <c>TorrentManager</c>).</summary>
/// <remarks>
/// <para>Limits, file priorities and the piece order change while the torrent downloads: its peers stay connected.
/// A change the engine takes only at a start (trackers, a move, a recheck, a reannounce; priorities of a torrent that
/// seeds or completed and now wants more) is applied by stopping its run (the ledger saved, so no verified piece is
/// lost), making the change and starting again: its peers are dialled again, as after a resume. Changes to one torrent
/// take turns: each method returns once its change is made and the torrent runs again.</para>
/// <para>Thread-safe; what the engine reports comes in on its own tasks.</para>
/// </remarks>
public sealed partial class TorrentHandle
{
    private readonly TorrentSession _session;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _changes = new(1, 1); // one pause-change-start at a time
    private DownloadOptions _options; // guarded by _lock, as the fields below
    private TorrentRun? _run;
    private Task _runEnded = Task.CompletedTask;
    private bool _wantsRunning, _pausing;
    private DownloadProgress? _progress;
    private Exception? _error;
    private Bitfield _verified;   // the pieces known verified, for the alerts of pieces and files
    private readonly bool[] _fileDone;
    private readonly ReadDemand _reads; // its streams' windows and the written-piece signal (TorrentHandle.Stream.cs)
    private readonly LiveChanges _live = new(); // a downloading run takes priorities and order here without a restart

    internal TorrentHandle(TorrentSession session, Torrent torrent, DownloadOptions options)
    {
        _session = session;
        Torrent = torrent;
        DownloadLimit = options.DownloadLimit ?? new RateLimit();
        UploadLimit = options.UploadLimit ?? new RateLimit();
        _options = options with { DownloadLimit = DownloadLimit, UploadLimit = UploadLimit };
        var (pieces, _) = TorrentClient.ReadLedger(torrent, options.OutputDirectory);
        _verified = pieces.Verified();
        _fileDone = new bool[torrent.Files.Count];
        MarkCompleteFiles(report: false);
        _reads = session.Session.Reads.Take(torrent.InfoHash);
        _reads.PieceWritten += OnPieceWritten;
    }

    /// <summary>The torrent (its metadata).</summary>
    public Torrent Torrent { get; }

    /// <summary>Where it stands now.</summary>
    public TorrentState State { get; private set; } = TorrentState.Paused;

    /// <summary>The latest progress report of its run, or null before the first (and once it stopped).</summary>
    public DownloadProgress? Progress { get { lock (_lock) return _progress; } }

    /// <summary>Why it failed, while <see cref="State"/> is <see cref="TorrentState.Failed"/>; else null.</summary>
    public Exception? Error { get { lock (_lock) return _error; } }

    /// <summary>The folder its files are written below (<see cref="MoveDataAsync"/> changes it).</summary>
    public string SaveFolder { get { lock (_lock) return _options.OutputDirectory; } }

    /// <summary>Pieces verified on disk, as last reported.</summary>
    public int PiecesDone { get { lock (_lock) return _verified.Count; } }

    /// <summary>The peers connected now (address, client, rates), from the latest progress report.</summary>
    public IReadOnlyList<PeerProgress> Peers => Progress?.Peers ?? [];

    /// <summary>This torrent's own download limit, under the session's (<see cref="Swarm.Session.DownloadLimit"/>); set
    /// its <see cref="RateLimit.BytesPerSecond"/> to change it while the torrent runs.</summary>
    public RateLimit DownloadLimit { get; }

    /// <summary>This torrent's own upload limit, under the session's, as <see cref="DownloadLimit"/>.</summary>
    public RateLimit UploadLimit { get; }

    /// <summary>One priority per file of the torrent (<see cref="SetFilePrioritiesAsync"/> changes them).</summary>
    public IReadOnlyList<FilePriority> FilePriorities
    {
        get { lock (_lock) return _options.FilePriorities ?? PieceSelection.For(Torrent, null).Files; }
    }

    /// <summary>True when pieces are fetched in order, lowest first (<see cref="SetSequentialAsync"/>).</summary>
    public bool Sequential { get { lock (_lock) return _options.Sequential; } }

    /// <summary>The trackers it announces to, in tiers (BEP 12): the torrent's own unless changed.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Trackers { get { lock (_lock) return TrackersOf(_options); } }

    private IReadOnlyList<IReadOnlyList<string>> TrackersOf(DownloadOptions options) => options.Trackers ?? Torrent.AnnounceTiers;

    /// <summary>Starts the torrent (or starts it again after a pause, a completion or a failure); nothing happens while
    /// it runs.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _wantsRunning = true;
            if (_run is not null) return;
            _error = null;
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _runEnded = ended.Task;
            var observer = new RunObserver(this, ended);
            var options = _options with { Events = new RunEvents(this), Live = _live };
            SetState(TorrentState.Checking);
            _run = TorrentClient.Start(_session.Session, Torrent, options, observer);
        }
    }

    /// <summary>Starts a paused torrent again (as <see cref="Start"/>).</summary>
    public Task ResumeAsync()
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Pauses the torrent: its peers leave, the trackers hear <c>stopped</c>, the resume ledger is saved; it
    /// stays in the session, <see cref="TorrentState.Paused"/>, until resumed. Completes once the run ended.</summary>
    public async Task PauseAsync()
    {
        await _changes.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopRunAsync().ConfigureAwait(false);
            lock (_lock)
            {
                _wantsRunning = false;
                if (State is not (TorrentState.Failed)) SetState(TorrentState.Paused);
            }
        }
        finally { _changes.Release(); }
    }

    /// <summary>Stops the run, if any, and waits until its end was heard; returns whether one ran.</summary>
    private async Task<bool> StopRunAsync()
    {
        TorrentRun? run;
        Task ended;
        lock (_lock)
        {
            run = _run;
            ended = _runEnded;
            _pausing = run is not null;
        }
        if (run is null) return false;
        await run.StopAsync().ConfigureAwait(false);
        await ended.ConfigureAwait(false);
        return true;
    }

    /// <summary>Stops the run if one runs, applies <paramref name="change"/> (to the options and whatever else it
    /// touches) and starts again if the torrent was meant to run.</summary>
    private async Task ChangeAsync(Func<DownloadOptions, Task<DownloadOptions>> change, TorrentState? during = null)
    {
        await _changes.WaitAsync().ConfigureAwait(false);
        try
        {
            await RestartWithAsync(change, during).ConfigureAwait(false);
        }
        finally { _changes.Release(); }
    }

    /// <summary>Gives a downloading run the change at once through <paramref name="live"/>; when no run took it (none
    /// downloads: it seeds, completed, is paused, prepares, or runs the single-peer story), stops, changes and starts
    /// again as <see cref="ChangeAsync"/>.</summary>
    private async Task ChangeLiveAsync(Func<LiveChanges, bool> live, Func<DownloadOptions, DownloadOptions> change)
    {
        await _changes.WaitAsync().ConfigureAwait(false);
        try
        {
            bool running;
            lock (_lock) running = _run is not null;
            if (running && live(_live))
            {
                lock (_lock)
                {
                    _options = change(_options);
                    MarkCompleteFiles(report: true); // a file made wanted whose pieces were all there already
                }
                return;
            }
            await RestartWithAsync(o => Task.FromResult(change(o)), during: null).ConfigureAwait(false);
        }
        finally { _changes.Release(); }
    }

    /// <summary>The body of <see cref="ChangeAsync"/>, with <c>_changes</c> held.</summary>
    private async Task RestartWithAsync(Func<DownloadOptions, Task<DownloadOptions>> change, TorrentState? during)
    {
        {
            await StopRunAsync().ConfigureAwait(false);
            DownloadOptions options;
            bool restart;
            TorrentState before;
            lock (_lock)
            {
                options = _options;
                restart = _wantsRunning;
                before = State;
                if (during is { } state) SetState(state);
            }
            try
            {
                var changed = await change(options).ConfigureAwait(false);
                lock (_lock) _options = changed;
            }
            finally
            {
                if (restart) Start();
                else lock (_lock) SetState(before); // a paused or completed torrent stays so
            }
        }
    }

    private void SetState(TorrentState state)
    {
        // Under _lock.
        if (State == state) return;
        State = state;
        _session.Report(new TorrentAlert(TorrentAlertKind.StateChanged, this) { State = state });
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Torrent.Name} ({Torrent.InfoHash.Hex}): {State}";
}
