using System.Diagnostics;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;

namespace TorrentLab.Bench;

/// <summary>A swarm download from seeders already running on loopback (dialled directly, no tracker, no DHT), with an
/// optional download limit: prints the rate reached over 10 s, from the second second after the first verified piece,
/// against the limit, and the payload received against the torrent's size (blocks that came twice or late count); with
/// a limit it stops when the window ends. The window starts at the first piece, not at the start: on a loaded machine
/// the start (compiling the engine, connecting) took 6 s, which is no part of what the limit lets through. A figure,
/// not a test.</summary>
internal static class LimitedDownload
{
    private static readonly TimeSpan WindowStart = TimeSpan.FromSeconds(2);   // after the first piece: past the first burst
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
        TimeSpan? firstPiece = null;
        TimeSpan startedAt = default, endedAt = default;
        var progress = new Progress(p =>
        {
            // Verified bytes at the window's edges, and when they were read: what the limit let through, free of
            // requests still in flight.
            var now = clock.Elapsed;
            if (firstPiece is null && p.BytesDone > 0) firstPiece = now;
            if (firstPiece is null) return;
            if (atStart < 0 && now >= firstPiece + WindowStart) (atStart, startedAt) = (p.BytesDone, now);
            if (atStart >= 0 && atEnd < 0 && now >= startedAt + WindowLength)
            {
                (atEnd, endedAt) = (p.BytesDone, now);
                if (rate > 0) timeout.Cancel(); // the figure is taken: the rest would only take time
            }
        });
        DownloadResult? result = null;
        try
        {
            result = await TorrentClient.DownloadAsync(torrent, new DownloadOptions
        {
            OutputDirectory = args[2],
            Resume = false,
            Session = new SessionSettings { Dht = false, ListenPort = 0, BindAddresses = [IPAddress.Loopback] },
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
                var reached = (atEnd - atStart) / (endedAt - startedAt).TotalSeconds;
                Console.WriteLine($"limit {rate / mib:0.00} MiB/s: {reached / mib:0.00} MiB/s over {(endedAt - startedAt).TotalSeconds:0.0} s " +
                    $"({reached / rate:P0} of the limit); first piece after {firstPiece!.Value.TotalSeconds:0.0} s");
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
