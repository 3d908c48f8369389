namespace TorrentLab.Swarm;

/// <summary>The swarm's timer, on the session's clock: progress a few times a second; PEX every 2 s; request timeouts,
/// snubbing, choking (a round every ten seconds, BEP 3) and the stall limit every second. It sleeps while the swarm is
/// idle, until a peer registers.</summary>
internal sealed class SwarmTimer
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly int PexTicks = (int)(PeerExchange.CheckInterval / Tick);

    private readonly TorrentSwarm _swarm;
    private readonly PeerExchange _pex;
    private readonly FirstCopyPacing _firstCopy;
    private readonly Choking _choking;
    private readonly StallWatch _stall;
    private readonly Action _idle;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _ticks;

    /// <summary>A timer for <paramref name="swarm"/> that calls its parts; <paramref name="idle"/> each time the swarm
    /// falls idle.</summary>
    public SwarmTimer(TorrentSwarm swarm, PeerExchange pex, FirstCopyPacing firstCopy, Choking choking, StallWatch stall, Action idle)
    {
        _swarm = swarm;
        _pex = pex;
        _firstCopy = firstCopy;
        _choking = choking;
        _stall = stall;
        _idle = idle;
    }

    /// <summary>Nothing for the clock to do: a seeder with no peer (no requests, choking or PEX; nothing to stall) whose
    /// rates have fallen to zero (so the last progress report shows none).</summary>
    private bool Idle => !_swarm.Downloading && _swarm.ConnectedCount == 0 && _swarm.Progress.Still;

    /// <summary>A peer registered: an idle swarm's clock starts again.</summary>
    public void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await TickUntilIdleAsync(ct).ConfigureAwait(false);
                _idle();
                // Thousands of idle torrents in one session must cost no wake-ups: no timer runs (a periodic timer
                // fires on the thread pool whether or not anyone waits for it) until a peer registers.
                while (_wake.CurrentCount > 0) await _wake.WaitAsync(ct).ConfigureAwait(false); // stale wakes
                if (Idle) await _wake.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Ticks until the swarm is <see cref="Idle"/> (its last report shows that state), then returns.</summary>
    private async Task TickUntilIdleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Tick, _swarm.Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            _swarm.Progress.Report();
            if (Idle) return;
            if (_ticks % PexTicks == 0) _pex.SendDue();
            _firstCopy.Tick();
            if (++_ticks % 4 != 0) continue;
            ExpireRequests();
            var snubAfter = _swarm.Options.SnubTimeout;
            foreach (var peer in _swarm.PeersSnapshot())
            {
                if (peer.StopDelivering(after: TimeSpan.FromSeconds(1))) _swarm.Progress.Delivering(started: false);
                if (peer.CheckSnubbed(snubAfter)) _swarm.Log($"{peer}: snubbed us (no block for {snubAfter.TotalSeconds:0} s), its requests go to others");
                // A top-up has nothing to do once we only seed and told the peer so: a seed of a thousand connections
                // woke each every second for nothing.
                if (_swarm.Downloading || peer.Connection.AmInterested) peer.Poke();
            }
            _choking.Tick();
            _stall.Check();
        }
    }

    /// <summary>Requests past their timeout go back to the pool; a peer that skips requests for pieces it claims to have
    /// while answering later ones is banned.</summary>
    private void ExpireRequests()
    {
        var expired = _swarm.Pieces.ExpireRequests(_swarm.Time.GetUtcNow());
        if (expired.Count == 0) return;
        foreach (var group in expired.GroupBy(e => e.Peer))
        {
            if (group.Key is not SwarmPeer peer) continue; // a web seed: its blocks went back to the pool, its round times out on its own
            if (peer.OnRequestsExpired([.. group.Select(e => e.Request)]))
                _swarm.BanPeer(peer, "skipped requests for pieces it claims to have, while answering later ones");
        }
    }
}
