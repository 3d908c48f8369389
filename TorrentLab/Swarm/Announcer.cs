using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Keeps the session known to its trackers: <c>started</c>, regular announces at the tracker's interval
/// (sooner when few peers are connected), <c>completed</c> once, and <c>stopped</c> at the end (BEP 3, BEP 12).</summary>
/// <remarks>The <see cref="TrackerClient"/> walks the announce-list tiers; every peer it returns goes to the
/// <see cref="PeerBook"/>. A failed announce is retried with a growing delay; it never stops the session, since peers
/// can also come from the command line or connect to us.</remarks>
internal sealed class Announcer : IDisposable
{
    private static readonly TimeSpan StoppedTimeout = TimeSpan.FromSeconds(3);  // exit must stay quick

    private readonly TrackerClient _client;
    private readonly InfoHash _infoHash;
    private readonly PeerId _peerId;
    private readonly Func<(long Uploaded, long Downloaded, long Left)> _totals;
    private readonly Func<int> _connected;
    private readonly Action<IReadOnlyList<System.Net.IPEndPoint>> _onPeers;
    private readonly Action<string>? _log;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TimeProvider _time;
    private volatile bool _completedPending;
    private bool _started;
    private int _port;

    public Announcer(IReadOnlyList<IReadOnlyList<string>> tiers, InfoHash infoHash, PeerId peerId,
        Func<(long, long, long)> totals, Func<int> connected, Action<IReadOnlyList<System.Net.IPEndPoint>> onPeers, Action<string>? log,
        TimeProvider? time = null)
    {
        _client = new TrackerClient(tiers);
        _time = time ?? TimeProvider.System;
        _infoHash = infoHash;
        _peerId = peerId;
        _totals = totals;
        _connected = connected;
        _onPeers = onPeers;
        _log = log;
        HasTrackers = tiers.Any(t => t.Count > 0);
    }

    /// <summary>False for a torrent without trackers (peers then come only from elsewhere).</summary>
    public bool HasTrackers { get; }

    /// <summary>The last announce error, or null after a success.</summary>
    public string? LastError { get; private set; }

    /// <summary>Announces until cancelled: <c>started</c> first, then regular announces.</summary>
    public async Task RunAsync(int port, CancellationToken ct)
    {
        _port = port;
        if (!HasTrackers) return;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var @event = !_started ? AnnounceEvent.Started : _completedPending ? AnnounceEvent.Completed : AnnounceEvent.None;
            TimeSpan wait;
            try
            {
                var response = await AnnounceAsync(@event, ct).ConfigureAwait(false);
                _started = true;
                if (@event == AnnounceEvent.Completed) _completedPending = false;
                failures = 0;
                LastError = null;
                if (response.WarningMessage is not null) _log?.Invoke($"tracker warning: {response.WarningMessage}");
                _log?.Invoke($"tracker: {response.Peers.Count} peer{(response.Peers.Count == 1 ? "" : "s")}, next announce in {response.Interval.TotalSeconds:0} s");
                _onPeers(response.Peers);
                wait = AnnounceSchedule.Next(response, _connected());
            }
            catch (TrackerException e)
            {
                LastError = e.Message;
                _log?.Invoke($"tracker announce failed: {e.Message}");
                wait = TimeSpan.FromSeconds(Math.Min(300, 5 << Math.Min(failures++, 6)));
            }
            try { await SleepAsync(wait, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Waits <paramref name="wait"/> on the announcer's clock, or until <see cref="Completed"/> wakes it.</summary>
    private async Task SleepAsync(TimeSpan wait, CancellationToken ct)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sleep = Task.Delay(wait, _time, done.Token);
        var woken = _wake.WaitAsync(done.Token);
        await Task.WhenAny(sleep, woken).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Asks for a <c>completed</c> announce now (sent once; BEP 3: not when starting already complete).</summary>
    public void Completed()
    {
        if (!HasTrackers) return;
        _completedPending = true;
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Sends <c>stopped</c> (bounded by a short timeout) if a <c>started</c> was sent.</summary>
    public async Task StoppedAsync()
    {
        if (!_started) return;
        using var timeout = new CancellationTokenSource(StoppedTimeout);
        try
        {
            await AnnounceAsync(AnnounceEvent.Stopped, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TrackerException or OperationCanceledException)
        {
            _log?.Invoke($"tracker: stopped announce failed ({e.Message})");
        }
    }

    private Task<AnnounceResponse> AnnounceAsync(AnnounceEvent @event, CancellationToken ct)
    {
        var (uploaded, downloaded, left) = _totals();
        return _client.AnnounceAsync(new AnnounceRequest(_infoHash, _peerId, _port, uploaded, downloaded, left, @event), ct);
    }

    public void Dispose()
    {
        _client.Dispose();
        _wake.Dispose();
    }
}
