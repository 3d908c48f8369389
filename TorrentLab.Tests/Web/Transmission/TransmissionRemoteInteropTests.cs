using System.Net.Http.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>The real <c>transmission-remote</c> (Debian's transmission-cli, written by the Transmission project)
/// drives the web server through its RPC, with the server's token as the Basic password; every action is checked
/// through TorrentLab's own REST API. Skipped without the program; mandatory with TORRENTLAB_REQUIRE_INTEROP=1.</summary>
[Trait("Tier", "Slow")]
public class TransmissionRemoteInteropTests
{
    private const string Token = "interop-token";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TransmissionRemote_ListAddStopStartVerifyLimitSkipRemove_ShowInTheRestApi()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        // A slow seeder (one block every 2 s), so a started download is still downloading when the next command comes;
        // it serves the metadata too, for the magnet link.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with
            {
                Token = Token, RequireToken = true, MaxPeers = 50,
                ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
            },
            peer: p => p with { ServeMetadata = true });
        using var temp = new TempFolder("torrentlab-tr-remote");
        var torrentFile = temp.Combine("webtest.torrent");
        await File.WriteAllBytesAsync(torrentFile, web.Swarm.Built.TorrentBytes, Ct);
        var port = new Uri(web.Server.Url).Port;
        async Task<string> Run(params string[] args)
        {
            var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{port}", "--auth", $"user:{Token}", .. args], TimeSpan.FromMinutes(2),
                environment: new Dictionary<string, string> { ["HOME"] = temp.Path });
            Assert.True(result.ExitCode == 0, $"transmission-remote {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
            Assert.DoesNotContain("Error", result.Stdout + result.Stderr, StringComparison.Ordinal);
            return result.Stdout;
        }

        var empty = await Run("--list");
        await Run("--start-paused"); // session-set start-added-torrents false: what is added next waits
        await Run("--add", torrentFile);
        var added = Assert.Single(await web.ListAsync(Ct));
        var listed = await Run("--list");

        await Run("--torrent", "1", "--no-get", "1");
        var files = await web.Http.GetFromJsonAsync<FileEntry[]>($"/api/torrents/{web.InfoHash}/files", Ct);
        await Run("--torrent", "1", "--downlimit", "100");
        var limits = await web.Http.GetFromJsonAsync<RateLimitSettings>($"/api/torrents/{web.InfoHash}/limits", Ct);

        await Run("--torrent", "1", "--start");
        var started = Assert.Single(await web.ListAsync(Ct));
        await Run("--torrent", "1", "--stop");
        var stopped = Assert.Single(await web.ListAsync(Ct));

        // The data put in place behind the server's back: a verify finds every piece.
        foreach (var (path, data) in web.Swarm.Built.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(web.Downloads.Combine(path))!);
            await File.WriteAllBytesAsync(web.Downloads.Combine(path), data, Ct);
        }
        await Run("--torrent", "1", "--verify");
        var verified = Assert.Single(await web.ListAsync(Ct));
        var info = await Run("--torrent", web.InfoHash, "--info");

        await Run("--torrent", "1", "--remove-and-delete");
        var removed = await web.ListAsync(Ct);
        var dataLeft = Directory.Exists(web.Downloads.Combine("webtest"));

        await Run("--add", $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&x.pe={web.Swarm.EndPointOf(0)}");
        var magnet = Assert.Single(await web.ListAsync(Ct));

        Assert.Contains("Sum:", empty, StringComparison.Ordinal);
        Assert.Equal("paused", added.State);
        Assert.Contains("webtest", listed, StringComparison.Ordinal);
        Assert.Equal(["normal", "skip"], files!.Select(f => f.Priority));
        Assert.Equal(100_000, limits!.DownloadRate); // 100 kB/s, kB of 1000 bytes
        Assert.Contains(started.State, (string[])["queued", "downloading"]);
        Assert.Equal("paused", stopped.State);
        Assert.Equal("completed", verified.State);
        Assert.Equal(verified.PieceCount, verified.PiecesDone);
        Assert.Contains($"Hash: {web.InfoHash}", info, StringComparison.Ordinal);
        Assert.Contains("Download Limit: 100 kB/s", info, StringComparison.Ordinal);
        Assert.Empty(removed);
        Assert.False(dataLeft);
        Assert.Equal(web.InfoHash, magnet.InfoHash);
        Assert.Equal("webtest", magnet.Name);
        Assert.Equal("paused", magnet.State);
    }

    /// <summary>transmission-remote's turtle mode: on by hand with its limits, then a schedule; each shows in the REST
    /// API's alternative limits.</summary>
    [Fact]
    public async Task TransmissionRemote_AltSpeedAndItsSchedule_ShowInTheRestApi()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        using var temp = new TempFolder("torrentlab-tr-remote");
        var port = new Uri(web.Server.Url).Port;
        async Task Run(params string[] args)
        {
            var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{port}", "--auth", $"user:{Token}", .. args], TimeSpan.FromMinutes(2),
                environment: new Dictionary<string, string> { ["HOME"] = temp.Path });
            Assert.True(result.ExitCode == 0, $"transmission-remote {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
            Assert.DoesNotContain("Error", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }

        await Run("--alt-speed-downlimit", "50", "--alt-speed-uplimit", "20", "--alt-speed");
        var on = await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct);
        await Run("--no-alt-speed", "--alt-speed-scheduler", "--alt-speed-time-begin", "2300", "--alt-speed-time-end", "0600", "--alt-speed-days", "6,7");
        var scheduled = await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct);

        Assert.Equal((true, true, 50_000L, 20_000L), (on!.Enabled!.Value, on.Active!.Value, on.DownloadRate!.Value, on.UploadRate!.Value));
        Assert.Equal((false, true, 23 * 60, 6 * 60, 1 | 64), (scheduled!.Enabled!.Value, scheduled.ScheduleEnabled!.Value, scheduled.ScheduleBegin!.Value,
            scheduled.ScheduleEnd!.Value, scheduled.ScheduleDays!.Value)); // 6,7 (Saturday, Sunday; transmission-remote 3.00 counts from Monday): bits 64 and 1
    }

    /// <summary>transmission-remote 3.00's <c>-t 1 -it</c> prints a tracker only when trackerStats carries every key it
    /// reads; here it prints the tracker and the last announce's answer.</summary>
    [Fact]
    public async Task TransmissionRemote_TorrentTrackerInfo_PrintsTheTrackerAndItsLastAnnounce()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with { Token = Token, RequireToken = true, MaxPeers = 50 });
        using var temp = new TempFolder("torrentlab-tr-remote");
        await web.AddAsync(start: true, Ct);
        await Wait.UntilAsync(async () => (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt is not null, TimeSpan.FromSeconds(20), Ct);
        var port = new Uri(web.Server.Url).Port;

        var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{port}", "--auth", $"user:{Token}", "-t", "1", "-it"], TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string> { ["HOME"] = temp.Path });

        Assert.True(result.ExitCode == 0, $"transmission-remote -t 1 -it exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        var tracker = new Uri(web.Swarm.Tracker.HttpAnnounceUrl);
        Assert.Contains($"Tracker 0: http://{tracker.Authority}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Got a list of 1 peers", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Asking for more peers in", result.Stdout, StringComparison.Ordinal);
    }
}
