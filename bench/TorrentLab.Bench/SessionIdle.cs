using System.Diagnostics;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;

namespace TorrentLab.Bench;

/// <summary>Seeds every .torrent of a folder from one data folder in one session of this process (DHT off, loopback)
/// and prints what an idle torrent costs: managed heap and RSS per torrent, threads, and CPU over an idle minute.
/// A figure, not a test: the load comes from bench/session/make_torrents.py.</summary>
internal static class SessionIdle
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: session-idle TORRENT_FOLDER DATA_FOLDER [idle seconds=30]");
            return 2;
        }
        var idle = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 30;
        var torrents = Directory.GetFiles(args[1], "*.torrent").Order(StringComparer.Ordinal).Select(Torrent.Load).ToList();
        await using var session = TorrentSession.Start(new SessionSettings
        {
            ListenPort = 0, Dht = false, BindAddresses = [System.Net.IPAddress.Loopback], MaxConnections = 500,
        });
        var (heapBefore, rssBefore) = Measure();
        var clock = Stopwatch.StartNew();
        foreach (var torrent in torrents)
            await session.SeedAsync(torrent, new DownloadOptions { OutputDirectory = args[2] });
        var started = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(10)); // tiered compilation settles
        var (heap, rss) = Measure();
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        await Task.Delay(TimeSpan.FromSeconds(idle));
        self.Refresh();
        var idleCpu = (self.TotalProcessorTime - cpu).TotalSeconds / idle * 100;
        var n = torrents.Count;
        Console.WriteLine($"{n} torrents seeding after {started.TotalSeconds:0.0} s; heap {(heap - heapBefore) / 1024.0 / n:0.00} KiB per torrent, " +
            $"RSS {(rss - rssBefore) / 1024.0 / n:0.00} KiB per torrent ({rss >> 20} MiB), threads {self.Threads.Count}, " +
            $"idle CPU {idleCpu:0.00} % of a core over {idle:0} s");
        return 0;
    }

    private static (long Heap, long Rss) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }
}
