using System.Diagnostics;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;

namespace TorrentLab.Bench;

/// <summary>A swarm download from seeders already running on loopback (dialled directly, no tracker, no DHT), with an
/// optional download limit: prints the rate reached from the second second to the twelfth against the limit, and the
/// payload received against the torrent's size (blocks that came twice or late count); with a limit it stops when the
/// window ends. A figure, not a test.</summary>
internal static class LimitedDownload
{
    private static readonly TimeSpan WindowStart = TimeSpan.FromSeconds(2);   // past connecting and the first burst
    private static readonly TimeSpan WindowLength = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var seeders = args.Skip(4).Select(a => IPEndPoint.TryParse(a, out var e) ? e : null).ToList();
        if (args.Length < 5 || seeders.Contains(null) || !long.TryParse(args[3], out var rate) || rate < 0)
        {
            Console.Error.WriteLine("usage: limited-download TORRENT OUTPUT_FOLDER BYTES_PER_SECOND(0: none) SEEDER_IP:PORT...");
            return 2;
        }
        var torrent = (await TorrentClient.OpenAsync(args[1])).Torrent;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        long atStart = -1, atEnd = -1;
        var progress = new Progress(p =>
        {
            // Verified bytes at the window's edges: what the limit let through, free of requests still in flight.
            if (atStart < 0 && clock.Elapsed >= WindowStart) atStart = p.BytesDone;
            if (atEnd < 0 && clock.Elapsed >= WindowStart + WindowLength)
            {
                atEnd = p.BytesDone;
                if (rate > 0) timeout.Cancel(); // the figure is taken: the rest would only take time
            }
        });
        DownloadResult? result = null;
        try
        {
            result = await SwarmDownload.RunAsync(torrent, new DownloadOptions
        {
            OutputDirectory = args[2],
            Resume = false,
            Dht = false,
            ListenPort = 0,
            BindAddress = IPAddress.Loopback,
            ExtraPeers = [.. seeders.Select(s => s!)],
            DownloadLimit = rate > 0 ? new RateLimit(rate) : null,
            }, progress, timeout.Token);
        }
        catch (OperationCanceledException) when (atEnd >= 0) { }
        clock.Stop();
        var mib = (double)(1 << 20);
        if (rate > 0)
        {
            if (atEnd < 0)
                Console.WriteLine($"finished in {clock.Elapsed.TotalSeconds:0.00} s, before the window ended: give a torrent of at least {rate * 14 / mib:0} MiB");
            else
            {
                var reached = (atEnd - atStart) / WindowLength.TotalSeconds;
                Console.WriteLine($"limit {rate / mib:0.00} MiB/s: {reached / mib:0.00} MiB/s from {WindowStart.TotalSeconds:0} s to " +
                    $"{(WindowStart + WindowLength).TotalSeconds:0} s ({reached / rate:P0} of the limit)");
            }
        }
        if (result is null) return 0;
        Console.WriteLine($"received {result.Downloaded} payload bytes for {torrent.PayloadLength} ({(result.Downloaded - torrent.PayloadLength) / (double)torrent.PayloadLength:+0.0%;-0.0%}) " +
            $"from {seeders.Count} seeder(s) in {clock.Elapsed.TotalSeconds:0.00} s");
        return 0;
    }

    /// <summary>Reports on the calling thread (no synchronisation context hop): the window's edges are read as they pass.</summary>
    private sealed class Progress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
