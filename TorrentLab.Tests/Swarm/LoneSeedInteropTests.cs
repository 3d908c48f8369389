using System.Diagnostics;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Our lone seed, default options, feeding real libtorrent downloaders that know only it, beside libtorrent's
/// own seed of the same file in the same test (issue 84: two such downloaders took 63 times as long from our seed).
/// A ratio of two runs on one machine, not an absolute time: the load changes both alike.</summary>
[Trait("Category", "Interop")]
[Trait("Tier", "Slow")]
[Collection(TimedAloneCollection.Name)]
public class LoneSeedInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>128 MiB, as issue 84's own table: a round is then mostly the transfer. At 32 MiB a round was about 0.7 s
    /// on a quiet machine, half of it two Python processes starting, and a fixed 0.1 s more from our seed read 1.16
    /// there and 1.28 in a CI run under load; at 128 MiB the same machine read 1.00-1.02 quiet and 1.06-1.12 beside two
    /// busy loops.</summary>
    private const int Size = 128 << 20;

    /// <summary>Issue 84's bound on our seed against libtorrent's, the median of <see cref="Rounds"/> rounds.</summary>
    private const double MostRatio = 1.2;

    /// <summary>Timed rounds of each seed. A round is about a second of transfer, and on a loaded machine one round in
    /// four or five of either seed took a third longer than its others (a scheduler's pause is a large part of a second):
    /// with three rounds two such rounds of ours decided the median.</summary>
    private const int Rounds = 5;

    [Fact]
    public async Task TwoLibtorrentDownloaders_ThatKnowOnlyOurSeed_FinishWithinTheBoundOfLibtorrentsSeed()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-lone-seed");
        var built = TestTorrents.SingleFile(Size, pieceLength: 256 * 1024, name: "lone.bin", announce: null, seed: 84);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // torrentlab seed in a process of its own, as libtorrent's seed runs in its own (CliSeed says why).
        using var ours = await CliSeed.StartAsync(torrentPath, folder.Combine("seed"), Ct);
        using var theirs = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);

        // A first round for each seed, not timed: the first transfer after a process starts also measures its start
        // (our seed's code compiled again at its second tier while it sends, the file coming into the page cache).
        foreach (var (name, port) in new[] { ("ours", ours.Port), ("libtorrent", theirs.Port) })
            await TwoDownloadersAsync(python, torrentPath, folder, $"{name}-warm", port, built.Payload);
        var ratios = new List<double>();
        var lines = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            // Alternated, so neither seed always goes first on a machine whose load changes.
            var order = round % 2 == 0 ? new[] { ("ours", ours.Port), ("libtorrent", theirs.Port) } : [("libtorrent", theirs.Port), ("ours", ours.Port)];
            var times = new Dictionary<string, double>();
            foreach (var (name, port) in order) times[name] = await TwoDownloadersAsync(python, torrentPath, folder, $"{name}{round}", port, built.Payload);
            ratios.Add(times["ours"] / times["libtorrent"]);
            lines.Add($"round {round}: ours {times["ours"]:0.00} s, libtorrent's {times["libtorrent"]:0.00} s");
        }
        var median = ratios.Order().ElementAt(Rounds / 2);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", lines) + $"\nmedian ratio {median:0.00}");
        Assert.True(median <= MostRatio, $"our seed took {median:0.00} times libtorrent's (median of {Rounds}): {string.Join("; ", lines)}");
    }

    /// <summary>Two libtorrent downloaders told only of the seed at <paramref name="seedPort"/>; the seconds from when
    /// both dial it (each set up first: a Python process, its session and the torrent took about 0.65 s of a 1.3 s round
    /// on a loaded machine, and varied with the load, not with the seed) until both have the file, which is then checked.</summary>
    private static async Task<double> TwoDownloadersAsync(string python, string torrentPath, TempFolder folder, string name, int seedPort, byte[] payload)
    {
        var settings = $$"""{"_dial": {{seedPort}}, "_go": true}""";
        // Each writes its script in a folder of its own: two writes of one file could cut the other's short.
        foreach (var sub in new[] { "a", "b" }) Directory.CreateDirectory(folder.Combine(name + sub + "-script"));
        using var a = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine(name + "a"), folder.Combine(name + "a-script"), settings);
        using var b = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine(name + "b"), folder.Combine(name + "b-script"), settings);
        await Task.WhenAll(a.ReadyAsync(Ct), b.ReadyAsync(Ct));
        var clock = Stopwatch.StartNew();
        a.Go();
        b.Go();
        var done = await Task.WhenAll(DoneAsync(a, clock), DoneAsync(b, clock));
        var results = await Task.WhenAll(a.WaitAsync(InteropProcess.DownloaderPatience, Ct), b.WaitAsync(InteropProcess.DownloaderPatience, Ct));
        foreach (var (code, output) in results) Assert.True(code == 0, $"libtorrent from the {name} seed: {output}");
        foreach (var sub in new[] { "a", "b" })
        {
            Assert.Equal(payload, await File.ReadAllBytesAsync(folder.Combine(name + sub, "lone.bin"), Ct));
            Directory.Delete(folder.Combine(name + sub), recursive: true); // 256 MiB a round: not left to be written back
        }
        return done.Max();
    }

    /// <summary>The seconds on <paramref name="clock"/> when the downloader says "done" (it checks every 20 ms), or
    /// infinity when it says something else (its exit code and output then fail the round).</summary>
    private static async Task<double> DoneAsync(InteropProcess downloader, Stopwatch clock) =>
        await downloader.Process.StandardOutput.ReadLineAsync(Ct) == "done" ? clock.Elapsed.TotalSeconds : double.PositiveInfinity;
}
