namespace TorrentLab.Swarm;

/// <summary>Under an upload limit, whose turn it is to take its tokens among one torrent's peers: one peer at a time,
/// for a run of blocks (half a second of the rate, 4 to 64 blocks) or until it has nothing left to send or falls behind
/// the rate; the others wait their turn in the order they asked, except a peer whose connection takes its bytes slower
/// than we send them, which takes beside the turns.</summary>
/// <remarks>
/// <para>Without turns the peers' senders race for each block's tokens, and on a real machine the winner is whoever's
/// timer fires first: a peer serving five others under its limit sends each a block in turn (1.3-1.5 blocks per turn,
/// measured), so every piece it passes on reaches all five at a fifth of the rate and none sooner. A piece passed on to
/// one peer at the whole rate is there in a fifth of the time and can be passed on again from there. That is what a
/// super-seed waits for before it reveals the next piece: on real sockets the ten-peer swarm with super-seeding took
/// 1.4-1.6 times its bound while the simulated one, whose same-instant timers fire in a fixed order (one sender won run
/// after run), took 1.1-1.2. With turns the real swarm reads 1.14-1.22 and the simulated one agrees within 6 %
/// (bench/notes/swarm.md, "Why the simulator's super-seed was faster").</para>
/// <para>A holder loses the turn to the next peer that asks once it is <see cref="StaleAfter"/> behind: behind its last
/// take (its send is stuck, or the machine woke it late), or behind the pace of the rate, a block's time for each block
/// it took since its turn began. The pace is what a slow holder cannot hide: one whose connection takes a block every
/// 60 ms comes back for tokens every 60 ms, never 200 ms late, and could keep a turn of 32 blocks at 1 MiB/s for two
/// seconds; now it loses it after 300 ms, and a holder that is not waiting for the limit keeps a turn no longer than its
/// time at the rate plus StaleAfter, whatever its pace. A holder woken late catches up from the tokens the bucket kept
/// for it; one that waits for tokens (<see cref="WaitsForTokens"/>: a session's limit shared with other torrents gives
/// it less than the rate) is as far along as the limit lets it be, and not behind.</para>
/// <para>A peer whose send had to wait for room on its connection (<see cref="Sent"/>) is paced by its connection, not
/// by the limit, and no turn brings its bytes sooner: its turn passes on at once, and until a send of its goes straight
/// through it takes beside the turns, a block at a time as its connection takes them (on credit: PeerUpload.DrainAsync).
/// Passing the turn on alone is not enough: such a peer waits for its next turn while its connection drains, then
/// refills it at the whole rate while the peer beside it waits, turn after turn. On the simulated network a peer that
/// reads a block per 60 ms (273 KB/s) beside one that reads all of a 1 MiB/s limit held turns of 0.3-0.6 s, and the
/// other went without a block 21 times over 100 ms in 20 s (the longest 552 ms; 544 ms with the pace alone); taking
/// beside the turns, never over 32 ms, at 767 and 273 KB/s, the slow one all it can read
/// (UploadTurnsSimulatedTests). The limit's tokens are never held for a peer that cannot use them; the total rate is the
/// limit's either way, only the order changes.</para>
/// <para>Not while a lone seed sends its first copy (<see cref="FirstCopy"/>): that orders the peers' requests itself.
/// Libtorrent's downloaders behind our lone seed read 1.45-1.79 times the bound with turns there, 1.47-1.56 without.</para>
/// </remarks>
internal sealed class UploadTurns(TimeProvider clock)
{
    /// <summary>A turn is about this much of the rate.</summary>
    private const double TurnSeconds = 0.5;

    private const int MinTurnBlocks = 4, MaxTurnBlocks = 64;

    /// <summary>The least time a holder may go without taking before it loses the turn; longer when two blocks take
    /// longer at the rate (a holder waits up to a block's time for its tokens).</summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMilliseconds(200);

    private readonly Lock _lock = new();
    private readonly LinkedList<(object Peer, TaskCompletionSource Turn)> _waiting = new(); // first come, first served
    private readonly HashSet<object> _paced = new(ReferenceEqualityComparer.Instance); // paced by their connections
    private object? _holder;      // whose turn it is, or null
    private int _left;            // blocks the holder's turn may still take
    private long _active;         // timestamp of the turn's start or the holder's last take
    private long _pace;           // the turn's start plus a block's time at the rate for each block the holder took
    private long _staleTicks;     // StaleAfter at the rate, in the clock's timestamp units
    private long _blockTicks;     // a block's time at the rate, in the clock's timestamp units (0: no rate)
    private int _turnBlocks = MinTurnBlocks;

    /// <summary>Blocks of <paramref name="blockBytes"/> in a turn at <paramref name="bytesPerSecond"/>.</summary>
    internal static int TurnBlocks(long bytesPerSecond, int blockBytes) =>
        (int)Math.Clamp(bytesPerSecond * TurnSeconds / blockBytes, MinTurnBlocks, MaxTurnBlocks);

    /// <summary>Whose turn it is (tests and traces).</summary>
    internal object? Holder { get { lock (_lock) return _holder; } }

    /// <summary>True when <paramref name="peer"/> may take tokens now: its turn, or a new one it starts (nobody holds
    /// one and nobody waits), or it takes beside the turns (<see cref="PacedByConnection"/>). A holder that has fallen
    /// behind loses its turn here, to this peer or to the first that waits. <paramref name="bytesPerSecond"/> is the
    /// limit's rate, which sizes the turns and sets their pace.</summary>
    public bool TryClaim(object peer, long bytesPerSecond, int blockBytes)
    {
        TaskCompletionSource? handed = null;
        bool mine;
        lock (_lock)
        {
            if (_paced.Contains(peer)) return true;
            var now = clock.GetTimestamp();
            var blockSeconds = bytesPerSecond > 0 ? (double)blockBytes / bytesPerSecond : 0;
            _staleTicks = (long)(Math.Max(StaleAfter.TotalSeconds, 2 * blockSeconds) * clock.TimestampFrequency);
            _blockTicks = (long)(blockSeconds * clock.TimestampFrequency);
            _turnBlocks = TurnBlocks(bytesPerSecond, blockBytes);
            // The holder itself gives up a turn it fell behind in only when somebody waits for it.
            var holding = ReferenceEquals(_holder, peer);
            if (_holder is not null && now >= DeadlineLocked() && (!holding || _waiting.Count > 0)) handed = EndLocked(now);
            mine = ReferenceEquals(_holder, peer);
            if (!mine && _holder is null && _waiting.Count == 0)
            {
                StartLocked(peer, now);
                mine = true;
            }
        }
        handed?.TrySetResult();
        return mine;
    }

    /// <summary><paramref name="peer"/> took tokens for <paramref name="blocks"/> blocks in its turn.</summary>
    public void Took(object peer, int blocks)
    {
        TaskCompletionSource? handed = null;
        lock (_lock)
        {
            if (!ReferenceEquals(_holder, peer)) return;
            var now = clock.GetTimestamp();
            _active = now;
            _pace += blocks * _blockTicks;
            _left -= blocks;
            if (_left <= 0) handed = EndLocked(now);
        }
        handed?.TrySetResult();
    }

    /// <summary><paramref name="peer"/> has nothing to send, or is gone: its turn, if it had one, passes on, and it
    /// waits for none.</summary>
    public void Done(object peer)
    {
        TaskCompletionSource? handed = null;
        lock (_lock)
        {
            for (var node = _waiting.First; node is not null; node = node.Next)
            {
                if (!ReferenceEquals(node.Value.Peer, peer)) continue;
                _waiting.Remove(node);
                break;
            }
            _paced.Remove(peer);
            if (ReferenceEquals(_holder, peer)) handed = EndLocked(clock.GetTimestamp());
        }
        handed?.TrySetResult();
    }

    /// <summary><paramref name="peer"/> sent blocks it took tokens for, and the send had to wait for room on its
    /// connection (<paramref name="waited"/>) or went straight through. One that waited is paced by its connection:
    /// its turn, if it had one, passes on at once, and it takes beside the turns until a send goes straight through.</summary>
    public void Sent(object peer, bool waited)
    {
        TaskCompletionSource? handed = null;
        lock (_lock)
        {
            if (!waited)
            {
                _paced.Remove(peer);
                return;
            }
            if (!_paced.Add(peer)) return;
            if (ReferenceEquals(_holder, peer)) handed = EndLocked(clock.GetTimestamp());
        }
        handed?.TrySetResult();
    }

    /// <summary><paramref name="peer"/> found no tokens and waits for the limit: if it holds the turn, it is as far
    /// along as the limit lets it be (a session's limit shared with other torrents gives it less than the rate), so
    /// its pace starts again from now.</summary>
    public void WaitsForTokens(object peer)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_holder, peer)) _pace = Math.Max(_pace, clock.GetTimestamp());
        }
    }

    /// <summary>True when <paramref name="peer"/>'s last send waited for room on its connection (<see cref="Sent"/>):
    /// it takes tokens beside the turns, as its connection takes its bytes.</summary>
    public bool PacedByConnection(object peer)
    {
        lock (_lock) return _paced.Contains(peer);
    }

    /// <summary>Waits for <paramref name="peer"/>'s turn, behind the peers that asked before it, or until the holder
    /// stalls; then <see cref="TryClaim"/> again.</summary>
    public async Task WaitAsync(object peer, CancellationToken ct)
    {
        TaskCompletionSource? turn = null;
        TimeSpan most;
        lock (_lock)
        {
            if (_holder is null && _waiting.Count == 0 || ReferenceEquals(_holder, peer) || _paced.Contains(peer)) return;
            for (var node = _waiting.First; node is not null && turn is null; node = node.Next)
                if (ReferenceEquals(node.Value.Peer, peer)) turn = node.Value.Turn;
            if (turn is null)
            {
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.AddLast((peer, turn));
            }
            var left = _holder is null ? _staleTicks : DeadlineLocked() - clock.GetTimestamp();
            most = TimeSpan.FromSeconds(Math.Max(left, 0) / (double)clock.TimestampFrequency);
        }
        if (most < TimeSpan.FromMilliseconds(1)) most = TimeSpan.FromMilliseconds(1);
        try
        {
            await turn.Task.WaitAsync(most, clock, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The holder stalled or fell behind (or was handed the turn and never came for it): the first waiter gets it.
            TaskCompletionSource? handed = null;
            lock (_lock)
            {
                var now = clock.GetTimestamp();
                if (_holder is not null && !ReferenceEquals(_holder, peer) && now >= DeadlineLocked()) handed = EndLocked(now);
            }
            handed?.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            Done(peer);
            throw;
        }
    }

    /// <summary>When the holder loses its turn to a peer that asks: <see cref="StaleAfter"/> after its last take, or
    /// after the pace its takes are worth at the rate, whichever is sooner.</summary>
    private long DeadlineLocked() => Math.Min(_active, _blockTicks > 0 ? _pace : _active) + _staleTicks;

    private void StartLocked(object peer, long now)
    {
        _holder = peer;
        _left = _turnBlocks;
        _active = _pace = now;
    }

    /// <summary>Ends the holder's turn and hands the next to the first waiter (its wait ends: the caller completes
    /// what this returns, outside the lock).</summary>
    private TaskCompletionSource? EndLocked(long now)
    {
        _holder = null;
        _active = now;
        if (_waiting.First is not { } first) return null;
        _waiting.RemoveFirst();
        StartLocked(first.Value.Peer, now);
        return first.Value.Turn;
    }
}
