using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>What an announce reports: bytes sent and received, bytes left, and whether we are a partial seed (BEP 21:
/// every wanted file done, others skipped; announced with <c>event=paused</c>).</summary>
internal readonly record struct AnnounceTotals(long Uploaded, long Downloaded, long Left, bool PartialSeed = false);

/// <summary>Keeps the session known to its trackers: <c>started</c>, regular announces at the tracker's interval
/// (sooner when few peers are connected), <c>completed</c> once, <c>paused</c> while a partial seed (BEP 21), and
/// <c>stopped</c> at the end (BEP 3, BEP 12).</summary>
/// <remarks>The <see cref="TrackerClient"/> walks the announce-list tiers; every peer it returns goes to the
/// <see cref="PeerBook"/>. A failed announce is retried with a growing delay; it never stops the session, since peers
/// can also come from the command line or connect to us. A running torrent's trackers change in place
/// (<see cref="SetTiers"/>, the new list hears <c>started</c>) and a reannounce only wakes the loop
/// (<see cref="AnnounceNow"/>): neither touches the torrent's peers.</remarks>
internal sealed class Announcer(IReadOnlyList<IReadOnlyList<string>> tiers, InfoHash infoHash, PeerId peerId,
    Func<AnnounceTotals> totals, Func<int> connected, Action<IReadOnlyList<System.Net.IPEndPoint>> onPeers,
    Action<string>? log, TimeProvider? time = null, TrackerClientOptions? trackers = null, ITorrentEvents? events = null) : IDisposable
{
    private static readonly TimeSpan StoppedTimeout = TimeSpan.FromSeconds(3);  // exit must stay quick

    // Who the announcer reports to; a seeding torrent takes over a finished download's announcer (Retarget).
    private volatile Host _host = new(totals, connected, onPeers);

    private sealed record Host(Func<AnnounceTotals> Totals, Func<int> Connected,
        Action<IReadOnlyList<System.Net.IPEndPoint>> OnPeers);

    /// <summary>From now on the totals, the connected count and the peers of an answer come from and go to these.</summary>
    public void Retarget(Func<AnnounceTotals> totals, Func<int> connected,
        Action<IReadOnlyList<System.Net.IPEndPoint>> onPeers) => _host = new(totals, connected, onPeers);

    private volatile TrackerClient _client = new(tiers, trackers);
    private readonly List<TrackerClient> _retired = []; // replaced by SetTiers, disposed by the loop between announces
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile bool _completedPending;
    private volatile bool _hasTrackers = tiers.Any(t => t.Count > 0);
    private int _generation;               // the tracker list's, moved by SetTiers
    private int _startedGeneration = -1;   // the list that heard started
    private volatile bool _everStarted;    // some list heard started: the trackers hear stopped at the end
    private Func<int> _port = () => 0;
    private int _portSent;

    /// <summary>False for a torrent without trackers (peers then come only from elsewhere).</summary>
    public bool HasTrackers => _hasTrackers;

    private bool Started => Volatile.Read(ref _startedGeneration) == Volatile.Read(ref _generation);

    /// <summary>Seeders the last answer counted (<c>complete</c>; us included once we announced complete), if it said.</summary>
    public int? Seeders { get; private set; }

    /// <summary>The last announce error, or null after a success.</summary>
    public string? LastError { get; private set; }

    /// <summary>The tracker the first announce is still waiting for (neither answered nor failed yet), or null.</summary>
    public string? Unanswered => HasTrackers && !Started && LastError is null ? _client.LastAsked : null;

    private volatile string? _status = "announcing";
    private long _nextAnnounceTicks;

    /// <summary>What the trackers said last and when we ask again, for the "waiting for peers" line: e.g. "tracker
    /// http://t/announce answered 0 peers, next announce in 30 s".</summary>
    public string Status
    {
        get
        {
            if (!HasTrackers) return "no tracker";
            if (Unanswered is { } asked) return $"announcing to {UntrustedText.Clean(asked, 200)}, no answer yet";
            var next = new DateTimeOffset(Interlocked.Read(ref _nextAnnounceTicks), TimeSpan.Zero) - _time.GetUtcNow();
            var seconds = Math.Max(0, (int)Math.Ceiling(next.TotalSeconds));
            return _status is { } status && _nextAnnounceTicks != 0 ? $"{status}, next announce in {seconds} s" : _status ?? "announcing";
        }
    }

    private readonly CancellationTokenSource _loopStop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>Starts announcing in the background (<see cref="RunAsync(Func{int}, CancellationToken)"/>) until <see cref="StoppedAsync"/> or
    /// <see cref="Dispose"/>: the announcer, not the swarm that started it, owns the loop, so a seeding torrent can
    /// keep it across swarms.</summary>
    public void Start(Func<int> port) => _loop = RunAsync(port, _loopStop.Token);

    /// <summary>Announces <paramref name="port"/> until cancelled: <c>started</c> first, then regular announces.</summary>
    public Task RunAsync(int port, CancellationToken ct) => RunAsync(() => port, ct);

    /// <summary>Announces until cancelled: <c>started</c> first, then regular announces, each naming the port
    /// <paramref name="port"/> gives then (the session's, or the external port a router mapped for it).</summary>
    public async Task RunAsync(Func<int> port, CancellationToken ct)
    {
        _port = port;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            DisposeRetired();
            if (!HasTrackers)
            {
                // No tracker (yet): the loop waits for a list (SetTiers) instead of ending.
                try { await SleepAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            var generation = Volatile.Read(ref _generation);
            var client = _client;
            var @event = generation != Volatile.Read(ref _startedGeneration) ? AnnounceEvent.Started : _completedPending ? AnnounceEvent.Completed
                : _host.Totals().PartialSeed ? AnnounceEvent.Paused : AnnounceEvent.None;
            TimeSpan wait;
            try
            {
                var response = await AnnounceAsync(client, @event, ct).ConfigureAwait(false);
                Volatile.Write(ref _startedGeneration, generation); // a list set meanwhile still hears started
                _everStarted = true;
                if (@event == AnnounceEvent.Completed) _completedPending = false;
                failures = 0;
                LastError = null;
                Seeders = response.Complete;
                if (response.WarningMessage is not null) log?.Invoke($"tracker warning: {response.WarningMessage}");
                // The tracker and its swarm counts close the line, for whoever shows trackers (serve's trackerStats).
                var counts = response is { Complete: { } seeders, Incomplete: { } leechers }
                    ? $": {seeders} seeder{(seeders == 1 ? "" : "s")}, {leechers} leecher{(leechers == 1 ? "" : "s")}" : "";
                events?.TrackerAnswered(_client.LastAnswered ?? "", response.Peers.Count, response.Interval, response.WarningMessage);
                var host = _host;
                host.OnPeers(response.Peers);
                // The port changed while the announce was on its way (a router mapped it): the trackers hear it now.
                wait = _port() != Volatile.Read(ref _portSent) ? TimeSpan.Zero : AnnounceSchedule.Next(response, host.Connected());
                log?.Invoke($"tracker: {response.Peers.Count} peer{(response.Peers.Count == 1 ? "" : "s")}, next announce in {wait.TotalSeconds:0} s"
                    + $" (from {_client.LastAnswered}{counts})");
                _status = $"tracker {_client.LastAnswered} answered {response.Peers.Count}";
            }
            catch (TrackerException e)
            {
                LastError = e.Message;
                log?.Invoke($"tracker announce failed: {e.Message}");
                events?.TrackerFailed(_client.LastAsked, e.Message, e.FailureReason);
                wait = TimeSpan.FromSeconds(Math.Min(300, 5 << Math.Min(failures++, 6)));
                _status = $"tracker failed ({UntrustedText.Clean(e.Message, 200)})";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // stopped in the middle of an announce
            }
            Interlocked.Exchange(ref _nextAnnounceTicks, (_time.GetUtcNow() + wait).UtcTicks);
            try { await SleepAsync(wait, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Waits <paramref name="wait"/> on the announcer's clock, or until <see cref="Completed"/> wakes it.</summary>
    private async Task SleepAsync(TimeSpan wait, CancellationToken ct)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await _wake.WaitAsync(ct).ConfigureAwait(false);
            return;
        }
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sleep = Task.Delay(wait, _time, done.Token);
        var woken = _wake.WaitAsync(done.Token);
        await Task.WhenAny(sleep, woken).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>The port to announce changed: announce now, so the trackers hand out the new one (an announce on its
    /// way with the old port is followed by another at once).</summary>
    public void PortChanged()
    {
        if (!HasTrackers || !Started) return;
        Wake();
    }

    /// <summary>Announces now (a reannounce asked by the user, libtorrent's <c>force_reannounce</c>): the loop wakes from
    /// its wait, a failure's back-off included; nothing else of the torrent changes.</summary>
    public void AnnounceNow()
    {
        if (HasTrackers) Wake();
    }

    /// <summary>Announces to <paramref name="tiers"/> from now on (BEP 12 tiers; none: the loop waits for a list): the
    /// new list hears <c>started</c> at once; an announce on its way to the old one ends first.</summary>
    public void SetTiers(IReadOnlyList<IReadOnlyList<string>> tiers)
    {
        var next = new TrackerClient(tiers, trackers);
        lock (_retired)
        {
            _retired.Add(_client);
            _client = next;
        }
        _hasTrackers = tiers.Any(t => t.Count > 0);
        Interlocked.Increment(ref _generation);
        LastError = null;
        _status = "announcing";
        Interlocked.Exchange(ref _nextAnnounceTicks, 0);
        Wake();
    }

    private void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // a wake is pending already
        catch (ObjectDisposedException) { } // disposed meanwhile: nothing to wake
    }

    private void DisposeRetired()
    {
        TrackerClient[] retired;
        lock (_retired)
        {
            if (_retired.Count == 0) return;
            retired = [.. _retired];
            _retired.Clear();
        }
        foreach (var client in retired) client.Dispose();
    }

    /// <summary>Asks for a <c>completed</c> announce now (sent once; BEP 3: not when starting already complete).</summary>
    public void Completed()
    {
        if (!HasTrackers) return;
        _completedPending = true;
        Wake();
    }

    /// <summary>Ends the loop <see cref="Start"/> began, then sends <c>stopped</c> (bounded by a short timeout) if a
    /// <c>started</c> was sent.</summary>
    public async Task StoppedAsync()
    {
        await _loopStop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (!_everStarted || !HasTrackers) return;
        using var timeout = new Deadline(StoppedTimeout, _time);
        try
        {
            await AnnounceAsync(_client, AnnounceEvent.Stopped, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TrackerException or OperationCanceledException)
        {
            log?.Invoke($"tracker: stopped announce failed ({e.Message})");
            events?.TrackerFailed(_client.LastAsked, $"stopped announce: {e.Message}", (e as TrackerException)?.FailureReason);
        }
    }

    private Task<AnnounceResponse> AnnounceAsync(TrackerClient client, AnnounceEvent @event, CancellationToken ct)
    {
        // Bound to an interface that is down: nothing is sent, and the tracker's status says why.
        if (trackers?.Bound is { DownReason: not null } bound)
            return Task.FromException<AnnounceResponse>(new TrackerException(bound.Refuse($"announce skipped ({@event.ToString().ToLowerInvariant()})").Message));
        var (uploaded, downloaded, left, _) = _host.Totals();
        var port = _port();
        Volatile.Write(ref _portSent, port);
        return client.AnnounceAsync(new AnnounceRequest(infoHash, peerId, port, uploaded, downloaded, left, @event), ct);
    }

    public void Dispose()
    {
        _loopStop.Cancel();
        _loopStop.Dispose();
        DisposeRetired();
        _client.Dispose();
        _wake.Dispose();
    }
}
