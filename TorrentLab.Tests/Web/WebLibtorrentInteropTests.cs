using System.Net;
using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The web server against python3-libtorrent on loopback: a magnet link added through the API gets its
/// metadata from the libtorrent seeder (BEP 9) and downloads from it to the last byte.</summary>
[Trait("Tier", "Slow")]
public class WebLibtorrentInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddLink_MagnetLinkOfALibtorrentSeeder_FetchesMetadataAndCompletes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-web-lt");
        var built = TestTorrents.SingleFile(length: 1_500_000, pieceLength: 32 * 1024, name: "lt-web.bin", announce: null, seed: 17);
        built.WritePayload(temp.Combine("seed"));
        var torrentPath = built.WriteTorrent(temp.Path);
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, temp.Combine("seed"), temp.Path, Ct, settings: LibtorrentSeeder.UtMetadata);
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            MaxPeers = 50,
            ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
        });
        var hash = built.Torrent.InfoHash.Hex;

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/link",
            new { link = $"magnet:?xt=urn:btih:{hash}&dn=lt-web.bin&x.pe=127.0.0.1:{seeder.Port}" }, Ct);
        TorrentSummary? row = null;
        await Wait.UntilAsync(async () => (row = (await web.ListAsync(Ct)).SingleOrDefault(t => t.InfoHash == hash))?.State == "completed",
            TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("completed", row?.State);
        Assert.Equal(built.Payload, await File.ReadAllBytesAsync(web.Downloads.Combine("lt-web.bin"), Ct));
    }
}
