using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

/// <summary>Our client against opentracker, with a python3-libtorrent seeder that announced to it.</summary>
[Trait("Tier", "Slow")]
public class OpenTrackerInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Peers_AgainstOpentrackerOverHttpAndUdp_ListsTheLibtorrentSeeder()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-opentracker");
        var port = OpenTracker.ReservePort();
        var built = TestTorrents.SingleFile(length: 200_000, announce: $"http://127.0.0.1:{port}/announce");
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));
        using var tracker = OpenTracker.Start(port, [built.Torrent.InfoHash], folder.Path);
        {
            using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("data"), folder.Path, Ct);

            var http = await CliRunner.RunAsync(["peers", torrentPath, "--port", "7301", "--timeout", "5"]);
            var udp = await CliRunner.RunAsync(["peers", torrentPath, "--port", "7302", "--timeout", "2", "--tracker", $"udp://127.0.0.1:{port}/announce"]);
            using var client = new TrackerClient([[$"udp://127.0.0.1:{port}/announce"]]);
            var scrape = await client.ScrapeAsync(built.Torrent.InfoHash, Ct);

            Assert.Equal(CliRunner.Codes.Ok, http.ExitCode);
            Assert.Contains($"127.0.0.1:{seeder.Port}", http.Stdout.Split('\n'));
            Assert.Equal(CliRunner.Codes.Ok, udp.ExitCode);
            Assert.Contains($"127.0.0.1:{seeder.Port}", udp.Stdout.Split('\n'));
            Assert.Equal(1, scrape.Seeders);
        }
    }
}
