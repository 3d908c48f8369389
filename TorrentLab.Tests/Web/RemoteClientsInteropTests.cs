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

        var result = await Task.Run(() => ProcessRunner.Run(Interop.Node, [script, web.Server.Url + "/", Token, torrentFile, magnet, web.InfoHash],
            TimeSpan.FromMinutes(3), workingDirectory: folder), Ct);

        Assert.True(result.ExitCode == 0, $"node {script} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("ok: removed", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok: magnet added paused", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(web.InfoHash, Assert.Single(await web.ListAsync(Ct)).InfoHash); // the magnet link's torrent, seen by the REST API too
    }
}
