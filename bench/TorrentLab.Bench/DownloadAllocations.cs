using System.Diagnostics;
using System.Runtime;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Bench;

/// <summary>Downloads a torrent in this process through the library's front door (peers from its trackers, DHT off) and
/// prints what the runtime saw: managed bytes allocated, collections per generation, GC pause time, peak working set.
/// A figure, not a test: bench/interop/run.sh starts the seeders this needs.</summary>
internal static class DownloadAllocations
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: download-allocations TORRENT OUTPUT_FOLDER [max-peers]");
            return 2;
        }
        var maxPeers = args.Length > 3 && int.TryParse(args[3], out var m) ? m : new DownloadOptions { OutputDirectory = "." }.MaxPeers;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var opened = await TorrentClient.OpenAsync(args[1]);
        var options = new DownloadOptions { OutputDirectory = args[2], Resume = false, Session = new SessionSettings { Dht = false }, MaxPeers = maxPeers };
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var pauseBefore = GC.GetTotalPauseDuration();
        var clock = Stopwatch.StartNew();
        await TorrentClient.DownloadAsync(opened.Torrent, options, ct: timeout.Token);
        clock.Stop();
        var gib = opened.Torrent.TotalLength / (double)(1L << 30);
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)(1 << 20);
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"{opened.Torrent.TotalLength >> 20} MiB in {clock.Elapsed.TotalSeconds:0.00} s " +
            $"({opened.Torrent.TotalLength / clock.Elapsed.TotalSeconds / (1 << 20):0.0} MiB/s), CPU {(self.TotalProcessorTime - cpuBefore).TotalSeconds:0.00} s");
        Console.WriteLine($"allocated {allocated:0.0} MiB managed ({allocated / gib:0.0} MiB per GiB); collections gen0 " +
            $"{GC.CollectionCount(0) - collectionsBefore[0]}, gen1 {GC.CollectionCount(1) - collectionsBefore[1]}, gen2 " +
            $"{GC.CollectionCount(2) - collectionsBefore[2]}; pauses {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0} ms");
        Console.WriteLine($"peak working set {self.PeakWorkingSet64 / (double)(1 << 20):0.0} MiB; GC {(GCSettings.IsServerGC ? "server" : "workstation")}, " +
            $"{GCSettings.LatencyMode}; heap now {GC.GetGCMemoryInfo().HeapSizeBytes / (double)(1 << 20):0.0} MiB");
        return 0;
    }
}
