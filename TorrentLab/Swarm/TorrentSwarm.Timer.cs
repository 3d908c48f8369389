using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

// The swarm's timer, on the session's clock (Time): progress a few times a second; request timeouts, snubbing and the
// stall limit every second; choking every ten seconds (BEP 3).
internal sealed partial class TorrentSwarm
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly int PexTicks = (int)(PexCheckInterval / Tick);

    private IProgress<DownloadProgress>? _progress;
    private long _lastChoke;          // a timestamp of Time; 0: no round yet
    private long _lastDownloaded = -1;
    private long _lastProgressAt;     // a timestamp of Time
    private int _choking;

    /// <summary>Where progress goes (set before or after <see cref="Start"/>).</summary>
    public IProgress<DownloadProgress>? Progress { set => _progress = value; }

    private readonly SemaphoreSlim _timerWake = new(0, 1);
    private int _ticks;

    /// <summary>Nothing for the clock to do: a seeder with no peer (no requests, choking or PEX; nothing to stall) whose
    /// rates have fallen to zero (so the last progress report shows none).</summary>
    private bool Idle => !Downloading && ConnectedCount == 0 && _up.BytesPerSecond == 0 && _down.BytesPerSecond == 0;

    /// <summary>Nothing would be lost by letting this swarm go: a seeder with no peer connected, none being dialled,
    /// no address due for a dial within <paramref name="horizon"/>, and no piece being written.</summary>
    internal bool CanPark(TimeSpan horizon)
    {
        if (Downloading || ConnectedCount > 0 || Volatile.Read(ref _connecting) > 0 || PendingWrites > 0) return false;
        return _book.NextTry() is not { } next || next > Time.GetUtcNow() + horizon;
    }

    private void WakeTimer()
    {
        try { _timerWake.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task TimerLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await TickUntilIdleAsync(ct).ConfigureAwait(false);
                Volatile.Read(ref _owner)?.OnSwarmIdle(this); // a seeding torrent may let the swarm go after a while
                // Thousands of idle torrents in one session must cost no wake-ups: no timer runs (a periodic timer
                // fires on the thread pool whether or not anyone waits for it) until a peer registers.
                while (_timerWake.CurrentCount > 0) await _timerWake.WaitAsync(ct).ConfigureAwait(false); // stale wakes
                if (Idle) await _timerWake.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Ticks until the swarm is <see cref="Idle"/> (its last report shows that state), then returns.</summary>
    private async Task TickUntilIdleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Tick, Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            _progress?.Report(Snapshot());
            if (Idle) return;
            if (_ticks % PexTicks == 0) SendPexMessages();
            TickFirstCopy();
            if (++_ticks % 4 != 0) continue;
            ExpireRequests();
            foreach (var peer in PeersSnapshot())
            {
                if (peer.StopDelivering(after: TimeSpan.FromSeconds(1))) OnDelivering(started: false);
                if (peer.CheckSnubbed(_options.SnubTimeout)) _log?.Invoke($"{peer}: snubbed us (no block for {_options.SnubTimeout.TotalSeconds:0} s), its requests go to others");
                peer.Poke();
            }
            var slotsChanged = AdjustSlots();
            if (_lastChoke == 0 || Time.GetElapsedTime(_lastChoke) >= Choker.Interval)
            {
                TimedChokeRounds++;
                RunChoker();
            }
            else if (slotsChanged || SlotIgnoredWhileOthersWait()) RunChoker();
            CheckStall();
        }
    }

    private void ExpireRequests()
    {
        var expired = Pieces.ExpireRequests(Time.GetUtcNow());
        if (expired.Count == 0) return;
        foreach (var group in expired.GroupBy(e => e.Peer))
        {
            if (group.Key is not SwarmPeer peer) continue; // a web seed: its blocks went back to the pool, its round times out on its own
            if (peer.OnRequestsExpired([.. group.Select(e => e.Request)]))
                BanPeer(peer, "skipped requests for pieces it claims to have, while answering later ones");
        }
    }

    /// <summary>Fails the download when no block arrived for the stall timeout (never, without one: we wait for peers).</summary>
    private void CheckStall()
    {
        if (!Downloading) return;
        var downloaded = Pieces.DownloadedBytes;
        if (downloaded != _lastDownloaded)
        {
            _lastDownloaded = downloaded;
            _lastProgressAt = Time.GetTimestamp();
            return;
        }
        if (_options.StallTimeout is not { } limit || Time.GetElapsedTime(_lastProgressAt) < limit) return;
        var bad = BadPeers;
        var tracker = _announcer?.LastError is { } error ? $"; tracker: {error}"
            : _announcer?.Unanswered is { } asked ? $"; tracker: no answer yet from {asked}" : "";
        var dropped = string.Concat(_webSeeds.Where(w => w.Dropped is not null).Select(w => $"; {w} dropped: {w.Dropped}"));
        Fail(new DownloadFailedException(
            $"no peer delivered data for {limit.TotalSeconds:0} s: {ConnectedCount} connected, " +
            $"{bad.Count} banned{(bad.Count > 0 ? $" ({string.Join("; ", bad)})" : "")}{tracker}{dropped}; " +
            $"{Pieces.HaveCount} of {Torrent.PieceCount} pieces verified"));
    }

    /// <summary>Ends the session with an error (stall, disk failure).</summary>
    public void Fail(Exception error) => _failed.TrySetException(error);

    /// <summary>A peer we unchoked that sends no request within this long ignores its upload slot: the slot goes to
    /// another interested peer (it may say "interested" and never ask, to hold the slot).</summary>
    private static readonly TimeSpan IgnoredUnchokeAfter = TimeSpan.FromSeconds(5);

    /// <summary>True when a peer holds an upload slot it ignores while an interested peer is choked: that slot is
    /// given again now, not at the next round, so idle peers that took every slot hold them at most a second past
    /// <see cref="IgnoredUnchokeAfter"/> (the honest newcomer behind them waited up to a whole round).</summary>
    private bool SlotIgnoredWhileOthersWait()
    {
        var peers = PeersSnapshot();
        return peers.Any(p => !p.Choking && p.IgnoredUnchoke(IgnoredUnchokeAfter))
            && peers.Any(p => p.Choking && p.Connection.PeerInterested && !p.IgnoredUnchoke(IgnoredUnchokeAfter));
    }

    /// <summary>Choke rounds run on the clock (ten seconds after the last round of any kind) and in all: what the
    /// simulator's trace shows (an event between rounds, such as a peer's interest changing, runs one at once and puts
    /// the timed one off).</summary>
    internal int TimedChokeRounds, ChokeRounds;

    /// <summary>BEP 3 choking: the choker picks the upload slots, we send choke/unchoke where the decision changed.</summary>
    public void RunChoker()
    {
        if (Interlocked.Exchange(ref _choking, 1) == 1) return;
        try
        {
            _lastChoke = Time.GetTimestamp();
            ChokeRounds++;
            // Newest first among equal rates (the choker's order is stable): a newcomer is tried before peers that had
            // their turn. A peer unchoked for a while that asked for nothing comes after every other interested peer
            // until it asks for something: it keeps a slot nobody else wants, and gets one when one is free (choked, it
            // cannot send the request that would clear its mark; a peer whose blocks were out to another asks us once
            // that one is gone).
            var peers = PeersSnapshot().OrderByDescending(p => p.ConnectedAt).ToArray();
            var candidates = peers.Select(p => new ChokeCandidate(p, p.Down.BytesPerSecond, p.Up.BytesPerSecond,
                p.Connection.PeerInterested, p.ConnectedAt, Deferred: p.IgnoredUnchoke(IgnoredUnchokeAfter))).ToList();
            IReadOnlySet<object> unchoke;
            lock (_choker)
            {
                // The session's slots are shared among its torrents with peers; the last slot is the optimistic one.
                _choker.RegularSlots = FirstCopySlots(candidates, _session.UploadSlotsFor(_options.UploadSlots) - 1 + _extraSlots);
                unchoke = _choker.Decide(candidates, seeding: !Downloading);
            }
            foreach (var peer in peers)
            {
                if (peer.Choking && unchoke.Contains(peer)) SuggestFirstCopies(peer); // before the unchoke: its first requests follow them
                peer.SetChoking(!unchoke.Contains(peer));
            }
        }
        finally
        {
            Volatile.Write(ref _choking, 0);
        }
    }

    /// <summary>No block for this long while downloading shows the "waiting for peers" status.</summary>
    private static readonly TimeSpan WaitingAfter = TimeSpan.FromSeconds(5);

    /// <summary>Why nothing arrives, while nothing does: "waiting for peers: 0 connected; tracker X answered 0, next
    /// announce in 30 s"; null while blocks arrive (or when seeding).</summary>
    private string? WaitingStatus(int connected)
    {
        if (!Downloading || _lastDownloaded < 0 || Time.GetElapsedTime(_lastProgressAt) < WaitingAfter) return null;
        var source = _announcer?.Status ?? "announcing";
        var known = _book.Known;
        return $"waiting for peers: {connected} connected{(connected > 0 ? " (none sending)" : "")}, {known} known; {source}";
    }

    /// <summary>The progress report: pieces, rates, peers.</summary>
    public DownloadProgress Snapshot()
    {
        var peers = PeersSnapshot();
        int done;
        lock (_writtenLock) done = _wantedWritten;
        // Progress counts what this download wants: every piece, or those holding the selected files' bytes.
        return new DownloadProgress(done, _selection.WantedCount, Interlocked.Read(ref _wantedWrittenBytes), _selection.WantedBytes,
            _down.BytesPerSecond, _up.BytesPerSecond, peers.Length, null, Elapsed)
        {
            Uploaded = Uploaded,
            BadPeers = BadPeers.Count,
            Status = WaitingStatus(peers.Length),
            PeerSources = _book.Sources,
            // The piece map: verified, being assembled, or last copy failed its hash (cheap: one byte per piece).
            Pieces = PieceStates.From(Pieces.SnapshotHave(), Pieces.SnapshotInProgress(), FailedPiecesSnapshot()),
            Peers = [.. peers.Select(p => new PeerProgress(p.Address, p.Client, p.Down.BytesPerSecond, p.Up.BytesPerSecond,
                p.Connection.PeerChoking, p.Connection.AmInterested))],
        };
    }
}
