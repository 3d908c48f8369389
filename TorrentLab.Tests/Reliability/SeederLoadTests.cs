using System.Diagnostics;
using System.Globalization;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>Load on one of our seeders: many in-process swarm downloaders (12 at CI counts, 50 in long mode), each into
/// its own folder, all dialling the seeder at once on 127.0.0.1. Every one completes with identical data, and the heap
/// stays bounded.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class SeederLoadTests
{
    private const long HeapBound = 256L << 20; // 256 MiB: a few hundred KiB of buffers per connection, both sides, is the budget

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneSeederManySimultaneousDownloaders_AllCompleteWithIdenticalData_HeapBounded()
    {
        var downloaders = ReliabilityMode.Count(12, 50);
        var built = TestTorrents.MultiFile([("load/a.bin", ReliabilityMode.Count(512, 2048) << 10), ("load/b.bin", (ReliabilityMode.Count(512, 2048) << 10) + 777)],
            pieceLength: 16 * 1024, name: "load", seed: 23);
        // Every downloader is served at once: no one waits for the ten-second choking round.
        await using var rig = await SeederRig.StartAsync(built, Ct, o => o with { UploadSlots = downloaders, MaxPeers = downloaders + 8 });
        var names = Enumerable.Range(0, downloaders).Select(i => $"d{i:00}").ToArray();
        await using var memory = MemoryWatch.Start();
        var stopwatch = Stopwatch.StartNew();

        var results = await Task.WhenAll(names.Select(name => rig.DownloadAsync(name, Ct))).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        var elapsed = stopwatch.Elapsed;
        await memory.DisposeAsync(); // stops the watch: reading the files back to compare them is not the seeder's memory

        var payload = (long)built.Payload.Length;
        var identical = names.Count(rig.Identical);
        var lost = new List<string>();
        if (identical < downloaders) lost.Add($"{downloaders - identical} download(s) differ");
        if (results.Any(r => r.BadPeers.Count > 0)) lost.Add("a downloader banned the seeder: " + string.Join("; ", results.SelectMany(r => r.BadPeers)));
        if (memory.PeakGrowth >= HeapBound) lost.Add($"heap grew {ReliabilityReport.Mib(memory.PeakGrowth)}");
        var rate = (downloaders * payload / 1048576.0 / elapsed.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture);
        ReliabilityReport.Add(new ReliabilityRow("load", $"one seeder, {downloaders} simultaneous swarm downloaders (CI counts 12, long mode 50) of {ReliabilityReport.Mib(payload)} each, 16 KiB pieces",
            downloaders, identical, lost.Count == 0 ? "none" : string.Join("; ", lost),
            $"{ReliabilityReport.Mib(downloaders * payload)} in {elapsed.TotalSeconds:0.0} s = {rate} MiB/s in all; seeder uploaded {ReliabilityReport.Mib(rig.Seeder.Uploaded)}; " +
            $"slowest downloader {results.Max(r => r.Elapsed).TotalSeconds:0.0} s; {memory.Figures}"));

        Assert.Equal(downloaders, identical);
        Assert.All(results, r => Assert.Empty(r.BadPeers));
        Assert.All(results, r => Assert.True(r.Downloaded >= payload, $"downloaded {r.Downloaded} of {payload}"));
        // Every byte left the seeder at least once (it was the only source); beyond that the downloaders may rightly trade
        // pieces among themselves once the seeder's peer exchange has introduced them, so no more can be required of it.
        Assert.True(rig.Seeder.Uploaded >= payload, $"seeder uploaded {rig.Seeder.Uploaded}, expected at least {payload}");
        Assert.True(memory.PeakGrowth < HeapBound, memory.Figures);
    }
}
