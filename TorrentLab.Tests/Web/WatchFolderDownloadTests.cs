using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The watch folder end to end: a .torrent (or a .magnet file) dropped into serve's watch folder is added,
/// downloads from a seeder on loopback, and the file is renamed .added.</summary>
[Trait("Tier", "Slow")]
public class WatchFolderDownloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Func<WebServerOptions, WebServerOptions> Watching(string folder) => o => WebTestServer.SwarmEngine(o) with { WatchFolder = folder };

    [Fact]
    public async Task ADroppedTorrent_DownloadsFromTheSeeder_AndIsRenamedAdded()
    {
        using var watch = new TempFolder("torrentlab-watch");
        await using var web = await WebTestServer.StartAsync(Ct, configure: Watching(watch.Path));
        // Written elsewhere and moved in, as a browser finishes a download; the poll waits for it to keep still anyway.
        var temp = watch.Combine(".webtest.part");
        await File.WriteAllBytesAsync(temp, web.Swarm.Built.TorrentBytes, Ct);
        File.Move(temp, watch.Combine("webtest.torrent"));

        var done = await web.WaitForAsync(t => t.State == "completed", Ct, TimeSpan.FromSeconds(90));

        Assert.Equal(1.0, done.Progress);
        Assert.True(web.FilesMatch());
        await WaitUntilAsync(() => File.Exists(watch.Combine("webtest.torrent.added")), "the file is renamed .added");
        Assert.False(File.Exists(watch.Combine("webtest.torrent")));
        Assert.Equal(watch.Path, (await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct))!.WatchFolder);
    }

    [Fact]
    public async Task AMagnetFile_PresentAtStart_IsAddedFromItsLink_AndDownloads()
    {
        using var watch = new TempFolder("torrentlab-watch");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Watching(watch.Path)(o) with { WatchFolder = null },
            peer: p => p with { ServeMetadata = true });
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&tr={Uri.EscapeDataString(web.Swarm.Tracker.HttpAnnounceUrl)}&x.pe={web.Swarm.EndPointOf(0)}";
        await File.WriteAllTextAsync(watch.Combine("webtest.magnet"), magnet + "\n", Ct);

        await web.RestartAsync(Ct, configure: Watching(watch.Path)); // the file is there before the server starts
        var done = await web.WaitForAsync(t => t.State == "completed", Ct, TimeSpan.FromSeconds(90));

        Assert.True(web.FilesMatch());
        await WaitUntilAsync(() => File.Exists(watch.Combine("webtest.magnet.added")), "the file is renamed .added");
    }

    [Fact]
    public async Task AFileThatIsNoTorrent_IsRenamedInvalid_AndNothingIsAdded()
    {
        using var watch = new TempFolder("torrentlab-watch");
        await using var web = await WebTestServer.StartAsync(Ct, configure: Watching(watch.Path));

        await File.WriteAllTextAsync(watch.Combine("broken.torrent"), "d8:announce", Ct);

        await WaitUntilAsync(() => File.Exists(watch.Combine("broken.torrent.invalid")), "the file is renamed .invalid");
        Assert.Empty(await web.ListAsync(Ct));
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) =>
        Wait.UntilAsync(condition, TimeSpan.FromSeconds(60), $"never happened: {what}", Ct);
}
