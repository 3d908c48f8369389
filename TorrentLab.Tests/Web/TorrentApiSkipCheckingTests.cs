using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.QBittorrent;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>An add that skips the hash check (<c>skipChecking</c>, qBittorrent's <c>skip_checking</c>): data at full
/// size is listed complete on the user's word, and data with a file missing is hashed as usual.</summary>
public class TorrentApiSkipCheckingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Files of the torrent's sizes holding other bytes (not zeros, which a check adopts as preallocated): a
    /// hash check finds no piece in them, so a torrent listed complete over them was not hashed.</summary>
    private static void PlaceLookalikes(WebTestServer web)
    {
        foreach (var file in web.Swarm.Built.Files)
        {
            var path = web.Downloads.Combine(file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Enumerable.Repeat((byte)0x5A, file.Data.Length).ToArray());
        }
    }

    private static Task<HttpResponseMessage> AddAsync(WebTestServer web, string query) =>
        web.UploadAsync(web.Swarm.Built.TorrentBytes, query, Ct);

    [Fact]
    public async Task Add_SkipChecking_QBittorrentCountsNothingDownloadedThisSession_ButAllCompleted()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        PlaceLookalikes(web);
        using var added = await AddAsync(web, "start=false&skipChecking=true");

        var row = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(web.Swarm.Built.Torrent.PayloadLength, row.GetProperty("completed").GetInt64());
        Assert.Equal(0, row.GetProperty("downloaded_session").GetInt64()); // the data was there: nothing came from peers
        Assert.Equal(0, row.GetProperty("num_complete").GetInt64());      // no tracker answer yet, as qbittorrent-nox 4.5.2
    }

    [Fact]
    public async Task Add_SkipChecking_FilesAtFullSize_IsListedCompleteWithoutHashing()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        PlaceLookalikes(web);

        using var response = await AddAsync(web, "start=false&skipChecking=true");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = (await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct))!;
        Assert.Equal(web.Swarm.Built.Torrent.PieceCount, row.PiecesDone);
        Assert.Equal("completed", row.State);
    }

    [Fact]
    public async Task Add_SkipChecking_AFileMissing_IsHashedAsUsual()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var first = web.Swarm.Built.Files[0]; // the second file is not there
        Directory.CreateDirectory(Path.GetDirectoryName(web.Downloads.Combine(first.Path))!);
        File.WriteAllBytes(web.Downloads.Combine(first.Path), first.Data);

        using var response = await AddAsync(web, "start=false&skipChecking=true");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = (await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct))!;
        Assert.Equal(6, row.PiecesDone); // the first file's six whole pieces verify; the seventh needs the second file
        Assert.Equal("paused", row.State);
    }

    [Fact]
    public async Task Add_WithoutSkipChecking_TheSameLookalikes_AreRefusedAsNotTheTorrentsData()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        PlaceLookalikes(web);

        using var response = await AddAsync(web, "start=true");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode); // hashed: no piece is there, and the files are not ours
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task QBittorrentAdd_SkipChecking_ListsTheTorrentCompleteAtOnce()
    {
        await using var web = await QBittorrentApiTests.StartAsync();
        using var http = QBittorrentApiTests.Client(web);
        await QBittorrentApiTests.PostAsync(http, "auth/login", ("username", "admin"), ("password", QBittorrentApiTests.Token));
        PlaceLookalikes(web);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent" },
            { new StringContent("true"), "paused" },
            { new StringContent("true"), "skip_checking" },
        };

        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement;

        Assert.Equal("Ok.", await added.Content.ReadAsStringAsync(Ct));
        var torrent = Assert.Single(info.EnumerateArray());
        Assert.Equal("pausedUP", torrent.GetProperty("state").GetString());
        Assert.Equal(1.0, torrent.GetProperty("progress").GetDouble());
    }
}
