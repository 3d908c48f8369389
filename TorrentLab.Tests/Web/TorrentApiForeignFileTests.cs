using System.Net;
using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A user's file where a torrent added through the API would write: 409, nothing touched, and "remove with
/// data" never deletes it (the issue's vacation.jpg, through the web API).</summary>
public class TorrentApiForeignFileTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Photo = [.. Enumerable.Range(0, 5_000).Select(i => (byte)(i * 13))];

    private static string PlacePhoto(WebTestServer web)
    {
        var path = web.Downloads.Combine("webtest", "a.bin"); // where the torrent's first file goes
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Photo);
        return path;
    }

    [Fact]
    public async Task AddAndStart_UsersFileInTheWay_Is409AndTheFileIsUntouched()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var photo = PlacePhoto(web);

        using var response = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: true, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);
        Assert.Equal("'webtest/a.bin' exists and is not this torrent's data; move it away or pass --overwrite", error!.Error);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.Equal(Photo, File.ReadAllBytes(photo));
    }

    [Fact]
    public async Task AddedPaused_StartIs409_RemoveWithDataLeavesTheUsersFile()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var photo = PlacePhoto(web);
        await web.AddAsync(start: false, Ct);

        using var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);
        using var remove = await web.Http.DeleteAsync($"/api/torrents/{web.InfoHash}?deleteData=true", Ct);

        Assert.Equal(HttpStatusCode.Conflict, start.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal(Photo, File.ReadAllBytes(photo));
    }
}
