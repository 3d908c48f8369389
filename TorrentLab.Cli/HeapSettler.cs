using System.Runtime;
using System.Runtime.InteropServices;

namespace TorrentLab.Cli;

/// <summary>Gives memory back to the system once a long-running command (<c>serve</c>, <c>seed</c>) goes quiet after a
/// burst of work. Adding or restarting ten thousand torrents allocates hundreds of megabytes of short-lived objects, and
/// the garbage collector, which runs only when something allocates, would keep the memory it grew to for as long as the
/// torrents sit idle (days, for a seeding daemon): about twice what the torrents hold. So every
/// <see cref="Interval"/> this looks at how much was allocated; when the last interval was quiet (under
/// <see cref="QuietAllocation"/>) after a busy one, and the process allocated over <see cref="BurstAllocation"/> since it
/// last settled, it compacts the heap once and returns the free memory (<see cref="GCCollectionMode.Aggressive"/>), then
/// asks glibc to return the C heap's free pages too (<see cref="TrimCHeap"/>). A busy process is left to the collector as
/// usual.</summary>
internal sealed class HeapSettler : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    internal const long QuietAllocation = 4L << 20;  // allocated in one interval by a process that is only waiting
    internal const long BurstAllocation = 16L << 20; // allocated since the last settle: enough to be worth a full collection

    private readonly Func<long> _allocated;
    private readonly Action _compact;
    private readonly ITimer _timer;
    private long _last, _atSettle;
    private bool _busy; // an interval since the last settle allocated QuietAllocation or more: a burst, not a trickle

    /// <param name="time">The clock the checks run on.</param>
    /// <param name="allocated">Bytes allocated by the process so far (tests give their own).</param>
    /// <param name="compact">What settling does (tests count it).</param>
    public HeapSettler(TimeProvider time, Func<long>? allocated = null, Action? compact = null)
    {
        _allocated = allocated ?? (() => GC.GetTotalAllocatedBytes());
        _compact = compact ?? Compact;
        _last = _atSettle = _allocated();
        _timer = time.CreateTimer(_ => Check(), null, Interval, Interval);
    }

    /// <summary>How many times the heap was settled.</summary>
    public int Settled { get; private set; }

    private void Check()
    {
        var now = _allocated();
        var quiet = now - _last < QuietAllocation;
        _last = now;
        _busy |= !quiet;
        if (!quiet || !_busy || now - _atSettle < BurstAllocation) return;
        _compact();
        _atSettle = _last = _allocated();
        _busy = false;
        Settled++;
    }

    private static void Compact()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimCHeap();
    }

    /// <summary>Returns the free pages of the C heap to the system (<c>malloc_trim</c>). The runtime's own allocations
    /// during a burst leave freed memory there that glibc keeps: 6 MB after loading 10,000 torrents, about 600 bytes
    /// per torrent for as long as they sit idle. True when it could be asked
    /// (Linux with glibc); false elsewhere (musl has no <c>malloc_trim</c>).</summary>
    internal static bool TrimCHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public void Dispose() => _timer.Dispose();
}
