namespace TorrentLab.Swarm;

/// <summary>Under an upload limit, whose turn it is to take its tokens among one torrent's peers: one peer at a time,
/// for a run of blocks (half a second of the rate, 4 to 64 blocks) or until it has nothing left to send; the others wait
/// their turn in the order they asked.</summary>
/// <remarks>
/// <para>Without turns the peers' senders race for each block's tokens, and on a real machine the winner is whoever's
/// timer fires first: a peer serving five others under its limit sends each a block in turn (1.3-1.5 blocks per turn,
/// measured), so every piece it passes on reaches all five at a fifth of the rate and none sooner. A piece passed on to
/// one peer at the whole rate is there in a fifth of the time and can be passed on again from there. That is what a
/// super-seed waits for before it reveals the next piece: on real sockets the ten-peer swarm with super-seeding took
/// 1.4-1.6 times its bound while the simulated one, whose same-instant timers fire in a fixed order (one sender won run
/// after run), took 1.1-1.2. With turns the real swarm reads 1.14-1.22 and the simulated one agrees within 6 %
/// (BENCHMARKS.md, "Why the simulator's super-seed was faster").</para>
/// <para>A holder that has taken nothing for <see cref="StaleAfter"/> (its connection's send is stuck behind a slow
/// receiver, or the machine woke it late) loses the turn to the next peer that asks: the limit's tokens are never held
/// for a peer that cannot use them. The total rate is the limit's either way; only the order changes.</para>
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
    private object? _holder;      // whose turn it is, or null
    private int _left;            // blocks the holder's turn may still take
    private long _active;         // timestamp of the turn's start or the holder's last take
    private long _staleTicks;     // StaleAfter at the rate, in the clock's timestamp units
    private int _turnBlocks = MinTurnBlocks;

    /// <summary>Blocks of <paramref name="blockBytes"/> in a turn at <paramref name="bytesPerSecond"/>.</summary>
    internal static int TurnBlocks(long bytesPerSecond, int blockBytes) =>
        (int)Math.Clamp(bytesPerSecond * TurnSeconds / blockBytes, MinTurnBlocks, MaxTurnBlocks);

    /// <summary>Whose turn it is (tests and traces).</summary>
    internal object? Holder { get { lock (_lock) return _holder; } }

    /// <summary>True when <paramref name="peer"/> may take tokens now: its turn, or a new one it starts (nobody holds
    /// one and nobody waits). <paramref name="bytesPerSecond"/> is the limit's rate, which sizes the turns.</summary>
    public bool TryClaim(object peer, long bytesPerSecond, int blockBytes)
    {
        TaskCompletionSource? handed = null;
        lock (_lock)
        {
            if (ReferenceEquals(_holder, peer)) return true;
            var now = clock.GetTimestamp();
            var blockSeconds = bytesPerSecond > 0 ? (double)blockBytes / bytesPerSecond : 0;
            _staleTicks = (long)(Math.Max(StaleAfter.TotalSeconds, 2 * blockSeconds) * clock.TimestampFrequency);
            _turnBlocks = TurnBlocks(bytesPerSecond, blockBytes);
            if (_holder is not null && now - _active >= _staleTicks) handed = EndLocked(now); // it stalled
            if (_holder is null && _waiting.Count == 0)
            {
                StartLocked(peer, now);
                return true;
            }
        }
        handed?.TrySetResult();
        return false;
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
            if (ReferenceEquals(_holder, peer)) handed = EndLocked(clock.GetTimestamp());
        }
        handed?.TrySetResult();
    }

    /// <summary>Waits for <paramref name="peer"/>'s turn, behind the peers that asked before it, or until the holder
    /// stalls; then <see cref="TryClaim"/> again.</summary>
    public async Task WaitAsync(object peer, CancellationToken ct)
    {
        TaskCompletionSource? turn = null;
        TimeSpan most;
        lock (_lock)
        {
            if (_holder is null && _waiting.Count == 0 || ReferenceEquals(_holder, peer)) return;
            for (var node = _waiting.First; node is not null && turn is null; node = node.Next)
                if (ReferenceEquals(node.Value.Peer, peer)) turn = node.Value.Turn;
            if (turn is null)
            {
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.AddLast((peer, turn));
            }
            var left = _holder is null ? _staleTicks : _staleTicks - (clock.GetTimestamp() - _active);
            most = TimeSpan.FromSeconds(Math.Max(left, 0) / (double)clock.TimestampFrequency);
        }
        if (most < TimeSpan.FromMilliseconds(1)) most = TimeSpan.FromMilliseconds(1);
        try
        {
            await turn.Task.WaitAsync(most, clock, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The holder stalled (or was handed the turn and never came for it): the first waiter gets it.
            TaskCompletionSource? handed = null;
            lock (_lock)
            {
                var now = clock.GetTimestamp();
                if (_holder is not null && !ReferenceEquals(_holder, peer) && now - _active >= _staleTicks) handed = EndLocked(now);
            }
            handed?.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            Done(peer);
            throw;
        }
    }

    private void StartLocked(object peer, long now)
    {
        _holder = peer;
        _left = _turnBlocks;
        _active = now;
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
