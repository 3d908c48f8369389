using System.Net;
using System.Net.Http.Json;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A file shared through <c>POST /api/shares</c> on a server that does not seed downloads (serve's default)
/// reaches a real peer: python3-libtorrent, given the .torrent from <c>GET /api/torrents/{hash}/torrent</c>, finds the
/// server through the tracker named in the share and downloads every byte from it.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiSharesInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("v1", true)]      // a plain file uploaded, as the page sends it
    [InlineData("hybrid", true)]
    [InlineData("v2", false)]     // a file already in the downloads folder, named by its path
    public async Task SharedPlainFile_ReachesALibtorrentPeer(string format, bool upload)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-share-lt");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await using var web = await WebTestServer.StartAsync(Ct, configure: TorrentApiSharesTests.Sharing);
        var data = TestTorrents.Payload(3_000_000, seed: 21);

        HttpResponseMessage response;
        if (upload)
        {
            using var form = TorrentApiSharesTests.Form([("tracker", tracker.HttpAnnounceUrl), ("format", format)], ("shared.bin", data));
            response = await web.Http.PostAsync("/api/shares", form, Ct);
        }
        else
        {
            await File.WriteAllBytesAsync(web.Downloads.Combine("shared.bin"), data, Ct);
            response = await web.Http.PostAsJsonAsync("/api/shares", new { path = "shared.bin", trackers = new[] { new[] { tracker.HttpAnnounceUrl } }, format }, Ct);
        }
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
            var shared = (await response.Content.ReadFromJsonAsync<ShareResult>(Ct))!;
            var torrentPath = folder.Combine("shared.bin.torrent");
            await File.WriteAllBytesAsync(torrentPath, await web.Http.GetByteArrayAsync(shared.TorrentUrl, Ct), Ct);
            var infoHash = Torrent.Load(torrentPath).InfoHash;
            // The server seeds at once: it is at the tracker before libtorrent asks (at most 30 s on a loaded machine).
            await Wait.UntilAsync(() => tracker.GetSwarm(infoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);
            Assert.True(tracker.GetSwarm(infoHash).Peers.Count > 0, "the shared torrent never announced to its tracker");

            using var lt = InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine("lt"), folder.Path);
            var (code, output) = await lt.WaitAsync(InteropProcess.DownloaderPatience, Ct);

            Assert.True(code == 0, $"libtorrent: {output}");
            Assert.Equal(data, await File.ReadAllBytesAsync(folder.Combine("lt", "shared.bin"), Ct));
            var row = Assert.Single(await web.ListAsync(Ct));
            Assert.Equal("seeding", row.State);
            Assert.False(web.Server.Torrents.Settings.SeedAfterDownload);
        }
    }
}
