using Microsoft.Extensions.Logging;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Web;

/// <summary>Where a torrent of the web interface stands.</summary>
internal enum TorrentState { Paused, Downloading, Completed, Failed, Queued, Seeding, Checking, Moving }

/// <summary>One torrent of the web interface: its engine run (started, paused, finished or failed), the latest progress
/// report, its piece map, peers and wire trace. Thread-safe: the engine reports from its own tasks.</summary>
internal sealed partial class ManagedTorrent : ITorrentRunObserver, ILogger
{
    private const int MaxLogLines = 200; // the detail view shows recent protocol events, not a whole history
    private readonly Lock _lock = new();
    // Made at the first line, guarded by _lock. Each line keeps its time apart (the text is often a shared literal): a
    // seeding torrent's two lines cost a few dozen bytes, not a stamped copy of each.
    private Queue<(int Second, string Line)>? _log;
    private TorrentRun? _run; // while running (downloading or seeding)
    private PeerSources _sources = PeerSources.None; // the last run's counts, kept after it ends
    private DownloadProgress? _progress;
    private PieceStates _pieces;
    private long _bytesDone;
    private string? _error;
    private (string Text, DateTimeOffset At)? _trackerAnswer;
    private int _version;

    /// <param name="torrent">The parsed torrent.</param>
    /// <param name="addedAt">When the user added it.</param>
    /// <param name="pieces">The piece map known at load (from the resume ledger).</param>
    /// <param name="priorities">The file selection (one priority per file); null: every file at normal priority.</param>
    public ManagedTorrent(Torrent torrent, DateTimeOffset addedAt, PieceStates pieces, IReadOnlyList<FilePriority>? priorities = null)
    {
        Torrent = torrent;
        InfoHash = torrent.InfoHash.Hex;
        AddedAt = addedAt;
        _pieces = pieces;
        _selection = PieceSelection.For(torrent, priorities);
        _bytesDone = BytesOf(pieces);
        BytesAtLoad = _bytesDone;
        State = _selection.IsDoneIn(pieces.Verified()) ? TorrentState.Completed : TorrentState.Paused;
        if (State == TorrentState.Completed) _completedAt = addedAt; // complete before it ever ran: the saved list may know better
    }

    public Torrent Torrent { get; private set; } // replaced only by a rename of its files (ManagedTorrent.Remote.cs)
    public string InfoHash { get; }
    public DateTimeOffset AddedAt { get; }
    public TorrentState State { get; private set; }

    /// <summary>The wanted bytes verified when this server loaded or added it: what it had without downloading in this
    /// session (qBittorrent's <c>downloaded_session</c> counts from there).</summary>
    public long BytesAtLoad { get; }

    /// <summary>The user started it and it has not finished: it resumes when the server starts again.</summary>
    public bool WantsRunning { get; private set; }

    /// <summary>Grows by one on every change a viewer would see (progress, state, peers).</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The wire trace (made when first needed: thousands of idle torrents trace nothing).</summary>
    public TraceRing Trace => LazyInitializer.EnsureInitialized(ref _trace);
    private TraceRing? _trace;

    /// <summary>This torrent's own limits (under the server's global ones); changed live through the API.</summary>
    public RateLimit DownloadLimit { get; init; } = new();
    public RateLimit UploadLimit { get; init; } = new();
    public PeerTable Peers => LazyInitializer.EnsureInitialized(ref _peers);
    private PeerTable? _peers;

    /// <summary>The session the torrent runs in (its port, DHT node and budgets); null runs it in one of its own.</summary>
    public Swarm.Session? Session { get; init; }

    /// <summary>Called after the state changed on its own (finished or failed), so the list can be saved.</summary>
    public Action<ManagedTorrent>? StateChanged { get; set; }

    public PieceStates Pieces { get { lock (_lock) return _pieces; } }

    /// <summary>Starts (or resumes) the download through the front door; nothing happens when it runs already or is
    /// complete.</summary>
    /// <param name="options">The download options; trace, log and output folder are wired in here.</param>
    public void Start(DownloadOptions options)
    {
        lock (_lock)
        {
            if (IsRunning || State is TorrentState.Checking or TorrentState.Moving) return;
            if (State == TorrentState.Completed && !options.SeedAfterDownload) return;
            _seeding = options.SeedAfterDownload;
            State = State == TorrentState.Completed ? TorrentState.Seeding : TorrentState.Downloading;
            NoteSegmentLocked(State);
            WantsRunning = true;
            _error = null;
            // The caller's delegates, not its options: a seeding torrent keeps its run's options as long as it seeds.
            var run = options with
            {
                Trace = options.Trace is null ? OnTrace : TraceAlsoTo(options.Trace),
                Logger = options.Logger is null ? this : new LineLogger(LogAlsoTo(options.Logger)),
                FilePriorities = _selection.Files, // the page's selection, recorded in the ledger by the engine
                DownloadLimit = DownloadLimit,
                UploadLimit = UploadLimit,
            };
            _run = TorrentClient.Start(Session, Torrent, run, this);
            Bump();
        }
    }

    private void OnTrace(Wire.WireTraceEvent e)
    {
        Trace.Add(e);
        Peers.Observe(e);
    }

    // Apart from Start, so that a run without the caller's delegates (serve's) makes no closure for them.
    private Action<Wire.WireTraceEvent> TraceAlsoTo(Action<Wire.WireTraceEvent> also) => e => { OnTrace(e); also(e); };

    private Action<string> LogAlsoTo(ILogger also) => line => { AddLog(line); also.LogDebug("{Line}", line); };

    // The torrent's log ring is its run's logger: every line of the run, at any level, goes to the ring.
    bool ILogger.IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    void ILogger.Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        AddLog(formatter(state, exception));

    IDisposable? ILogger.BeginScope<TState>(TState state) => null;

    /// <summary>Stops the download and waits for the engine to save its resume ledger.</summary>
    public Task PauseAsync() => StopAsync(keepRunning: false);

    /// <summary>Stops the download for a server shutdown: it stays marked as running, to resume on the next start.</summary>
    public Task StopForShutdownAsync() => StopAsync(keepRunning: true);

    private async Task StopAsync(bool keepRunning)
    {
        TorrentRun run;
        lock (_lock)
        {
            WantsRunning &= keepRunning;
            if (!keepRunning && State == TorrentState.Queued) State = TorrentState.Paused;
            if (!IsRunning || _run is null) { Bump(); return; }
            run = _run;
        }
        await run.StopAsync().ConfigureAwait(false);
    }

    /// <summary>The run ended: the torrent's state is its outcome, saved by the list.</summary>
    void ITorrentRunObserver.Ended(TorrentRunEnd end)
    {
        // Completed (also a seeding run stopped), paused (stopped before it had everything), or failed: then shown on
        // the torrent's row, and the user may start it again.
        var outcome = end.Error is not null ? TorrentState.Failed : end.Result is not null ? TorrentState.Completed : TorrentState.Paused;
        var error = end.Error switch
        {
            null => null,
            TorrentLabException or IOException or UnauthorizedAccessException => end.Error.Message,
            var e => $"{e.GetType().Name}: {e.Message}",
        };
        if (error is not null) AddLog($"failed: {error}");
        lock (_lock)
        {
            State = outcome;
            NoteSegmentLocked(outcome);
            _error = error;
            if (outcome == TorrentState.Completed)
            {
                // Seeding stopped by the server's shutdown resumes on its next start; a limit reached or a pause does not.
                WantsRunning &= _seeding && end.Stopped;
                // Every wanted piece is verified (all of them unless files are skipped: then the last report's map).
                if (_selection.IsEverything) _pieces = PieceStates.AllVerified(Torrent.PieceCount);
                _bytesDone = _selection.WantedBytes;
            }
            else
            {
                // Requested pieces are no longer being fetched: the map keeps verified (and failed) ones only.
                _pieces = PieceStates.From(_pieces.Verified(), failed: _pieces.IndexesOf(PieceState.Failed));
            }
            _uploadedBefore += _runUploaded;
            _runUploaded = 0;
            _progress = null;
            _run = null;
            Bump();
        }
        StateChanged?.Invoke(this); // saved, and the queue may start the next one
    }

    private void OnProgress(DownloadProgress p)
    {
        bool seedingNow;
        lock (_lock)
        {
            if (!IsRunning) return;
            seedingNow = State == TorrentState.Downloading && _seeding && p.PiecesDone == p.PieceCount;
            if (seedingNow)
            {
                State = TorrentState.Seeding;
                NoteSegmentLocked(State);
            }
            NoteProgressLocked(p);
            // A report with nothing to show beside the totals (a seed asleep, no peer) is not kept: ten thousand idle
            // torrents hold none.
            _progress = State == TorrentState.Downloading || p.ConnectedPeers > 0 || p.Peers.Count > 0 || p.CurrentPeer is not null
                || p.DownloadRate > 0 || p.UploadRate > 0 || p.Status is not null ? p : null;
            _runUploaded = p.Uploaded;
            _sources = p.PeerSources;
            _bytesDone = p.BytesDone;
            if (p.Pieces is { } pieces && pieces.Count == Torrent.PieceCount) _pieces = pieces;
            Bump();
        }
        if (seedingNow) StateChanged?.Invoke(this); // no longer an active download: the queue may start the next one
    }

    private void AddLog(string line)
    {
        var second = (int)DateTimeOffset.UtcNow.TimeOfDay.TotalSeconds;
        lock (_lock)
        {
            _log ??= new(2); // most torrents log two lines ("resume ledger trusted", "seeding") and no more
            _log.Enqueue((second, line));
            while (_log.Count > MaxLogLines) _log.Dequeue();
            if (line.StartsWith("tracker", StringComparison.Ordinal))
            {
                _trackerAnswer = (line, DateTimeOffset.UtcNow);
                NoteTrackerLineLocked(line, _trackerAnswer.Value.At);
            }
            Bump();
        }
    }

    public TorrentSummary Summary()
    {
        var seeds = State == TorrentState.Completed && (SeedsWhenComplete?.Invoke(this) ?? false); // outside the lock: see its doc
        lock (_lock)
        {
            var downloading = IsRunning;
            return WithRemote(WithPlace(WithParity(new TorrentSummary(InfoHash, Torrent.Name, Torrent.PayloadLength, Torrent.PieceCount, _pieces.CountOf(PieceState.Verified),
                _bytesDone, _selection.WantedBytes == 0 ? 1 : (double)_bytesDone / _selection.WantedBytes, // of the wanted bytes
                downloading ? _progress?.DownloadRate ?? 0 : 0, downloading ? _progress?.UploadRate ?? 0 : 0,
                downloading ? _progress?.ConnectedPeers ?? 0 : 0, State.ToString().ToLowerInvariant(), AddedAt, _error)
            {
                Status = downloading ? _progress?.Status : null,
            }), seeds));
        }
    }

    public TorrentDetails Details()
    {
        var summary = Summary();
        var queuePosition = QueuePositionOf?.Invoke(this) ?? 0; // outside the lock, as SeedsWhenComplete
        lock (_lock)
        {
            var files = TorrentClient.Files(Torrent, _pieces).Select(f => new FileDetails(f.File.DisplayPath, f.File.Length,
                f.TotalPieces == 0 ? 1 : (double)f.VerifiedPieces / f.TotalPieces, f.VerifiedPieces, f.TotalPieces)).ToArray();
            return new TorrentDetails(summary, Torrent.PieceLength, Torrent.Comment, Torrent.CreatedBy, files, Trackers(),
                Peers.Snapshot(_progress, IsRunning, Torrent.PieceCount), _pieces.ToDigits(),
                [.. (_log ?? []).Select(e => $"{TimeSpan.FromSeconds(e.Second):hh\\:mm\\:ss} {e.Line}")],
                Torrent.MetaVersion, Torrent.InfoHashV2?.Hex, TorrentClient.HashScheme(Torrent))
            {
                PeerSources = _sources,
                QueuePosition = queuePosition, TrackersEdited = _trackers is not null, GivenPeers = [.. LinkPeers.Select(p => p.ToString())],
                MagnetLink = Torrent.MagnetLink,
            };
        }
    }

    // The engine reports one answer per announce, not per URL: an answer that names a URL goes on that URL's row,
    // any other answer on every row.
    private TrackerDetails[] Trackers()
    {
        var answer = _trackerAnswer;
        var rows = (_trackers ?? Torrent.TrackerTiers).SelectMany((tier, index) => tier.Select(url => (url, index))).ToArray();
        var named = answer is { } a && rows.Any(r => a.Text.Contains(r.url, StringComparison.Ordinal));
        return rows.Select(r =>
        {
            var mine = answer is { } a && (!named || a.Text.Contains(r.url, StringComparison.Ordinal));
            return new TrackerDetails(r.url, r.index, mine ? answer!.Value.Text : null, mine ? answer!.Value.At : null);
        }).ToArray();
    }

    private void Bump() => Interlocked.Increment(ref _version);

    private long BytesOf(PieceStates pieces)
    {
        long bytes = 0;
        foreach (var i in pieces.IndexesOf(PieceState.Verified)) if (_selection.IsWanted(i)) bytes += Torrent.GetPiecePayloadLength(i);
        return bytes;
    }

    /// <summary>Takes progress reports on the engine's thread (no synchronization context hop, unlike Progress&lt;T&gt;).</summary>
    void IProgress<DownloadProgress>.Report(DownloadProgress value) => OnProgress(value);
}
