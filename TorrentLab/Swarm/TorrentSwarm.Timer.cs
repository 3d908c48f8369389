using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

// The swarm's timer, on the session's clock (Time): progress a few times a second; request timeouts, snubbing and the
// stall limit every second; choking every ten seconds (BEP 3).
internal sealed partial class TorrentSwarm
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly int PexTicks = (int)(PeerExchange.CheckInterval / Tick);

    private IProgress<DownloadProgress>? _progress;

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
        if (Downloading || ConnectedCount > 0 || _dialler.Connecting > 0 || _handOver.Pending > 0) return false;
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
            if (_ticks % PexTicks == 0) _pex.SendDue();
            _firstCopy.Tick();
            if (++_ticks % 4 != 0) continue;
            ExpireRequests();
            foreach (var peer in PeersSnapshot())
            {
                if (peer.StopDelivering(after: TimeSpan.FromSeconds(1))) OnDelivering(started: false);
                if (peer.CheckSnubbed(_options.SnubTimeout)) _log?.Invoke($"{peer}: snubbed us (no block for {_options.SnubTimeout.TotalSeconds:0} s), its requests go to others");
                peer.Poke();
            }
            _choking.Tick();
            _stall.Check();
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

    /// <summary>Ends the session with an error (stall, disk failure).</summary>
    public void Fail(Exception error) => _failed.TrySetException(error);

    /// <summary>The upload slots the choker fills now, the optimistic one included (the simulator's trace).</summary>
    internal int UploadSlotsNow => _choking.SlotsNow;

    /// <summary>Choke rounds run on the clock, and in all (the simulator's trace: <see cref="Choking.Rounds"/>).</summary>
    internal int TimedChokeRounds => _choking.TimedRounds;
    internal int ChokeRounds => _choking.Rounds;

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
            Status = _stall.WaitingStatus(peers.Length),
            PeerSources = _book.Sources,
            // The piece map: verified, being assembled, or last copy failed its hash (cheap: one byte per piece).
            Pieces = PieceStates.From(Pieces.SnapshotHave(), Pieces.SnapshotInProgress(), FailedPiecesSnapshot()),
            Peers = [.. peers.Select(p => new PeerProgress(p.Address, p.Client, p.Down.BytesPerSecond, p.Up.BytesPerSecond,
                p.Connection.PeerChoking, p.Connection.AmInterested))],
        };
    }
}
