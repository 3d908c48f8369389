using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>A torrent we seed in a <see cref="Session"/>, which costs almost nothing while no peer wants it: it holds a
/// <see cref="TorrentSwarm"/> (open files, peers, piece map, timers) only while it has peers, and lets the swarm go
/// <see cref="ParkAfter"/> after the last one left. Asleep, it is what the session routes to; a peer's handshake for it,
/// or peers to dial from its trackers or the DHT, wake a new swarm at once.</summary>
/// <remarks>
/// The announcer (trackers), the totals uploaded, the seeds met (never dialled again) and the peers banned for
/// violations outlive each swarm. libtorrent and Transmission keep every torrent's peer state loaded; a session of
/// ten thousand seeding torrents is what this is for (<c>bench/session/serve_scale.py</c>).
/// </remarks>
internal sealed class SeedingTorrent : ISessionTorrent, IAsyncDisposable
{
    /// <summary>How long a swarm stays after its last peer left (a peer reconnecting soon finds it awake).</summary>
    public static readonly TimeSpan ParkAfter = TimeSpan.FromSeconds(60);

    private readonly Session _session;
    private DownloadOptions _options;   // as started; its peer cap and super-seeding change live, under _lock
    private readonly Bitfield _have;
    private readonly Lock _lock = new();
    private TaskCompletionSource? _failed; // made when asked for or on a failure: most torrents never fail
    private TorrentSwarm? _swarm;       // the swarm while awake, guarded by _lock
    private IPieceStorage? _storage;    // its storage, when this torrent opened it
    private Task _parking = Task.CompletedTask;
    private ITimer? _parkTimer;
    private IProgress<DownloadProgress>? _progress;
    private IReadOnlyList<IPEndPoint> _retiredSeeds = [];
    private IReadOnlyList<string> _badPeers = [];
    private long _received, _uploaded; // totals of the swarms that were let go
    private int _wakes;
    private bool _disposed;
    private ISeedingEnd? _end; // who hears the end of seeding until stopped (SeedUntilStopped)
    private DownloadResult? _result;
    private int _finishing;
    private LiveChanges.SeedingPlan _plan; // whether it seeds on, and until when; changed live (TrySetSeeding), under _lock
    private long _seedingSince;            // the session clock's timestamp when SeedUntilStopped began (0: not yet)
    private long _uploadedBefore;          // what was uploaded then: a ratio counts from there
    private long _lastUploadAt;            // when a swarm let go last sent payload (a timestamp; 0: none)
    private ITimer? _limitTimer;           // only with a ratio or time limit
    private bool _limitReached;            // the plan ended the seeding (not a stop)

    private SeedingTorrent(Session session, Torrent torrent, DownloadOptions options, Bitfield have)
    {
        _session = session;
        Torrent = torrent;
        _options = options;
        _have = have;
        PiecesAvailable = have.Count;
        _plan = LiveChanges.SeedingPlan.Of(options) with { Seed = true };
        _live = new LiveChanges.Target(TryWantMore, TrySetSequential, TryReannounce, TrySetTrackers, TryAddPeer, TrySetMaxPeers, TrySetSeeding, TrySetSuperSeed);
    }

    // What the torrent's handle changes while it seeds, with its peers kept (attached until it stops).
    private readonly LiveChanges.Target _live;

    /// <summary>Starts seeding <paramref name="have"/> with no swarm: the session routes the torrent's peers here from
    /// now on, and the trackers hear a <c>started</c> (with <c>left=0</c> when complete). Each swarm opens the data of
    /// <see cref="DownloadOptions.OutputDirectory"/> read only, in the session's budget of open files.</summary>
    /// <exception cref="SwarmException">The session runs this torrent already.</exception>
    public static SeedingTorrent Start(Session session, Torrent torrent, DownloadOptions options, Bitfield have)
    {
        var seeding = new SeedingTorrent(session, torrent, options, have);
        session.Attach(seeding);
        var tiers = options.TrackersOf(torrent);
        if (tiers.Any(t => t.Count > 0)) seeding.StartAnnouncer(tiers); // a torrent without trackers keeps no announcer
        if (options.ExtraPeers.Count > 0)
            lock (seeding._lock) seeding.TryWakeLocked()?.AddPeers(options.ExtraPeers, PeerSource.Given);
        options.Live?.Attach(seeding._live);
        return seeding;
    }

    /// <summary>Goes on seeding with a finished download's running swarm (and its announcer), letting it go, and
    /// <paramref name="storage"/> with it, once its peers have left; later swarms open their own storage.</summary>
    public static SeedingTorrent TakeOver(Session session, TorrentSwarm swarm, IPieceStorage storage, DownloadOptions options, Bitfield have)
    {
        var seeding = new SeedingTorrent(session, swarm.Torrent, options, have);
        var announcer = swarm.HandOverTo(seeding);
        seeding.Announcer = announcer;
        announcer?.Retarget(seeding.Totals, () => seeding.ConnectedCount, seeding.OnTrackerPeers);
        lock (seeding._lock)
        {
            seeding._swarm = swarm;
            seeding._storage = storage;
            seeding.Watch(swarm);
        }
        session.Replace(swarm, seeding);
        options.Live?.Attach(seeding._live);
        return seeding;
    }

    public Torrent Torrent { get; }

    private void StartAnnouncer(IReadOnlyList<IReadOnlyList<string>> tiers)
    {
        var announcer = new Announcer(tiers, Torrent.InfoHash, _session.PeerId, Totals, () => ConnectedCount, OnTrackerPeers,
            _options.Log, _session.Settings.Time, _session.TrackerOptions, _options.Events);
        Announcer = announcer;
        announcer.Start(() => _session.AnnouncedPort);
    }

    private bool TryReannounce()
    {
        lock (_lock) if (_disposed) return false;
        Announcer?.AnnounceNow();
        return true;
    }

    private bool TrySetTrackers(IReadOnlyList<IReadOnlyList<string>> tiers)
    {
        lock (_lock)
        {
            if (_disposed) return false;
            if (Announcer is { } announcer) announcer.SetTiers(tiers);
            else if (tiers.Any(t => t.Count > 0)) StartAnnouncer(tiers); // the first trackers of a torrent without any
            return true;
        }
    }

    /// <summary>A new peer cap: the awake swarm takes it with its peers (dropping those beyond a lower one), and the next
    /// swarm starts with it.</summary>
    private bool TrySetMaxPeers(int maxPeers)
    {
        lock (_lock)
        {
            if (_disposed) return false;
            _options = _options with { MaxPeers = maxPeers };
            _swarm?.TrySetMaxPeers(maxPeers);
            return true;
        }
    }

    /// <summary>Super-seeding on or off: the awake swarm takes it with its peers, and the next swarm starts with it.</summary>
    private bool TrySetSuperSeed(bool on)
    {
        lock (_lock)
        {
            if (_disposed) return false;
            _options = _options with { SuperSeed = on };
            _swarm?.TrySetSuperSeed(on);
            return true;
        }
    }

    /// <summary>The piece order of a later download of more (<see cref="TryHandBack"/>): nothing to fetch while it seeds.</summary>
    private bool TrySetSequential(bool sequential)
    {
        lock (_lock)
        {
            if (_disposed) return false;
            _options = _options with { Sequential = sequential };
            return true;
        }
    }

    /// <summary>New file priorities: a selection of pieces it has changes nothing while it seeds; one that wants more is
    /// downloaded by whoever seeds it (<see cref="ISeedingEnd.DownloadMore"/>), or refused.</summary>
    private bool TryWantMore(Pieces.PieceSelection selection) =>
        selection.IsDoneIn(_have) || (Volatile.Read(ref _end)?.DownloadMore(this, selection) ?? false);

    /// <summary>Ends the seeding without a word to its end and gives the awake swarm, its storage and the announcer back
    /// to a download of <paramref name="selection"/> (<see cref="TorrentSwarm.TryDownloadMore"/>): the peers stay
    /// connected; data opened read only (a swarm woken after the download's went, or of a torrent that seeded from its
    /// start) takes writes from then on. Null when it cannot: no swarm is awake (no peer to keep), the disk cannot hold
    /// what is wanted, or the seeding ends or failed.</summary>
    internal (TorrentSwarm Swarm, FileStorage Storage, DownloadOptions Options)? TryHandBack(Pieces.PieceSelection selection)
    {
        TorrentSwarm swarm;
        FileStorage storage;
        DownloadOptions options;
        lock (_lock)
        {
            if (_disposed || Volatile.Read(ref _finishing) != 0 || HasFailed || _swarm is not { } awake
                || _storage is not FileStorage data || !TryWrite(data, selection) || !awake.TryDownloadMore(selection, data.Layout, Announcer))
                return null;
            _disposed = true; // nothing wakes, parks or stops here from now on: the swarm is the download's
            (swarm, storage, _swarm, _storage) = (awake, data, null, null);
            options = _plan.Into(_options);
            swarm.TrySetSequential(options.Sequential); // the order set while it seeded
            _parkTimer?.Dispose();
            _limitTimer?.Dispose();
        }
        _session.Replace(this, swarm);
        _options.Live?.Detach(_live);
        Log($"downloading again: {selection.WantedCount} of {Torrent.PieceCount} pieces wanted");
        return (swarm, storage, options);
    }

    /// <summary>Opens read-only data for the writes of a download of <paramref name="selection"/> (before the swarm asks
    /// for a block); false, said in the log, when the disk cannot hold them.</summary>
    private bool TryWrite(FileStorage data, Pieces.PieceSelection selection)
    {
        if (data.Writable) return true;
        try
        {
            data.Layout.Selection = selection; // the free-space check counts the wanted files only
            data.BecomeWritable(_have);
            return true;
        }
        catch (StorageException e)
        {
            Log($"cannot download more here: {e.Message}");
            return false;
        }
    }

    private bool TryAddPeer(IPEndPoint peer)
    {
        lock (_lock) if (_disposed) return false;
        AddPeers([peer], PeerSource.Given);
        return true;
    }

    /// <summary>The session's clock, which its seeding limits run on.</summary>
    internal TimeProvider Time => _session.Settings.Time;

    /// <summary>The trackers' announcer, which outlives every swarm (null without trackers).</summary>
    internal Announcer? Announcer { get; private set; }

    /// <summary>Verified pieces we serve.</summary>
    public int PiecesAvailable { get; }

    /// <summary>Payload bytes sent, over every swarm so far.</summary>
    public long Uploaded { get { lock (_lock) return _swarm?.Uploaded ?? _uploaded; } }

    /// <summary>Payload bytes received, over every swarm so far.</summary>
    public long Received { get { lock (_lock) return _swarm?.Received ?? _received; } }

    /// <summary>Peers connected now (none while asleep).</summary>
    public int ConnectedCount => Volatile.Read(ref _swarm)?.ConnectedCount ?? 0;

    /// <summary>True while a swarm runs (peers, open files); false while the torrent sleeps.</summary>
    public bool IsAwake => Volatile.Read(ref _swarm) is not null;

    /// <summary>How many times a swarm was started for this torrent.</summary>
    public int Wakes => Volatile.Read(ref _wakes);

    /// <summary>Peers dropped for breaking the protocol, over every swarm so far.</summary>
    public IReadOnlyList<string> BadPeers { get { lock (_lock) return _swarm is { } s ? [.. _badPeers, .. s.BadPeers] : _badPeers; } }

    /// <summary>Faults when a swarm fails for good (a read error of the data, its files gone).</summary>
    public Task Failure => Failed.Task;

    private TaskCompletionSource Failed =>
        LazyInitializer.EnsureInitialized(ref _failed, static () => new(TaskCreationOptions.RunContinuationsAsynchronously));

    private bool HasFailed => Volatile.Read(ref _failed)?.Task.IsCompleted == true;

    /// <summary>Where progress goes; the swarms report to it, and a torrent falling asleep reports once more.</summary>
    public IProgress<DownloadProgress>? Progress
    {
        set
        {
            lock (_lock)
            {
                _progress = value;
                if (_swarm is { } swarm) swarm.Progress.ReportTo = value;
            }
            value?.Report(Snapshot());
        }
    }

    public IReadOnlyCollection<InfoHash> IncomingHashes => SwarmConnections.IncomingHashes(Torrent);

    /// <summary>The swarm while awake (null while asleep): for tests that wait on a peer's state.</summary>
    internal TorrentSwarm? AwakeSwarm { get { lock (_lock) return _swarm; } }

    // Made per handshake: a sleeping torrent keeps none.
    public PeerConnectionOptions ConnectionOptions => Volatile.Read(ref _swarm)?.ConnectionOptions ?? SwarmConnections.Options(_session, Torrent, _options);

    public bool IsAttached { get { lock (_lock) return !_disposed; } }

    public bool UsesDht => _session.Settings.Dht && !Torrent.IsPrivate;

    public bool UsesLsd => _session.Settings.Lsd && !Torrent.IsPrivate;

    public bool WantsPeersSoon => false; // a seeder is found by those who want it

    /// <summary>A snapshot: the running swarm's, or the last one with no peers and no rates while asleep.</summary>
    public DownloadProgress Snapshot()
    {
        lock (_lock)
        {
            if (_swarm is { } swarm) return swarm.Snapshot();
            return new DownloadProgress(_have.Count, Torrent.PieceCount, BytesOf(_have), Torrent.PayloadLength, 0, 0, 0, null, TimeSpan.Zero)
            {
                Uploaded = _uploaded,
                BadPeers = _badPeers.Count,
                Pieces = PieceStates.From(_have),
            };
        }
    }

    public void AdoptIncoming(PeerConnection connection)
    {
        lock (_lock)
        {
            // Inside the lock, so the peer is registered before a park could look at the swarm.
            if (!_disposed && (_swarm ?? TryWakeLocked()) is { } swarm) swarm.AdoptIncoming(connection);
            else connection.Dispose();
        }
    }

    public bool OnDhtPeer(IPEndPoint peer) => AddPeers([peer], PeerSource.Dht) > 0;

    public bool OnLocalPeer(IPEndPoint peer) => AddPeers([peer], PeerSource.Lsd) > 0;

    private void OnTrackerPeers(IReadOnlyList<IPEndPoint> peers) => AddPeers(peers, PeerSource.Tracker);

    /// <summary>Peers to dial: into the running swarm, or a new one when some are worth a try (a seed met earlier is not).</summary>
    private int AddPeers(IReadOnlyList<IPEndPoint> peers, PeerSource source)
    {
        lock (_lock)
        {
            if (_disposed) return 0;
            if (_swarm is null && !peers.Any(p => PeerAddressWorthWaking(p))) return 0;
            return (_swarm ?? TryWakeLocked())?.AddPeers(peers, source) ?? 0;
        }
    }

    private bool PeerAddressWorthWaking(IPEndPoint peer) =>
        !_retiredSeeds.Contains(peer) && !_session.EndPoints.Contains(peer) && _session.Settings.MayDial(peer);

    public void Log(string line) => _options.Log?.Invoke(line);

    /// <inheritdoc />
    public ITorrentEvents? Events => _options.Events;

    /// <inheritdoc />
    public void OnAnnouncedPortChanged() => Announcer?.PortChanged();

    /// <inheritdoc />
    public void OnNetworkResumed() => Announcer?.AnnounceNow();

    /// <summary>Starts a swarm for the torrent (storage opened, peers accepted and dialled); null when the data
    /// cannot be opened any more, which fails the torrent (<see cref="Failure"/>).</summary>
    private TorrentSwarm? TryWakeLocked()
    {
        if (HasFailed) return null;
        IPieceStorage storage;
        try
        {
            // The layout is made per wake, not kept: its file paths are the largest part of a sleeping torrent.
            var layout = new StorageLayout(Torrent, _options.OutputDirectory);
            storage = FileStorage.Open(layout, readOnly: true, budget: _session.OpenFiles);
        }
        catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
        {
            Log($"cannot seed any more: {e.Message}");
            Failed.TrySetException(e);
            FinishIfSeedingUntilStopped();
            return null;
        }
        var swarm = new TorrentSwarm(_session, Torrent, _options with { ExtraPeers = [] }, storage, _have, downloading: false, owner: this);
        swarm.Progress.CountFrom(_received, _uploaded);
        swarm.Book.AddRetired(_retiredSeeds); // met by an earlier swarm: never dialled
        swarm.Progress.ReportTo = _progress;
        swarm.Start();
        _swarm = swarm;
        _storage = storage;
        Interlocked.Increment(ref _wakes);
        Watch(swarm);
        return swarm;
    }

    /// <summary>A swarm's failure (a disk read error) is the torrent's.</summary>
    private void Watch(TorrentSwarm swarm) =>
        swarm.Failure.ContinueWith(t =>
        {
            Failed.TrySetException(t.Exception!.InnerExceptions);
            FinishIfSeedingUntilStopped();
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Seeds until <see cref="Stop"/>, its ratio, time or idle limit (<see cref="DownloadOptions.SeedRatio"/>,
    /// <see cref="DownloadOptions.SeedTime"/>, <see cref="DownloadOptions.SeedIdleTime"/>, changed live through the torrent's handle), or until the data can no
    /// longer be read; then stops seeding and tells <paramref name="end"/>, once: the totals added to
    /// <paramref name="result"/> (or to a result of the pieces seeded when it is null), or the failure.</summary>
    /// <remarks>What a seeding torrent of a session is: no method's frame, no task and no cancellation wait with it
    /// (a limit is a timer of the session's clock), so ten thousand seeding torrents hold only their records.</remarks>
    internal void SeedUntilStopped(DownloadResult? result, IProgress<DownloadProgress>? progress, ISeedingEnd end)
    {
        LiveChanges.SeedingPlan plan;
        lock (_lock) plan = _plan;
        Log("seeding" + Until(plan));
        Progress = progress;
        _result = result;
        lock (_lock)
        {
            _seedingSince = Time.GetTimestamp();
            _uploadedBefore = _swarm?.Uploaded ?? _uploaded;
        }
        Volatile.Write(ref _end, end);
        if (HasFailed) Finish(); // failed before it was asked to seed on
        else CheckLimits();
    }

    /// <summary>How the log says what ends the seeding: " to ratio 2", " for 00:10:00", " until idle 00:30:00", or nothing.</summary>
    private static string Until(LiveChanges.SeedingPlan plan) =>
        (plan.Ratio is { } r ? $" to ratio {r}" : "") + (plan.Time is { } t ? $" for {t}" : "") + (plan.Idle is { } i ? $" until idle {i}" : "");

    /// <summary>How often a seeding torrent with a ratio limit looks at what it uploaded.</summary>
    private static readonly TimeSpan RatioCheck = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait a timer takes (about 49 days): a longer time limit is looked at again then.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 2);

    /// <summary>A new seeding plan while it seeds: no more seeding ends it now (as a limit reached would), a ratio or a
    /// time counts from when it began to seed; false once it ended.</summary>
    private bool TrySetSeeding(LiveChanges.SeedingPlan plan)
    {
        bool told;
        lock (_lock)
        {
            if (_disposed || Volatile.Read(ref _finishing) != 0) return false;
            told = plan != _plan && plan.Seed;
            _plan = plan;
        }
        if (told) Log("seeding" + Until(plan)); // the log is the caller's code: never called under our lock
        if (Volatile.Read(ref _end) is not null) CheckLimits(); // before SeedUntilStopped, the plan waits for it
        return true;
    }

    /// <summary>Ends the seeding when its plan says so (no seeding, the ratio reached, the time up); else looks again
    /// when the next limit may be reached.</summary>
    private void CheckLimits()
    {
        TimeSpan? next = null;
        string? reached;
        lock (_lock)
        {
            if (_disposed) return;
            var plan = _plan;
            var seeded = Time.GetElapsedTime(_seedingSince);
            var uploaded = (_swarm?.Uploaded ?? _uploaded) - _uploadedBefore;
            // Idle counts from the last payload sent, or from when seeding began: an upload starts it again. The swarm
            // stamps each upload, so the timer below wakes when the idle time would be up and looks again.
            var idle = Time.GetElapsedTime(Math.Max(_seedingSince, Math.Max(_lastUploadAt, _swarm?.Progress.LastUploadAt ?? 0)));
            reached = !plan.Seed
                ? "set not to seed"
                : plan.Ratio is { } ratio && Torrent.TotalLength > 0 && uploaded >= ratio * Torrent.TotalLength ? $"ratio {ratio} reached"
                : plan.Time is { } time && seeded >= time ? $"seeded for {time}"
                : plan.Idle is { } idleLimit && idle >= idleLimit ? $"nothing uploaded for {idleLimit}"
                : null;
            if (reached is null)
            {
                if (plan.Ratio is not null && Torrent.TotalLength > 0) next = RatioCheck;
                if (plan.Time is { } limit && (next is null || limit - seeded < next)) next = limit - seeded;
                if (plan.Idle is { } idleUntil && (next is null || idleUntil - idle < next)) next = idleUntil - idle;
                if (next is { } wait)
                {
                    _limitTimer ??= Time.CreateTimer(static state => ((SeedingTorrent)state!).CheckLimits(), this,
                        Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _limitTimer.Change(wait < LongestWait ? wait : LongestWait, Timeout.InfiniteTimeSpan);
                }
                else
                {
                    _limitTimer?.Dispose(); // seeds until stopped
                    _limitTimer = null;
                }
                return;
            }
            _limitReached = true;
        }
        Log($"seeding ends: {reached}"); // outside the lock, as every log line
        Finish();
    }

    /// <summary>Ends <see cref="SeedUntilStopped"/> (the work goes on off the caller's thread); its end is told as usual.</summary>
    internal void Stop() => Finish();

    /// <summary><see cref="SeedUntilStopped"/> until <paramref name="ct"/> is cancelled, as a task: the totals, or the
    /// failure thrown.</summary>
    internal Task<DownloadResult> SeedUntilCancelled(DownloadResult? result, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var end = new EndOnCancel();
        SeedUntilStopped(result, progress, end);
        end.Registration = ct.UnsafeRegister(static state => ((SeedingTorrent)state!).Stop(), this);
        return end.Task;
    }

    /// <summary>The end of <see cref="SeedUntilCancelled"/>: completes its task and lets go of the cancellation.</summary>
    private sealed class EndOnCancel : ISeedingEnd
    {
        private readonly TaskCompletionSource<DownloadResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public Task<DownloadResult> Task => _done.Task;

        public void SeedingEnded(DownloadResult? result, Exception? error)
        {
            Registration.Dispose();
            if (error is not null) _done.TrySetException(error);
            else _done.TrySetResult(result!);
        }

        public bool DownloadMore(SeedingTorrent seeding, Pieces.PieceSelection selection) => false; // nobody changes its priorities

    }

    /// <summary>The result of a torrent that was complete when it started seeding: its pieces, nothing fetched.</summary>
    internal DownloadResult SeededResult() => new(0, 0, PiecesAvailable, [], [], TimeSpan.Zero);

    /// <summary><paramref name="result"/> with what this torrent received and sent, and the peers it banned.</summary>
    internal DownloadResult WithTotals(DownloadResult result) =>
        result with { Downloaded = Received, Uploaded = Uploaded, BadPeers = BadPeers };

    private void FinishIfSeedingUntilStopped()
    {
        if (Volatile.Read(ref _end) is not null) Finish();
    }

    /// <summary>Once, off the caller's thread (a stop, or a failure seen under the lock): stops seeding, then tells
    /// <see cref="SeedUntilStopped"/>'s end.</summary>
    private void Finish()
    {
        if (Interlocked.Exchange(ref _finishing, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.FinishAsync(), this, preferLocal: false);
    }

    private async Task FinishAsync()
    {
        var end = Volatile.Read(ref _end)!;
        DownloadResult? result = null;
        Exception? error;
        try
        {
            error = Volatile.Read(ref _failed)?.Task.Exception?.InnerException;
            if (error is null && !_limitReached) Log("seeding stopped");
            await DisposeAsync().ConfigureAwait(false);
            _progress?.Report(Snapshot());
            if (error is null) result = WithTotals(_result ?? SeededResult());
        }
        catch (Exception e)
        {
            error = e;
        }
        end.SeedingEnded(result, error);
    }

    /// <summary>The swarm has no peer and its rates fell to zero: it is let go after <see cref="ParkAfter"/> unless a
    /// peer comes back.</summary>
    internal void OnSwarmIdle(TorrentSwarm swarm)
    {
        lock (_lock)
        {
            if (_swarm != swarm || _disposed) return;
            _parkTimer ??= _session.Settings.Time.CreateTimer(static state => ((SeedingTorrent)state!).OnParkTimer(), this,
                Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _parkTimer.Change(ParkAfter, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnParkTimer()
    {
        TorrentSwarm swarm;
        IPieceStorage? storage;
        lock (_lock)
        {
            if (_swarm is not { } awake || _disposed) return;
            if (!awake.CanPark(ParkAfter))
            {
                // Peers came back (the swarm calls again when they leave), or a dial is under way: look again later.
                if (awake.ConnectedCount == 0) _parkTimer?.Change(ParkAfter, Timeout.InfiniteTimeSpan);
                return;
            }
            swarm = awake;
            storage = _storage;
            _swarm = null;
            _storage = null;
            _received = swarm.Received;
            _uploaded = swarm.Uploaded;
            _lastUploadAt = Math.Max(_lastUploadAt, swarm.Progress.LastUploadAt);
            _retiredSeeds = [.. _retiredSeeds.Union(swarm.Book.RetiredSeeds())];
            _badPeers = [.. _badPeers, .. swarm.BadPeers];
            _parkTimer?.Dispose();
            _parkTimer = null;
            _parking = LetGoAsync(swarm, storage);
        }
        _progress?.Report(Snapshot());
    }

    private static async Task LetGoAsync(TorrentSwarm swarm, IPieceStorage? storage)
    {
        await swarm.DisposeAsync().ConfigureAwait(false);
        storage?.Dispose();
    }

    private AnnounceTotals Totals() => new(Uploaded, Received, Torrent.PayloadLength - BytesOf(_have), PartialSeed: !_have.IsComplete);

    private long BytesOf(Bitfield pieces)
    {
        long bytes = 0;
        foreach (var i in pieces.SetIndexes()) bytes += Torrent.GetPiecePayloadLength(i);
        return bytes;
    }

    /// <summary>Stops seeding: the session no longer routes here, the swarm (if awake) ends, the trackers hear
    /// <c>stopped</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        TorrentSwarm? swarm;
        IPieceStorage? storage;
        Task parking;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            swarm = _swarm;
            storage = _storage;
            _swarm = null;
            _storage = null;
            parking = _parking;
            _parkTimer?.Dispose();
            _limitTimer?.Dispose();
        }
        _session.Detach(this);
        _options.Live?.Detach(_live);
        if (swarm is not null)
        {
            _received = swarm.Received;
            _uploaded = swarm.Uploaded;
            await LetGoAsync(swarm, storage).ConfigureAwait(false);
        }
        await parking.ConfigureAwait(false);
        if (Announcer is { } announcer)
        {
            await announcer.StoppedAsync().ConfigureAwait(false);
            announcer.Dispose();
        }
    }
}
