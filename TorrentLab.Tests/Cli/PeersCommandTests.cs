using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab peers</c> and <c>torrentlab scrape</c> as a user runs them, against our tracker in this process.</summary>
[Trait("Tier", "Slow")]
public class PeersCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TrackerServer Server, TempFolder Folder, string TorrentPath, TestTorrents.Built Built)> SetUpAsync(
        Action<string>? log = null)
    {
        var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Log = log }, Ct);
        var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: server.HttpAnnounceUrl);
        return (server, folder, built.WriteTorrent(folder.Path), built);
    }

    private static async Task SeedAsync(TrackerServer server, TestTorrents.Built built, int port)
    {
        using var client = new TrackerClient([[server.HttpAnnounceUrl]]);
        await client.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), port, 0, 0, 0, AnnounceEvent.Started), Ct);
    }

    [Fact]
    public async Task Peers_PrintsOneIpPortPerLine_AnnouncesStartedWithEverythingLeft_ThenStopped()
    {
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (server, folder, path, built) = await SetUpAsync(log.Enqueue);
        await using var _ = server;
        using var __ = folder;
        await SeedAsync(server, built, 7101);

        var result = await CliRunner.RunAsync(["peers", path, "--port", "7102"]);

        Assert.Equal(("127.0.0.1:7101\n", "", CliRunner.Codes.Ok), (result.Stdout, result.Stderr, result.ExitCode));
        var ours = log.Where(line => line.Contains(":7102 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, ours.Count);
        Assert.Contains($"event=started left={built.Torrent.TotalLength} ", ours[0]);
        Assert.Contains("event=stopped", ours[1]);
        // No phantom leecher: the tracker lists only the seeder once we have left.
        Assert.Equal([7101], server.GetSwarm(built.Torrent.InfoHash).Peers.Select(p => p.EndPoint.Port));
    }

    [Fact]
    public async Task Peers_TrackerOverrideAndJson_AsksThatTrackerAndPrintsJson()
    {
        var (server, folder, _, built) = await SetUpAsync();
        await using var ___ = server;
        using var __ = folder;
        await SeedAsync(server, built, 7101);
        var other = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce").Torrent; // same info, dead announce
        Assert.Equal(built.Torrent.InfoHash, other.InfoHash);
        var path = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce").WriteTorrent(folder.Path, "dead.torrent");

        var result = await CliRunner.RunAsync(["peers", path, "--tracker", server.UdpAnnounceUrl, "--json"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(["127.0.0.1:7101"], json.RootElement.GetProperty("peers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1800, json.RootElement.GetProperty("interval_seconds").GetInt32());
    }

    [Fact]
    public async Task Peers_FailureReason_IsOneLineAndTheTrackerExitCode()
    {
        var (server, folder, path, _) = await SetUpAsync();
        await using var _ = server;
        using var __ = folder;
        server.Faults.Always = TrackerFault.FailureReason;
        server.Faults.FailureReason = "torrent not registered";

        var result = await CliRunner.RunAsync(["peers", path]);

        Assert.Equal(CliRunner.Codes.Tracker, result.ExitCode);
        Assert.Equal($"error: tracker: {server.HttpAnnounceUrl}: failure reason: torrent not registered\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Peers_TrackerUnreachable_IsOneLineAndTheTrackerExitCode()
    {
        using var folder = new TempFolder();
        var path = TestTorrents.SingleFile(announce: "udp://127.0.0.1:1/announce").WriteTorrent(folder.Path);

        var result = CliRunner.Run(["peers", path, "--timeout", "0.1"]);

        Assert.Equal(CliRunner.Codes.Tracker, result.ExitCode);
        Assert.Equal("error: tracker: udp://127.0.0.1:1/announce: no answer from 127.0.0.1:1 after 3 attempt(s) over 0.7 s\n", result.Stderr);
    }

    [Fact]
    public async Task Scrape_PrintsSeedersLeechersCompleted()
    {
        var (server, folder, path, built) = await SetUpAsync();
        await using var _ = server;
        using var __ = folder;
        await SeedAsync(server, built, 7101);

        var text = await CliRunner.RunAsync(["scrape", path]);
        var json = await CliRunner.RunAsync(["scrape", path, "--tracker", server.UdpAnnounceUrl, "--json"]);

        Assert.Equal(("seeders: 1\nleechers: 0\ncompleted: 0\n", CliRunner.Codes.Ok), (text.Stdout, text.ExitCode));
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(built.Torrent.InfoHash.Hex, doc.RootElement.GetProperty("info_hash").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("seeders").GetInt32());
    }
}
