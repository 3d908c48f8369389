using System.Net;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The engine's DHT peer source against a local DHT of real libtorrent nodes on 127.0.0.1 (skipped visibly
/// without python3-libtorrent; mandatory with TORRENTLAB_REQUIRE_INTEROP=1). Every node, ours included, bootstraps only
/// from these: the suite is loopback-only, so the default public routers are skipped unasked.</summary>
[Trait("Tier", "Slow")]
public class TorrentSwarmDhtInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string XtOnly(string infoHash) => $"magnet:?xt=urn:btih:{infoHash}";

    [Fact]
    public async Task LibtorrentSeeder_ItsXtOnlyMagnetDownloads_BootstrappedFromOneLibtorrentNode()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);

        var result = await CliRunner.RunAsync([XtOnly(dht.InfoHash), "-o", folder.Combine("out"), "--port", "0", "--dht-bootstrap", dht.First.ToString(),
            "--verbose", "--quiet"], TimeSpan.FromSeconds(120));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(File.ReadAllBytes(folder.Combine("payload.bin")), File.ReadAllBytes(folder.Combine("out", "payload.bin")));
        Assert.Matches(@"peers from: tracker 0, dht [1-9]", result.Stderr);
    }

    [Fact]
    public async Task OurSeederOfATrackerlessTorrent_IsFoundThroughTheDht_AndDownloadedByLibtorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 3, Ct, seed: false);
        var built = TestTorrents.SingleFile(length: 1 << 20, pieceLength: 32 * 1024, name: "ours.bin", announce: null);
        var data = folder.Combine("seed");
        built.WritePayload(data);
        await using var seeder = await Seeder.StartAsync(built.Torrent, LocalDht.Options(data, dht.First), ct: Ct);

        var answer = await dht.DownloadAsync(built.Torrent.InfoHash.Hex, folder.Combine("lt"), Ct);

        Assert.Equal("done", answer);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("lt", "ours.bin")));
        Assert.True(seeder.Uploaded >= built.Payload.Length, $"uploaded {seeder.Uploaded}");
        Assert.Equal(seeder.Port, seeder.DhtEndPoint?.Port); // the DHT listens on the peer port's number (BEP 5)
    }

    [Fact]
    public async Task Restart_WithNoBootstrapNodeGiven_ReusesTheSavedRoutingTable()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);
        var output = folder.Combine("out");
        var first = await CliRunner.RunAsync([XtOnly(dht.InfoHash), "-o", output, "--port", "0", "--dht-bootstrap", dht.First.ToString(), "--quiet"],
            TimeSpan.FromSeconds(120));
        Assert.True(first.ExitCode == CliRunner.Codes.Ok, first.Stderr);
        var state = File.ReadAllText(Path.Combine(output, ".torrentlab", Session.DhtStateFile));
        File.Delete(Path.Combine(output, "payload.bin"));

        // No --dht-bootstrap: the default public routers, which a loopback-only run skips without asking anyone.
        var again = await CliRunner.RunAsync([XtOnly(dht.InfoHash), "-o", output, "--port", "0", "--verbose", "--quiet"], TimeSpan.FromSeconds(120));

        Assert.True(again.ExitCode == CliRunner.Codes.Ok, again.Stderr);
        Assert.Contains(dht.First.ToString(), state);
        Assert.Contains("skipping bootstrap node: bootstrap node router.bittorrent.com:6881 is not a loopback address", again.Stderr);
        Assert.Equal(File.ReadAllBytes(folder.Combine("payload.bin")), File.ReadAllBytes(Path.Combine(output, "payload.bin")));
        Assert.Matches(@"peers from: tracker 0, dht [1-9]", again.Stderr);
    }
}
