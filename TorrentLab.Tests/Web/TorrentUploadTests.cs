using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>What an add request may carry: the documented content types, exactly one bencoded dictionary, and a path
/// whose errors never show the server's folders.</summary>
public class TorrentUploadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> PostAsync(WebTestServer web, byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await web.Http.PostAsync("/api/torrents?start=false", content, Ct);
    }

    [Theory]
    [InlineData("text/plain")]                          // what an HTML form can post anywhere without asking
    [InlineData("application/x-www-form-urlencoded")]   // the other one
    [InlineData(null)]
    public async Task Add_TorrentBytesWithAnUndocumentedContentType_Is415AndAddsNothing(string? contentType)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await PostAsync(web, web.Swarm.Built.TorrentBytes, contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/x-bittorrent", (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Theory]
    [InlineData("application/x-bittorrent")]
    [InlineData("application/octet-stream")]
    [InlineData("application/x-bittorrent; charset=binary")] // parameters do not change the type
    public async Task Add_TorrentBytesWithADocumentedContentType_IsAdded(string contentType)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await PostAsync(web, web.Swarm.Built.TorrentBytes, contentType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("=\r\n")] // a text/plain form's tail
    [InlineData("\n")]
    [InlineData("d1:ai1ee")]
    public async Task Add_BytesAfterTheTorrentsDictionary_Is400WithWhereItEnds(string tail)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var torrent = web.Swarm.Built.TorrentBytes;

        using var response = await PostAsync(web, [.. torrent, .. Encoding.ASCII.GetBytes(tail)], "application/x-bittorrent");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"not a .torrent: {tail.Length} byte(s) after the torrent's dictionary, which ends at byte {torrent.Length}",
            (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task Add_PathThatDoesNotExist_Is404NamingTheFileButNotItsFolder()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var elsewhere = new TempFolder();

        using var response = await web.Http.PostAsJsonAsync("/api/torrents", new { path = elsewhere.Combine("missing.torrent") }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error;
        Assert.Equal("no such file: 'missing.torrent'", error);
    }

    [Theory]
    [InlineData("/tmp/a\0.torrent")]
    [InlineData("/tmp/a\n.torrent")]
    public async Task Add_PathWithAControlCharacter_Is400(string path)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents", new { path }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("control character", (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
    }
}
