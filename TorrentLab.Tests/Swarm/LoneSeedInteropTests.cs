using System.Diagnostics;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Our lone seed, default options, feeding real libtorrent downloaders that know only it, beside libtorrent's
/// own seed of the same file in the same test (issue 84: two such downloaders took 63 times as long from our seed).
/// A ratio of two runs on one machine, not an absolute time: the load changes both alike.</summary>
[Trait("Category", "Interop")]
[Trait("Tier", "Slow")]
public class LoneSeedInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>128 MiB, as issue 84's own table: a round is then mostly the transfer. At 32 MiB a round was about 0.7 s
    /// on a quiet machine, half of it two Python processes starting, and a fixed 0.1 s more from our seed read 1.16
    /// there and 1.28 in a CI run under load; at 128 MiB the same machine read 1.00-1.02 quiet and 1.06-1.12 beside two
    /// busy loops.</summary>
    private const int Size = 128 << 20;

    /// <summary>Issue 84's bound on our seed against libtorrent's, median of three rounds.</summary>
    private const double MostRatio = 1.2;

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

        var ratios = new List<double>();
        var lines = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            // Alternated, so neither seed always goes first on a machine whose load changes.
            var order = round % 2 == 0 ? new[] { ("ours", ours.Port), ("libtorrent", theirs.Port) } : [("libtorrent", theirs.Port), ("ours", ours.Port)];
            var times = new Dictionary<string, double>();
            foreach (var (name, port) in order) times[name] = await TwoDownloadersAsync(python, torrentPath, folder, $"{name}{round}", port, built.Payload);
            ratios.Add(times["ours"] / times["libtorrent"]);
            lines.Add($"round {round}: ours {times["ours"]:0.00} s, libtorrent's {times["libtorrent"]:0.00} s");
        }
        var median = ratios.Order().ElementAt(1);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", lines) + $"\nmedian ratio {median:0.00}");
        Assert.True(median <= MostRatio, $"our seed took {median:0.00} times libtorrent's (median of three): {string.Join("; ", lines)}");
    }

    /// <summary>Two libtorrent downloaders told only of the seed at <paramref name="seedPort"/>, started together; the
    /// seconds until both have the file, which is then checked.</summary>
    private static async Task<double> TwoDownloadersAsync(string python, string torrentPath, TempFolder folder, string name, int seedPort, byte[] payload)
    {
        var settings = $$"""{"_dial": {{seedPort}}}""";
        var clock = Stopwatch.StartNew();
        // Each writes its script in a folder of its own: two writes of one file could cut the other's short.
        foreach (var sub in new[] { "a", "b" }) Directory.CreateDirectory(folder.Combine(name + sub + "-script"));
        using var a = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine(name + "a"), folder.Combine(name + "a-script"), settings);
        using var b = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine(name + "b"), folder.Combine(name + "b-script"), settings);
        var results = await Task.WhenAll(a.WaitAsync(InteropProcess.DownloaderPatience, Ct), b.WaitAsync(InteropProcess.DownloaderPatience, Ct));
        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var (code, output) in results) Assert.True(code == 0, $"libtorrent from the {name} seed: {output}");
        foreach (var sub in new[] { "a", "b" }) Assert.Equal(payload, await File.ReadAllBytesAsync(folder.Combine(name + sub, "lone.bin"), Ct));
        return seconds;
    }
}
