using System.Net;
using System.Net.Http.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>GET /api/torrents/{infoHash}/why</c> (<c>TorrentApi.Why.cs</c>) and <c>torrentlab why</c>
/// (<c>Cli/Commands/WhyCommand.cs</c>) against a served torrent: the verdict as JSON and as text, and the distinct exit
/// codes for an unknown torrent and a server that is not there.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiWhyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Why_PausedTorrent_AnswersPausedWithItsFindings()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        var why = await web.Http.GetFromJsonAsync<WhyReport>($"/api/torrents/{web.InfoHash}/why", Ct);

        Assert.NotNull(why);
        Assert.Equal("paused", why.Cause);
        Assert.Equal(web.InfoHash, why.InfoHash);
        Assert.Equal("nothing", why.Reachability.Kind);
        Assert.StartsWith("paused", why.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Why_SecondDownloadBehindAOneSlotQueue_AnswersQueued()
    {
        // One download at a time; the first one's peer sends a block every 200 ms, so it holds the slot.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(200),
            configure: o => o with { MaxActiveDownloads = 1 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(s => s.State == "downloading", Ct);
        var second = TestTorrents.SingleFile(64 * 1024, name: "second.bin", announce: null, seed: 90);
        using (var added = await web.UploadAsync(second.TorrentBytes, start: true, Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var why = await web.Http.GetFromJsonAsync<WhyReport>($"/api/torrents/{second.Torrent.InfoHash.Hex}/why", Ct);

        Assert.Equal("queued", why!.Cause);
        Assert.StartsWith("queued: waiting for a download slot", why.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Why_UnknownHash_Is404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync($"/api/torrents/{new string('0', 40)}/why", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task WhyCommand_AgainstServe_PrintsTheVerdictAndExitsWithACodePerFailure()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        string[] token = web.Server.Token is { } t ? ["--token", t] : [];

        var known = await CliRunner.RunAsync(["why", web.InfoHash, "--url", web.Server.Url, .. token]);
        var unknown = await CliRunner.RunAsync(["why", new string('0', 40), "--url", web.Server.Url, .. token]);
        var nobody = await CliRunner.RunAsync(["why", web.InfoHash, "--url", $"http://127.0.0.1:{ClosedPort()}"]);

        Assert.True(known.ExitCode == CliRunner.Codes.Ok, known.Stderr);
        Assert.Contains("verdict: paused: start it to download [paused]", known.Stdout, StringComparison.Ordinal);
        Assert.Contains("port:", known.Stdout, StringComparison.Ordinal);
        Assert.Equal(CliRunner.Codes.UnknownTorrent, unknown.ExitCode);
        Assert.Equal($"error: torrentlab serve at {web.Server.Url} has no torrent {new string('0', 40)}", unknown.Stderr.Trim());
        Assert.Equal(CliRunner.Codes.ServeUnreachable, nobody.ExitCode);
        Assert.StartsWith("error: cannot reach torrentlab serve at", nobody.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(nobody.Stderr.Trim().Split('\n')); // one line, no stack trace
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
