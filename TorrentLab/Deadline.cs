namespace TorrentLab;

/// <summary>A cancellation that comes when a caller's token does, or once a time has passed on a given clock: the
/// linked token source with <c>CancelAfter</c> that every timeout of the engine would otherwise build, but on the
/// session's clock (a test's manual one, or a simulated network's virtual one) rather than always the system's.</summary>
internal sealed class Deadline : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationTokenRegistration _link;
    private readonly ITimer _timer;

    /// <summary>Cancels when <paramref name="ct"/> does or <paramref name="after"/> has passed on <paramref name="time"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: only with <paramref name="ct"/>).</summary>
    public Deadline(TimeSpan after, TimeProvider time, CancellationToken ct = default)
    {
        _timer = time.CreateTimer(static s => CancelQuietly((CancellationTokenSource)s!), _source, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _link = ct.UnsafeRegister(static s => CancelQuietly((CancellationTokenSource)s!), _source);
        CancelAfter(after);
    }

    /// <summary>The token to pass on.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Moves the time limit to <paramref name="after"/> from now (a stall timer reset by progress).</summary>
    public void CancelAfter(TimeSpan after)
    {
        if (after == Timeout.InfiniteTimeSpan) _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        else _timer.Change(after < TimeSpan.Zero ? TimeSpan.Zero : after, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancels now.</summary>
    public void Cancel() => _source.Cancel();

    /// <summary>Waits for <paramref name="semaphore"/> at most <paramref name="timeout"/> on <paramref name="time"/>
    /// (<see cref="SemaphoreSlim"/>'s own timeout runs on the system's clock); false when the time ran out first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static async Task<bool> WaitAsync(SemaphoreSlim semaphore, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            await semaphore.WaitAsync(ct).ConfigureAwait(false);
            return true;
        }
        if (semaphore.Wait(0, CancellationToken.None)) return true;
        using var deadline = new Deadline(timeout, time, ct);
        try
        {
            await semaphore.WaitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Cancels, unless disposed meanwhile (the timer may fire as the deadline is disposed).</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try { source.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _link.Dispose();
        _timer.Dispose();
        _source.Dispose();
    }
}
