using System.Text.Json;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>Share limits set the way qbit_manage sets them, through @ctrl/qbittorrent (tools/remote-clients/share-limits.mjs):
/// setShareLimits with an inactive seeding time, -2 and -1, the max_* preferences and max_ratio_act; each read back from
/// torrents/info and app/preferences, and here from the Transmission RPC's torrent-get (seedIdleLimit, seedIdleMode).</summary>
[Trait("Tier", "Slow")]
public class RemoteClientsShareLimitsTests
{
    private const string Token = "npm-share-limits-token";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NpmQBittorrentClient_SetsShareLimitsAsQbitManageDoes_ReadBackThroughBothApis()
    {
        var folder = Interop.RequireRemoteClients();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        await web.AddAsync(start: false, Ct);

        var result = await ProcessRunner.RunAsync(Interop.Node, ["share-limits.mjs", web.Server.Url + "/", Token, web.InfoHash],
            TimeSpan.FromMinutes(2), workingDirectory: folder);
        var torrent = web.Server.Torrents.All.Single();
        var rpc = new Transmission.RpcClient(web.Http);
        await rpc.SucceedAsync("torrent-set", JsonDocument.Parse("""{"ids": [1], "seedIdleLimit": 20, "seedIdleMode": 1}""").RootElement, Ct);
        var got = await rpc.SucceedAsync("torrent-get", JsonDocument.Parse("""{"fields": ["seedIdleLimit", "seedIdleMode"]}""").RootElement, Ct);
        var row = got.GetProperty("torrents")[0];

        Assert.True(result.ExitCode == 0, $"node share-limits.mjs exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        Assert.Equal((20, 1), (row.GetProperty("seedIdleLimit").GetInt32(), row.GetProperty("seedIdleMode").GetInt32()));
        Assert.Equal(20, torrent.Seeding.IdleMinutes);
        Assert.Equal("remove-data", web.Server.Torrents.Settings.SeedLimitAction);
    }
}
