using System.Net;
using Qb = TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>The qBittorrent API's save paths and trackers: torrents/add's savepath, torrents/setLocation (moving the
/// data), and torrents/addTrackers, removeTrackers and editTracker, each checked through the REST API.</summary>
[Trait("Tier", "Slow")]
public class QBittorrentApiPlaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddWithASavePathInside_ThenSetLocation_MovesTheDataWhereAsked()
    {
        await using var web = await Qb.StartAsync();
        using var http = Qb.Client(web);
        await Qb.PostAsync(http, "auth/login", ("username", "admin"), ("password", Qb.Token));
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent" },
            { new StringContent("incoming"), "savepath" },
        };

        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);
        await Qb.PostAsync(http, "torrents/setLocation", ("hashes", web.InfoHash), ("location", web.Downloads.Combine("kept")));
        var moved = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("incoming", done.Folder);
        Assert.Equal("kept", moved.Folder);
        Assert.True(File.Exists(web.Downloads.Combine("kept/webtest/a.bin")));
        Assert.False(Directory.Exists(web.Downloads.Combine("incoming/webtest")));
    }

    [Fact]
    public async Task SetLocationOutside_Is400AndMovesNothing()
    {
        await using var web = await Qb.StartAsync();
        using var http = Qb.Client(web);
        await Qb.PostAsync(http, "auth/login", ("username", "admin"), ("password", Qb.Token));
        await web.AddAsync(start: false, Ct);

        using var response = await http.PostAsync("/api/v2/torrents/setLocation",
            new FormUrlEncodedContent([KeyValuePair.Create("hashes", web.InfoHash), KeyValuePair.Create("location", "/root")]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("", Assert.Single(await web.ListAsync(Ct)).Folder);
    }

    [Fact]
    public async Task AddEditRemoveTrackers_EditTheTorrentsList()
    {
        await using var web = await Qb.StartAsync();
        using var http = Qb.Client(web);
        await Qb.PostAsync(http, "auth/login", ("username", "admin"), ("password", Qb.Token));
        await web.AddAsync(start: false, Ct);
        var original = web.Swarm.Tracker.HttpAnnounceUrl;

        await Qb.PostAsync(http, "torrents/addTrackers", ("hash", web.InfoHash), ("urls", "udp://one.example:6969/announce\nhttp://two.example/announce"));
        await Qb.PostAsync(http, "torrents/editTracker", ("hash", web.InfoHash), ("origUrl", "http://two.example/announce"), ("newUrl", "https://two.example/announce"));
        await Qb.PostAsync(http, "torrents/removeTrackers", ("hash", web.InfoHash), ("urls", original));
        using var missing = await http.PostAsync("/api/v2/torrents/editTracker", new FormUrlEncodedContent(
            [KeyValuePair.Create("hash", web.InfoHash), KeyValuePair.Create("origUrl", "http://gone.example/"), KeyValuePair.Create("newUrl", "http://new.example/")]), Ct);
        var details = await web.DetailsAsync(Ct);

        Assert.Equal(["udp://one.example:6969/announce", "https://two.example/announce"], details.Trackers.Select(t => t.Url));
        Assert.Equal(HttpStatusCode.Conflict, missing.StatusCode);
    }
}
