using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Client;

/// <summary>One torrent of a <see cref="TorrentSession"/>, held while it runs: start, pause, resume, recheck, move its
/// data, change its file priorities, order, seeding, peers, limits and trackers, and read its state, progress and
/// peers (libtorrent's <c>torrent_handle</c>, MonoTorrent's <c>TorrentManager</c>).</summary>
/// <remarks>
/// <para>Each of the torrent's settings lives here, in one place: the <see cref="DownloadOptions"/> it was added with,
/// changed through the handle's methods, is what each of its runs reads. Limits, file priorities and the piece order
/// change while the torrent downloads, and a reannounce, its trackers, a peer to dial, its peer cap and its seeding plan
/// while it downloads or seeds: its peers stay connected. A change the engine takes only at a start (other options, a
/// move, a rename, a recheck; priorities that want more of a torrent that completed, or seeds with no swarm to keep; any change of a torrent on the
/// single-peer reference engine or still preparing) is applied by stopping its run (the ledger saved, so no verified
/// piece is lost), making the change and starting again: its peers are dialled again, as after a resume. A torrent that is not running takes such a
/// change at once and uses it from its next start. Changes to one torrent take turns: each method returns once its
/// change is made and the torrent runs again.</para>
/// <para>The session keeps no queue of its own: an application that runs a few downloads at a time (as
/// <c>torrentlab serve</c> does) adds the others paused and calls <see cref="Start"/> when a slot frees, learning of
/// each end from the session's <see cref="TorrentSession.Alerts"/> or from <see cref="Version"/>.</para>
/// <para>An idle handle costs little: a torrent whose every piece is verified keeps no bit per piece, no per-file
/// count and no progress report while nothing happens; what a change or a stream needs is made when first asked.</para>
/// <para>Thread-safe; what the engine reports comes in on its own tasks.</para>
/// </remarks>
public sealed partial class TorrentHandle : ITorrentRunObserver
{
    private readonly TorrentSession _session;
    private readonly Lock _lock = new();
    private SemaphoreSlim? _changes;   // one change at a time; made at the first change
    private DownloadOptions _options;  // the torrent's settings, given to each run as they are; guarded by _lock, as below
    private PieceSelection _selection; // made from _options.FilePriorities
    private TorrentRun? _run;
    private bool _wantsRunning, _pausing, _changing;
    private DownloadProgress? _progress;
    private Exception? _error;
    private DownloadResult? _result;     // how the last run ended, once it ended with one
    private DownloadResult? _downloaded; // what the running run downloaded, once it has every wanted piece
    private PeerSources _sources = PeerSources.None;
    private long _uploadedBefore, _runUploaded;
    private readonly ChangeVersions _versions = new();
    private Wire.Bitfield? _seedOnly; // a seed-only torrent's verified pieces (TorrentSession.SeedAsync): each run seeds them, fetches nothing

    internal TorrentHandle(TorrentSession session, Torrent torrent, DownloadOptions options, PieceStates? known, Wire.Bitfield? seedOnly = null)
    {
        _seedOnly = seedOnly;
        _session = session;
        Torrent = torrent;
        DownloadLimit = options.DownloadLimit ?? new RateLimit();
        UploadLimit = options.UploadLimit ?? new RateLimit();
        IReadOnlyList<FilePriority>? recorded = null;
        if (known is null) (known, recorded) = TorrentClient.ReadLedger(torrent, options.OutputDirectory);
        _options = options with
        {
            DownloadLimit = DownloadLimit, UploadLimit = UploadLimit,
            FilePriorities = options.FilePriorities ?? recorded,
            Events = this, Live = new LiveChanges(),
        };
        _selection = PieceSelection.For(torrent, _options.FilePriorities);
        _pieces = new VerifiedPieces(torrent, known, _selection); // from the ledger's map, or the caller's; nothing reported
    }

    /// <summary>The torrent (its metadata): as added, or with its files at other paths after
    /// <see cref="RenameFilesAsync"/>.</summary>
    public Torrent Torrent { get; private set; }

    /// <summary>Where it stands now.</summary>
    public TorrentState State { get; private set; } = TorrentState.Paused;

    /// <summary>Grows by one on every change an application would show: state, progress, a piece verified, a setting.
    /// Reading it is cheap: a program showing thousands of torrents redraws those whose version moved
    /// (<see cref="WaitForChangeAsync"/> waits for the next one).</summary>
    public int Version => _versions.Version;

    /// <summary>Grows with <see cref="Version"/>, except for a progress report in which no payload moved (its rates
    /// zero, nothing more verified or sent): what Transmission calls activity. A download waiting for peers reports a
    /// new status every second; a program listing what was recently active (Transmission's <c>recently-active</c>)
    /// leaves it out until it does something.</summary>
    public int ActivityVersion => _versions.Activity;

    /// <summary>The latest progress report of its run while it shows something (a download, peers, rates, a status),
    /// kept after the run ended until the next start; null before the first, and while it seeds with no peer.</summary>
    public DownloadProgress? Progress { get { lock (_lock) return _progress; } }

    /// <summary>Why it failed, while <see cref="State"/> is <see cref="TorrentState.Failed"/>; else null.</summary>
    public Exception? Error { get { lock (_lock) return _error; } }

    /// <summary>What its run did: set the moment the run has every wanted piece, before <see cref="IsComplete"/> reads
    /// true (for a run that goes on seeding: the download's figures), and replaced by the run's totals once it ended (a
    /// seeding run: once its seeding ended, also by a pause); null before, and from its next start.
    /// <see cref="WaitForCompletionAsync"/> waits for it.</summary>
    public DownloadResult? Result { get { lock (_lock) return _result ?? _downloaded; } }

    /// <summary>Where its last run found peers (kept after the run ended).</summary>
    public PeerSources PeerSources { get { lock (_lock) return _sources; } }

    /// <summary>Payload bytes uploaded since it was added to the session, over all its runs.</summary>
    public long Uploaded { get { lock (_lock) return _uploadedBefore + _runUploaded; } }

    /// <summary>The folder its files are written below (<see cref="MoveDataAsync"/> changes it).</summary>
    public string SaveFolder { get { lock (_lock) return _options.OutputDirectory; } }

    /// <summary>The peers connected now (address, client, rates), from the latest progress report; none while it does
    /// not run.</summary>
    public IReadOnlyList<PeerProgress> Peers { get { lock (_lock) return _run is null ? [] : _progress?.Peers ?? []; } }

    /// <summary>This torrent's own download limit, under the session's (<see cref="TorrentSession.DownloadLimit"/>); set
    /// its <see cref="RateLimit.BytesPerSecond"/> to change it while the torrent runs. The single-peer reference engine
    /// (added with <c>MaxPeers = 1</c>) takes no limit: such a torrent is refused when added under a limit, and a limit
    /// set here later fails its next start with that refusal (<see cref="SetMaxPeersAsync"/> moves it to the swarm
    /// engine, which takes limits).</summary>
    public RateLimit DownloadLimit { get; }

    /// <summary>This torrent's own upload limit, under the session's, as <see cref="DownloadLimit"/>.</summary>
    public RateLimit UploadLimit { get; }

    /// <summary>One priority per file of the torrent (<see cref="SetFilePrioritiesAsync"/> changes them).</summary>
    public IReadOnlyList<FilePriority> FilePriorities { get { lock (_lock) return _selection.Files; } }

    /// <summary>True when pieces are fetched in order, lowest first (<see cref="SetSequentialAsync"/>).</summary>
    public bool Sequential { get { lock (_lock) return _options.Sequential; } }

    /// <summary>True when it keeps seeding once it has every piece it wants (<see cref="SetSeedingAsync(bool, double?, TimeSpan?, TimeSpan?)"/>).</summary>
    public bool SeedAfterDownload { get { lock (_lock) return _options.SeedAfterDownload; } }

    /// <summary>True when it super-seeds once it has every piece (BEP 16, <see cref="SetSuperSeedAsync"/>).</summary>
    public bool SuperSeed { get { lock (_lock) return _options.SuperSeed; } }

    /// <summary>Seeding stops once a run uploaded this multiple of the torrent's size; null for no limit.</summary>
    public double? SeedRatio { get { lock (_lock) return _options.SeedRatio; } }

    /// <summary>Seeding stops after this long; null for no limit.</summary>
    public TimeSpan? SeedTime { get { lock (_lock) return _options.SeedTime; } }

    /// <summary>Most peers connected at once (<see cref="SetMaxPeersAsync"/>).</summary>
    public int MaxPeers { get { lock (_lock) return _options.MaxPeers; } }

    /// <summary>Peers dialled besides those from trackers, the DHT and PEX: those it was added with (a magnet link's
    /// <c>x.pe</c> among them) and those given since (<see cref="AddPeerAsync"/>).</summary>
    public IReadOnlyList<System.Net.IPEndPoint> ExtraPeers { get { lock (_lock) return _options.ExtraPeers; } }

    /// <summary>The trackers it announces to, in tiers (BEP 12): the torrent's own unless changed.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Trackers { get { lock (_lock) return TrackersOf(_options); } }

    /// <summary>True when its trackers were replaced (<see cref="SetTrackersAsync"/>, <see cref="AddTrackerAsync"/>,
    /// <see cref="RemoveTrackerAsync"/>, or the options it was added with); false while it announces to its own.</summary>
    public bool TrackersReplaced { get { lock (_lock) return _options.Trackers is not null; } }

    private IReadOnlyList<IReadOnlyList<string>> TrackersOf(DownloadOptions options) => options.TrackersOf(Torrent);

    /// <summary>Starts the torrent (or starts it again after a pause, a completion or a failure); nothing happens while
    /// it runs. A change under way (a move, a recheck) starts it once it is made.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _wantsRunning = true;
            if (_run is not null || _changing) return;
            _error = null;
            _result = _downloaded = null;
            _progress = null;
            if (_seedOnly is { } have)
            {
                SetState(TorrentState.Seeding); // verified already: nothing to check, nothing to write
                _run = TorrentClient.StartSeeding(_session.Session, Torrent, _options, have, this);
                return;
            }
            ListenForWrittenPiecesLocked();
            SetState(TorrentState.Checking);
            _run = TorrentClient.Start(_session.Session, Torrent, _options, this);
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
        var changes = Changes();
        await changes.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_lock) _wantsRunning = false;
            await StopRunAsync().ConfigureAwait(false);
            lock (_lock)
            {
                if (State is not TorrentState.Failed) SetState(TorrentState.Paused);
            }
        }
        finally { changes.Release(); }
    }

    /// <summary>Waits until <see cref="Version"/> differs from <paramref name="version"/> (at once when it does already)
    /// and returns the new version: an application follows a torrent without polling.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled first.</exception>
    public Task<int> WaitForChangeAsync(int version, CancellationToken ct = default)
    {
        Task<int> changed;
        lock (_lock) changed = _versions.NextAfter(version);
        return changed.IsCompleted ? changed : changed.WaitAsync(ct);
    }

    /// <summary>Waits until the torrent has every piece its file priorities want and its run said what it did: returns
    /// <see cref="Result"/> (at once for a torrent whose last run completed). A pause does not end the wait: the torrent
    /// may be resumed. A torrent that is never started waits until <paramref name="ct"/> is cancelled.</summary>
    /// <exception cref="Exception">The torrent failed: its <see cref="Error"/>, as thrown by its run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled first.</exception>
    public async Task<DownloadResult> WaitForCompletionAsync(CancellationToken ct = default)
    {
        var version = Version;
        while (true)
        {
            lock (_lock)
            {
                if (State == TorrentState.Failed && _error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                if ((_result ?? _downloaded) is { } result && CompleteLocked) return result;
            }
            version = await WaitForChangeAsync(version, ct).ConfigureAwait(false);
        }
    }

    private SemaphoreSlim Changes() => LazyInitializer.EnsureInitialized(ref _changes, () => new SemaphoreSlim(1, 1));

    /// <summary>Stops the run, if any, and waits until its end was heard; returns whether one ran.</summary>
    private async Task<bool> StopRunAsync()
    {
        TorrentRun? run;
        lock (_lock)
        {
            run = _run;
            _pausing = run is not null;
        }
        if (run is null) return false;
        await run.StopAsync().ConfigureAwait(false); // completes once the end was heard here (OnEnded)
        return true;
    }

    /// <summary>Stops the run if one runs, applies <paramref name="change"/> (to the options and whatever else it
    /// touches) and starts again if the torrent was meant to run. With <paramref name="failsTorrent"/>, an error of the
    /// change leaves the torrent <see cref="TorrentState.Failed"/> with it (a recheck that cannot read the data);
    /// otherwise the torrent goes on as before (a move undone).</summary>
    private async Task ChangeAsync(Func<DownloadOptions, Task<DownloadOptions>> change, TorrentState? during = null, bool failsTorrent = false)
    {
        var changes = Changes();
        await changes.WaitAsync().ConfigureAwait(false);
        try
        {
            await RestartWithAsync(change, during, failsTorrent).ConfigureAwait(false);
        }
        finally { changes.Release(); }
    }

    /// <summary>Gives a running torrent (downloading or seeding) the change at once through <paramref name="live"/>, which
    /// is handed the options before and after it, with its connections kept; a torrent that does not run takes it at once
    /// (and uses it from its next start; with <paramref name="startsIfMeant"/>, one meant to run, as a failed one or a
    /// completed one that now wants more, starts with it). A run that cannot take it (it seeds and the change is a
    /// download's, it prepares, or runs the single-peer reference story) stops, changes and starts again as
    /// <see cref="ChangeAsync"/>.</summary>
    private async Task ChangeKeepingPeersAsync(Func<LiveChanges, DownloadOptions, DownloadOptions, bool> live,
        Func<DownloadOptions, DownloadOptions> change, bool startsIfMeant = false)
    {
        var changes = Changes();
        await changes.WaitAsync().ConfigureAwait(false);
        try
        {
            DownloadOptions before, after;
            bool running;
            lock (_lock)
            {
                before = _options;
                after = change(before);
                running = _run is not null;
                // A seeding run made to want more downloads again: its next result is the one to wait for.
                if (running && _seedOnly is null && !ReferenceEquals(after.FilePriorities, before.FilePriorities)
                    && !_pieces.IsDoneFor(PieceSelection.For(Torrent, after.FilePriorities))) _downloaded = null;
                if (!running && !startsIfMeant)
                {
                    ApplyLocked(after);
                    return;
                }
            }
            if (running && live(before.Live!, before, after))
            {
                lock (_lock) ApplyLocked(after);
                return;
            }
            await RestartWithAsync(o => Task.FromResult(change(o)), during: null, failsTorrent: false).ConfigureAwait(false);
        }
        finally { changes.Release(); }
    }

    /// <summary>The body of <see cref="ChangeAsync"/>, with the changes' turn held.</summary>
    private async Task RestartWithAsync(Func<DownloadOptions, Task<DownloadOptions>> change, TorrentState? during, bool failsTorrent)
    {
        await StopRunAsync().ConfigureAwait(false);
        DownloadOptions options;
        TorrentState before;
        lock (_lock)
        {
            options = _options;
            before = State;
            _changing = true;
            if (during is { } state) SetState(state);
        }
        Exception? failure = null;
        try
        {
            var changed = await change(options).ConfigureAwait(false);
            lock (_lock) ApplyLocked(changed);
        }
        catch (Exception e) when (failsTorrent && e is not OperationCanceledException)
        {
            failure = e;
            throw;
        }
        finally
        {
            bool restart;
            lock (_lock)
            {
                _changing = false;
                restart = _wantsRunning && failure is null;
                if (failure is not null)
                {
                    _error = failure;
                    SetState(TorrentState.Failed);
                }
                else if (!restart) SetState(before); // a paused or completed torrent stays so
            }
            if (restart) Start();
        }
    }

    /// <summary>Takes changed settings (under _lock): the selection follows the priorities.</summary>
    private void ApplyLocked(DownloadOptions changed)
    {
        var old = _options;
        _options = changed;
        if (!ReferenceEquals(old.FilePriorities, changed.FilePriorities)) SelectionChangedLocked(PieceSelection.For(Torrent, changed.FilePriorities));
        Bump();
    }

    private void SetState(TorrentState state)
    {
        // Under _lock.
        if (State == state) return;
        State = state;
        Bump();
        _session.Report(AlertLocked(TorrentAlertKind.StateChanged) with { State = state });
    }

    /// <summary>Something a viewer would see changed (under _lock): the versions move, and a waiter is woken.</summary>
    private void Bump(bool activity = true) => _versions.Bump(activity);

    /// <inheritdoc/>
    public override string ToString() => $"{Torrent.Name} ({Torrent.InfoHash.Hex}): {State}";
}
