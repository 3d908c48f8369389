using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

public class HeapSettlerTests
{
    private const long MiB = 1L << 20;

    private sealed class Process
    {
        public long Allocated { get; set; }
        public int Compactions { get; private set; }
        public void Compact() => Compactions++;
    }

    private static (ManualClock Clock, Process Process, HeapSettler Settler) Start()
    {
        var clock = new ManualClock();
        var process = new Process { Allocated = 500 * MiB };
        return (clock, process, new HeapSettler(clock, () => process.Allocated, process.Compact));
    }

    [Fact]
    public void ABurstThenAQuietInterval_SettlesOnce_AndAnIdleTrickleNeverSettlesAgain()
    {
        var (clock, process, settler) = Start();
        using var _ = settler;
        process.Allocated += 300 * MiB;                 // ten thousand torrents added
        clock.Advance(HeapSettler.Interval);
        Assert.Equal(0, process.Compactions);           // still busy in that interval
        clock.Advance(HeapSettler.Interval);            // nothing allocated since: quiet
        Assert.Equal(1, process.Compactions);

        for (var i = 0; i < 100; i++)
        {
            process.Allocated += MiB;                   // an idle server's trickle: 100 MiB in all, never a burst
            clock.Advance(HeapSettler.Interval);
        }
        Assert.Equal(1, process.Compactions);
        Assert.Equal(1, settler.Settled);
    }

    [Fact]
    public void ABusyProcess_IsNeverSettled_HoweverMuchItAllocates()
    {
        var (clock, process, settler) = Start();
        using var _ = settler;
        for (var i = 0; i < 20; i++)
        {
            process.Allocated += 50 * MiB;              // a download at full speed
            clock.Advance(HeapSettler.Interval);
        }
        Assert.Equal(0, process.Compactions);
    }

    [Fact]
    public void AQuietIntervalAfterLittleWork_DoesNotSettle_TheNextBurstDoes()
    {
        var (clock, process, settler) = Start();
        using var _ = settler;
        process.Allocated += 10 * MiB;                  // a few requests: busy, but not worth a collection
        clock.Advance(HeapSettler.Interval);
        clock.Advance(HeapSettler.Interval);
        Assert.Equal(0, process.Compactions);

        process.Allocated += 100 * MiB;                 // a restart's burst
        clock.Advance(HeapSettler.Interval);
        clock.Advance(HeapSettler.Interval);
        Assert.Equal(1, process.Compactions);
    }

    [Fact]
    public void Dispose_StopsTheChecks()
    {
        var (clock, process, settler) = Start();
        settler.Dispose();
        process.Allocated += 300 * MiB;
        clock.Advance(HeapSettler.Interval * 3);
        Assert.Equal(0, process.Compactions);
        Assert.Null(clock.NextTimerIn);
    }

    [Fact]
    public void TrimCHeap_OnLinuxWithGlibc_AsksTheCLibrary()
    {
        var glibc = OperatingSystem.IsLinux() && !File.Exists("/lib/ld-musl-x86_64.so.1");
        Assert.Equal(glibc, HeapSettler.TrimCHeap());
    }
}
