using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The npm clients that media managers and scripts use, <c>@ctrl/transmission</c> and <c>@ctrl/qbittorrent</c>
/// (tools/remote-clients, run by Node.js), drive the web server: add a .torrent paused and a magnet link, skip a file,
/// set a limit, start, stop, verify, remove with data; each script checks every action through TorrentLab's REST API.
/// Skipped without Node.js or the packages; mandatory with TORRENTLAB_REQUIRE_INTEROP=1.</summary>
[Trait("Tier", "Slow")]
public class RemoteClientsInteropTests
{
    private const string Token = "npm-interop-token";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("transmission.mjs")] // the Transmission RPC at /transmission/rpc
    [InlineData("qbittorrent.mjs")]  // the qBittorrent API under /api/v2
    public async Task NpmClient_AddStartStopVerifyRemove_EachActionShowsInTheRestApi(string script)
    {
        var folder = Interop.RequireRemoteClients();
        // A slow seeder (one block every 2 s), so a started download is still running when it is stopped; it serves
        // the metadata too, for the magnet link.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with
            {
                Token = Token, RequireToken = true, MaxPeers = 50,
                ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
            },
            peer: p => p with { ServeMetadata = true });
        using var temp = new TempFolder("torrentlab-npm-clients");
        var torrentFile = temp.Combine("webtest.torrent");
        await File.WriteAllBytesAsync(torrentFile, web.Swarm.Built.TorrentBytes, Ct);
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&x.pe={web.Swarm.EndPointOf(0)}";

        var result = await ProcessRunner.RunAsync(Interop.Node, [script, web.Server.Url + "/", Token, torrentFile, magnet, web.InfoHash],
            TimeSpan.FromMinutes(3), workingDirectory: folder);

        Assert.True(result.ExitCode == 0, $"node {script} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("ok: removed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok: magnet added paused", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(web.InfoHash, Assert.Single(await web.ListAsync(Ct)).InfoHash); // the magnet link's torrent, seen by the REST API too
    }

    /// <summary>Every call of @ctrl/qbittorrent that qBittorrent 4.5's API has (tools/remote-clients/qbittorrent-calls.mjs),
    /// made against qbittorrent-nox 4.5.2 and against serve in the same run: each call that works against the real
    /// daemon works against serve. The RSS calls count once this server has RSS routes (they come with their own work).</summary>
    [Fact]
    public async Task NpmQBittorrentClient_PassesEveryCallItPassesAgainstQBittorrentNox()
    {
        var folder = Interop.RequireRemoteClients();
        var nox = Interop.RequireExecutable("qbittorrent-nox");
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with { Token = Token, RequireToken = true, MaxPeers = 50 },
            peer: p => p with { ServeMetadata = true });
        using var temp = new TempFolder("torrentlab-npm-calls");
        var torrentFile = temp.Combine("webtest.torrent");
        await File.WriteAllBytesAsync(torrentFile, web.Swarm.Built.TorrentBytes, Ct);
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&x.pe={web.Swarm.EndPointOf(0)}";
        using var qbittorrent = await QBittorrentNox.StartAsync(nox, temp.Path, Ct);
        var noxDownloads = temp.Combine("nox-downloads");
        Directory.CreateDirectory(noxDownloads);

        async Task<Dictionary<string, string>> RunAsync(string url, string user, string password, string saveFolder)
        {
            var result = await ProcessRunner.RunAsync(Interop.Node,
                ["qbittorrent-calls.mjs", url, user, password, torrentFile, web.InfoHash, magnet, saveFolder], TimeSpan.FromMinutes(5), workingDirectory: folder);
            Assert.True(result.ExitCode == 0, $"node qbittorrent-calls.mjs {url} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
            return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', 2)).Where(p => p[0] is "pass" or "fail")
                .ToDictionary(p => p[1].Split(':')[0], p => p[0] == "pass" ? "pass" : p[1]);
        }

        var real = await RunAsync(qbittorrent.WebUrl, "admin", "adminadmin", noxDownloads);
        var ours = await RunAsync(web.Server.Url + "/", "admin", Token, web.Downloads.Path);

        var rss = TorrentLab.Web.QBittorrentApi.Routes.ContainsKey("rss/rules");
        var expected = real.Where(c => c.Value == "pass" && (rss || !c.Key.Contains("Rss", StringComparison.Ordinal))).Select(c => c.Key).ToList();
        Assert.True(expected.Count >= 45, $"qbittorrent-nox passed only {expected.Count} calls: {string.Join("; ", real.Select(c => $"{c.Key}: {c.Value}"))}");
        var missing = expected.Where(call => ours.GetValueOrDefault(call) != "pass").Select(call => $"{call}: {ours.GetValueOrDefault(call) ?? "not run"}").ToList();
        Assert.True(missing.Count == 0, $"passed against qbittorrent-nox, not against serve:\n{string.Join('\n', missing)}");
        TestContext.Current.SendDiagnosticMessage($"@ctrl/qbittorrent: {real.Count(c => c.Value == "pass")} of {real.Count} calls pass against qbittorrent-nox 4.5.2, " +
            $"{ours.Count(c => c.Value == "pass")} against serve");
    }
}
