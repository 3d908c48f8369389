namespace TorrentLab.Tests.Reliability;

/// <summary>Watches the managed heap while a scenario runs: the peak growth of what is live over the start, and the
/// bytes allocated.</summary>
/// <remarks>The reliability tests run alone (their collection disables parallelism), so the process's heap is
/// mostly theirs. Each sample is taken after a full blocking collection, so it counts what the scenario holds, not the
/// garbage the collector had not reached yet: the heap between collections grows with the machine's load (a query
/// flood read +81 MiB against 64 with two test runs at once, where what it held was a few MiB). Sampled every 100 ms:
/// a short spike between samples can be missed, a leak or a buffered flood cannot.</remarks>
internal sealed class MemoryWatch : IAsyncDisposable
{
    private readonly long _baseline;
    private readonly long _allocatedAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peak;
    private int _samples;
    private long _allocatedAtStop = -1;

    private MemoryWatch()
    {
        _baseline = GC.GetTotalMemory(forceFullCollection: true);
        _allocatedAtStart = GC.GetTotalAllocatedBytes();
        _peak = _baseline;
        _sampler = SampleAsync();
    }

    public static MemoryWatch Start() => new();

    /// <summary>Highest live heap seen (after a full collection) minus the heap at start.</summary>
    public long PeakGrowth { get { lock (_stop) return Math.Max(0, _peak - _baseline); } }

    /// <summary>The heap after a full collection minus the heap at start, now: what the scenario still holds. Call it
    /// while the system under test is alive.</summary>
    public long RetainedGrowth() => Math.Max(0, GC.GetTotalMemory(forceFullCollection: true) - _baseline);

    /// <summary>Bytes allocated by the whole process since the start (until disposed).</summary>
    public long Allocated => (Interlocked.Read(ref _allocatedAtStop) is >= 0 and var stop ? stop : GC.GetTotalAllocatedBytes()) - _allocatedAtStart;

    private async Task SampleAsync()
    {
        using var every = new PeriodicTimer(TimeSpan.FromMilliseconds(100)); // the sampling pace, not a wait for a state
        try
        {
            while (await every.WaitForNextTickAsync(_stop.Token)) Sample();
        }
        catch (OperationCanceledException) { }
    }

    private void Sample()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        var now = GC.GetTotalMemory(forceFullCollection: false);
        lock (_stop)
        {
            if (now > _peak) _peak = now;
            _samples++;
        }
    }

    public string Figures => $"heap peak +{ReliabilityReport.Mib(PeakGrowth)} live ({Volatile.Read(ref _samples)} samples), allocated {ReliabilityReport.Mib(Allocated)}";

    /// <summary>Stops watching; the figures stay as they were. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _allocatedAtStop, GC.GetTotalAllocatedBytes(), -1) != -1) return;
        await _stop.CancelAsync();
        await _sampler;
        Sample();   // at least one sample, however short the scenario
        _stop.Dispose();
    }
}
