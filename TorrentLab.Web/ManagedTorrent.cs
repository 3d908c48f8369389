using Microsoft.Extensions.Logging;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using HandleState = TorrentLab.Client.TorrentState;

namespace TorrentLab.Web;

/// <summary>Where a torrent of the web interface stands.</summary>
internal enum TorrentState { Paused, Downloading, Completed, Failed, Queued, Seeding, Checking, Moving }

/// <summary>One torrent of the web interface: the session's <see cref="TorrentHandle"/> of it (its runs, settings,
/// pieces, progress and peers) and what is the web's own: when it was added, its category, its place in the queue, the
/// steps of a move or a re-check the server drives, its log ring, wire trace and peer table. Thread-safe.</summary>
internal sealed partial class ManagedTorrent : ILogger
{
    private const int MaxLogLines = 200; // the detail view shows recent protocol events, not a whole history
    private readonly Lock _lock = new();
    // Made at the first line, guarded by _lock. Each line keeps its time apart (the text is often a shared literal): a
    // seeding torrent's two lines cost a few dozen bytes, not a stamped copy of each.
    private Queue<(int Second, string Line)>? _log;
    private (string Text, DateTimeOffset At)? _trackerAnswer;
    private Step _step;          // the server's own step over the handle's state
    private bool _wants;         // the user started it: it resumes when the server starts again (guarded by _lock)
    private string? _stepError;  // why the server's last re-check failed, shown while the torrent is failed
    private Exception? _logged;  // the handle's error already written to the log ring
    private bool _configured;    // the server's adjustment of its options was applied (before its first run)
    private int _version;

    /// <summary>The steps the server takes a torrent through beside its runs (the queue, a re-check, a move).</summary>
    private enum Step : byte { None, Queued, Checking, Moving }

    /// <param name="torrent">The parsed torrent.</param>
    /// <param name="addedAt">When the user added it.</param>
    /// <param name="add">Adds it to the server's session, paused, with this torrent as its run's logger and trace.</param>
    public ManagedTorrent(Torrent torrent, DateTimeOffset addedAt, Func<ManagedTorrent, TorrentHandle> add)
    {
        Torrent = torrent;
        InfoHash = torrent.InfoHash.Hex;
        AddedAt = addedAt;
        Handle = add(this);
        _notedState = StateLocked();
        // Payload moved from here on is activity, and bytes gained from here on while it runs are downloaded (Downloaded).
        (_lastBytes, _lastUploaded) = (Handle.BytesDone, Handle.Uploaded);
        if (_notedState == TorrentState.Completed) _completedAt = addedAt; // complete before it ever ran: the saved list may know better
    }

    public Torrent Torrent { get; private set; } // replaced only by a rename of its files (ManagedTorrent.Remote.cs)
    public string InfoHash { get; }
    public DateTimeOffset AddedAt { get; }

    /// <summary>The torrent in the session: its runs, its settings (one place each), pieces, progress and peers.</summary>
    public TorrentHandle Handle { get; }

    /// <summary>Where it stands: the server's step (queued, re-checked, moved) when it takes one, else the handle's state.</summary>
    public TorrentState State
    {
        get
        {
            lock (_lock) return StateLocked();
        }
    }

    private TorrentState StateLocked() => _step switch
    {
        Step.Moving => TorrentState.Moving,
        Step.Checking => TorrentState.Checking,
        Step.Queued => TorrentState.Queued,
        _ => Handle.State switch
        {
            // A run prepares (its resume decision): shown as what it is about to do, as soon as it is started.
            HandleState.Checking => Handle.IsComplete && Handle.SeedAfterDownload ? TorrentState.Seeding : TorrentState.Downloading,
            HandleState.Downloading => TorrentState.Downloading,
            HandleState.Seeding => TorrentState.Seeding,
            HandleState.Completed => TorrentState.Completed,
            HandleState.Failed => TorrentState.Failed,
            HandleState.Moving => TorrentState.Moving,
            _ => Handle.IsComplete ? TorrentState.Completed : TorrentState.Paused,
        },
    };

    /// <summary>The user started it and it has not finished: it resumes when the server starts again (a torrent whose
    /// run completed on its own no longer wants to).</summary>
    public bool WantsRunning
    {
        get { lock (_lock) return _wants && Handle.State != HandleState.Completed; }
    }

    /// <summary>A run that completed on its own: the torrent no longer wants to run (kept across a shutdown's pause).</summary>
    public void Settle()
    {
        lock (_lock)
        {
            if (Handle.State == HandleState.Completed) _wants = false;
        }
    }

    /// <summary>Grows on every change a viewer would see: the handle's (progress, state, pieces, settings) and the
    /// server's own (log lines, steps, category).</summary>
    public int Version => Volatile.Read(ref _version) + Handle.Version;

    /// <summary><see cref="Version"/> without the progress reports in which no payload moved
    /// (<see cref="TorrentHandle.ActivityVersion"/>): what Transmission's <c>recently-active</c> follows.</summary>
    public int ActivityVersion => Volatile.Read(ref _version) + Handle.ActivityVersion;

    /// <summary>The wire trace (made when first needed: thousands of idle torrents trace nothing).</summary>
    public TraceRing Trace => LazyInitializer.EnsureInitialized(ref _trace);
    private TraceRing? _trace;

    /// <summary>This torrent's own limits (under the server's global ones), the handle's; changed live through the API.</summary>
    public RateLimit DownloadLimit => Handle.DownloadLimit;
    public RateLimit UploadLimit => Handle.UploadLimit;

    public PeerTable Peers => LazyInitializer.EnsureInitialized(ref _peers);
    private PeerTable? _peers;

    public PieceStates Pieces => Handle.Pieces;

    /// <summary>Starts (or resumes) it with the seeding it is to do (the server's defaults over its own policy); nothing
    /// happens when it runs already, is being re-checked or moved, or is complete and will not seed.</summary>
    /// <param name="seeding">Whether it seeds once complete, and until when.</param>
    /// <param name="configure">The server's adjustment of every torrent's options
    /// (<see cref="WebServerOptions.ConfigureDownload"/>), applied to the handle before its first run.</param>
    public void Start(SeedingRun seeding, Func<DownloadOptions, DownloadOptions>? configure)
    {
        lock (_lock)
        {
            if (_step is Step.Checking or Step.Moving || Handle.State is HandleState.Checking or HandleState.Downloading or HandleState.Seeding or HandleState.Moving)
                return;
            if (Handle.IsComplete && !seeding.Seed)
            {
                if (_step == Step.Queued) // it completed while it waited (held for disk space as its last piece came)
                {
                    _step = Step.None;
                    Bump();
                }
                return;
            }
            if (!_configured && configure is not null)
            {
                var before = Handle.Options;
                var configured = configure(before);
                _ = Handle.SetOptionsAsync(configured); // taken at once: the torrent does not run
                _serverPeers = [.. configured.ExtraPeers.Where(p => !before.ExtraPeers.Contains(p))];
            }
            _configured = true;
            _step = Step.None;
            _wants = true;
            _stepError = null;
            // Taken at once: the torrent does not run. Its other settings are the handle's already. Its share limits
            // count over every run: what it uploaded and seeded so far is taken off them (ShareLimits.Plan).
            _shareBase = (_uploadedBefore + Handle.Uploaded, _secondsSeeding);
            seeding = seeding.Less(_shareBase, Torrent.PayloadLength);
            _ = Handle.SetSeedingAsync(seeding.Seed, seeding.Ratio, seeding.Time, seeding.Idle);
            Handle.Start();
            ObserveLocked(StateLocked(), null, Handle.BytesDone, Handle.Uploaded); // the run's time counts from now
            Bump();
        }
    }

    /// <summary>The wire trace of its runs: into the ring and the peer table.</summary>
    public void OnTrace(Wire.WireTraceEvent e)
    {
        Trace.Add(e);
        Peers.Observe(e);
    }

    // The torrent's log ring is its run's logger: every line of the run, at any level, goes to the ring.
    bool ILogger.IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    void ILogger.Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        AddLog(formatter(state, exception));

    IDisposable? ILogger.BeginScope<TState>(TState state) => null;

    /// <summary>Stops it and waits for the engine to save its resume ledger; it no longer wants to run.</summary>
    public async Task PauseAsync()
    {
        lock (_lock)
        {
            _wants = false;
            if (_step == Step.Queued) _step = Step.None;
            Bump();
        }
        await Handle.PauseAsync().ConfigureAwait(false);
        Observe(); // the run's time ends now
    }

    /// <summary>Its run ended with an error: the error goes to the log ring once.</summary>
    public void NoteFailure()
    {
        var error = Handle.Error;
        lock (_lock)
        {
            if (error is null || ReferenceEquals(error, _logged)) return;
            _logged = error;
        }
        AddLog($"failed: {Describe(error)}");
    }

    private static string Describe(Exception error) => error switch
    {
        TorrentLabException or IOException or UnauthorizedAccessException => error.Message,
        var e => $"{e.GetType().Name}: {e.Message}",
    };

    private string? ErrorLocked(TorrentState state) =>
        state != TorrentState.Failed ? null : _stepError ?? (Handle.Error is { } error ? Describe(error) : null);

    private void AddLog(string line)
    {
        var second = (int)DateTimeOffset.UtcNow.TimeOfDay.TotalSeconds;
        var tracker = line.StartsWith("tracker", StringComparison.Ordinal);
        var tiers = tracker ? Handle?.Trackers : null; // outside this lock; null while the session adds the handle
        lock (_lock)
        {
            _log ??= new(2); // most torrents log two lines ("resume ledger trusted", "seeding") and no more
            _log.Enqueue((second, line));
            while (_log.Count > MaxLogLines) _log.Dequeue();
            if (tracker)
            {
                _trackerAnswer = (line, DateTimeOffset.UtcNow);
                NoteTrackerLineLocked(line, _trackerAnswer.Value.At, tiers ?? Torrent.TrackerTiers);
            }
            Bump();
        }
    }

    public TorrentSummary Summary()
    {
        var before = State;
        var seeds = before == TorrentState.Completed && (SeedsWhenComplete?.Invoke(this) ?? false); // outside the lock: see its doc
        var spaceWait = before == TorrentState.Queued ? SpaceWaitOf?.Invoke(this) : null; // as SeedsWhenComplete
        lock (_lock)
        {
            // The state first, then the counts: the handle counts a piece before it can complete, so a torrent that
            // completes between the two reads shows "completed" only beside the counts of its completion. Read the other
            // way round, a summary read while the last pieces arrived said "completed" at 42 % (a loaded machine, 2026-11-27).
            var state = StateLocked();
            var progress = Handle.Progress;
            var wanted = Handle.WantedBytes;
            var done = Handle.BytesDone;
            var uploaded = Handle.Uploaded;
            ObserveLocked(state, progress, done, uploaded);
            var running = state is TorrentState.Downloading or TorrentState.Seeding;
            var shown = running ? progress : null;
            return WithRemote(WithPlace(WithParity(new TorrentSummary(InfoHash, Torrent.Name, Torrent.PayloadLength, Torrent.PieceCount, Handle.PiecesDone,
                done, wanted == 0 ? 1 : (double)done / wanted, // of the wanted bytes
                shown?.DownloadRate ?? 0, shown?.UploadRate ?? 0, shown?.ConnectedPeers ?? 0, state.ToString().ToLowerInvariant(), AddedAt,
                ErrorLocked(state))
            {
                Status = shown?.Status ?? (state == TorrentState.Queued ? spaceWait : null),
                IsPrivate = Torrent.IsPrivate,
            }, state, shown), state, seeds));
        }
    }

    public TorrentDetails Details()
    {
        NoteFailure();
        var summary = Summary();
        var queuePosition = QueuePositionOf?.Invoke(this) ?? 0; // outside the lock, as SeedsWhenComplete
        var pieces = Handle.Pieces;
        var progress = Handle.Progress;
        var running = summary.State is "downloading" or "seeding";
        lock (_lock)
        {
            var files = FileProgress.Compute(Torrent, pieces.Verified()).Select(f => new FileDetails(f.File.DisplayPath, f.File.Length,
                f.TotalPieces == 0 ? 1 : (double)f.VerifiedPieces / f.TotalPieces, f.VerifiedPieces, f.TotalPieces)).ToArray();
            return new TorrentDetails(summary, Torrent.PieceLength, Torrent.Comment, Torrent.CreatedBy, files, Trackers(),
                Peers.Snapshot(progress, running, Torrent.PieceCount), pieces.ToDigits(),
                [.. (_log ?? []).Select(e => $"{TimeSpan.FromSeconds(e.Second):hh\\:mm\\:ss} {e.Line}")],
                Torrent.MetaVersion, Torrent.InfoHashV2?.Hex, HashSchemeOf(Torrent))
            {
                PeerSources = Handle.PeerSources,
                QueuePosition = queuePosition, TrackersEdited = Handle.TrackersReplaced, GivenPeers = [.. LinkPeers.Select(p => p.ToString())],
                MagnetLink = Torrent.MagnetLink,
            };
        }
    }

    /// <summary>The API's name for what verifies the torrent's pieces, as its resume ledger names it: BEP 3's SHA-1
    /// hashes (<c>sha1</c>), BEP 52's merkle trees (<c>merkle-sha256</c>), or both for a hybrid.</summary>
    private static string HashSchemeOf(Torrent torrent) => torrent.IsV2Only ? "merkle-sha256" : torrent.IsHybrid ? "sha1+merkle-sha256" : "sha1";

    // The engine reports one answer per announce, not per URL: an answer that names a URL goes on that URL's row,
    // any other answer on every row.
    private TrackerDetails[] Trackers()
    {
        var answer = _trackerAnswer;
        var rows = Handle.Trackers.SelectMany((tier, index) => tier.Select(url => (url, index))).ToArray();
        var named = answer is { } a && rows.Any(r => a.Text.Contains(r.url, StringComparison.Ordinal));
        return rows.Select(r =>
        {
            var mine = answer is { } a && (!named || a.Text.Contains(r.url, StringComparison.Ordinal));
            return new TrackerDetails(r.url, r.index, mine ? answer!.Value.Text : null, mine ? answer!.Value.At : null);
        }).ToArray();
    }

    private void Bump() => Interlocked.Increment(ref _version);
}
