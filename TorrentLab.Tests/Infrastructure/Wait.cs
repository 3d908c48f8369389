using System.Diagnostics;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The one way a test waits for a state on the wall clock: the condition is checked at once, then again each
/// time a signal fires or a short poll passes, until it holds or the test's bound runs out. The bound is the test's
/// patience on a loaded machine, never a figure asserted; a test on a manual or simulated clock advances that clock
/// instead.</summary>
public static class Wait
{
    /// <summary>How long one poll sleeps at most; the first polls are shorter, so a state reached at once is seen at once.</summary>
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds (true) or <paramref name="limit"/> passed first (false,
    /// after one last look). Cancelled with <paramref name="ct"/>.</summary>
    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan limit, CancellationToken ct = default) =>
        UntilAsync(() => Task.FromResult(condition()), limit, ct);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> (a call to a server, say) holds (true) or
    /// <paramref name="limit"/> passed first (false).</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan limit, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var poll = TimeSpan.FromMilliseconds(5);
        while (!await condition())
        {
            if (clock.Elapsed > limit) return false;
            await Task.Delay(poll, ct);
            if (poll < MaxPoll) poll *= 2;
        }
        return true;
    }

    /// <summary>Waits as <see cref="UntilAsync(Func{bool}, TimeSpan, CancellationToken)"/> does, and fails the test with
    /// <paramref name="failure"/> when the state never came.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, string failure, CancellationToken ct = default)
    {
        if (!await UntilAsync(condition, limit, ct)) Assert.Fail(failure);
    }

    /// <summary>Waits as <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, CancellationToken)"/> does, and fails the test
    /// with <paramref name="failure"/> when the state never came.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string failure, CancellationToken ct = default)
    {
        if (!await UntilAsync(condition, limit, ct)) Assert.Fail(failure);
    }

    /// <summary>Waits until <paramref name="task"/> ends (true) or <paramref name="limit"/> passed first (false); the
    /// task is neither awaited for its result nor cancelled.</summary>
    public static async Task<bool> ForAsync(Task task, TimeSpan limit, CancellationToken ct = default)
    {
        try { await task.WaitAsync(limit, ct); }
        catch (TimeoutException) { return false; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return true; }
        catch (Exception) when (task.IsCompleted) { return true; }
        return true;
    }
}
