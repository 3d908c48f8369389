namespace TorrentLab.Tests.Reliability;

/// <summary>Watches the managed heap while a scenario runs: the peak growth over the start, and the bytes allocated.</summary>
/// <remarks>The reliability tests run alone (their collection disables parallelism), so the process's heap is
/// mostly theirs. Sampled every 20 ms: a short spike between samples can be missed, a leak or a flood cannot.</remarks>
internal sealed class MemoryWatch : IAsyncDisposable
{
    private readonly long _baseline;
    private readonly long _allocatedAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peak;
    private long _allocatedAtStop = -1;

    private MemoryWatch()
    {
        _baseline = GC.GetTotalMemory(forceFullCollection: true);
        _allocatedAtStart = GC.GetTotalAllocatedBytes();
        _peak = _baseline;
        _sampler = SampleAsync();
    }

    public static MemoryWatch Start() => new();

    /// <summary>Highest heap size seen minus the heap at start.</summary>
    public long PeakGrowth => Math.Max(0, Interlocked.Read(ref _peak) - _baseline);

    /// <summary>The heap after a full collection minus the heap at start: what the scenario still holds, garbage not
    /// counted. Call it while the system under test is alive. Unlike <see cref="PeakGrowth"/>, it does not depend on
    /// how far the collector lagged behind the allocations, so it is the figure to assert on a loaded machine.</summary>
    public long RetainedGrowth() => Math.Max(0, GC.GetTotalMemory(forceFullCollection: true) - _baseline);

    /// <summary>Bytes allocated by the whole process since the start (until disposed).</summary>
    public long Allocated => (Interlocked.Read(ref _allocatedAtStop) is >= 0 and var stop ? stop : GC.GetTotalAllocatedBytes()) - _allocatedAtStart;

    private async Task SampleAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = GC.GetTotalMemory(forceFullCollection: false);
                if (now > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, now);
                await Task.Delay(20, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    public string Figures => $"heap peak +{ReliabilityReport.Mib(PeakGrowth)}, allocated {ReliabilityReport.Mib(Allocated)}";

    /// <summary>Stops watching; the figures stay as they were. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _allocatedAtStop, GC.GetTotalAllocatedBytes(), -1) != -1) return;
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
    }
}
