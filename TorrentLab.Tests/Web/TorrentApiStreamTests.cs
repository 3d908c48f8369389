using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>GET/HEAD /api/torrents/{infoHash}/files/{index}/stream</c>: one file over HTTP with byte ranges
/// (RFC 9110 section 14), behind the token, from a torrent downloaded or downloading.</summary>
public class TorrentApiStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Url(WebTestServer web, int file) => $"/api/torrents/{web.InfoHash}/files/{file}/stream";

    private static async Task<HttpResponseMessage> GetAsync(WebTestServer web, int file, string? range = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, Url(web, file));
        if (range is not null) request.Headers.Range = RangeHeaderValue.Parse(range);
        return await web.Http.SendAsync(request, Ct);
    }

    private static async Task<WebTestServer> CompletedAsync(Func<WebServerOptions, WebServerOptions>? configure = null)
    {
        var web = await WebTestServer.StartAsync(Ct, configure: configure);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        return web;
    }

    [Fact]
    public async Task Get_NoRange_IsTheWholeFileWithAcceptRanges()
    {
        await using var web = await CompletedAsync();
        var data = web.Swarm.Built.Files[1].Data;

        using var response = await GetAsync(web, 2);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType); // .bin
        Assert.Equal(data.Length, response.Content.Headers.ContentLength);
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("bytes=100-199", 100, 199)]
    [InlineData("bytes=16000-17000", 16000, 17000)] // across a piece boundary of a.bin
    [InlineData("bytes=-10", -10, -1)]               // the last 10 bytes
    [InlineData("bytes=98000-", 98000, -1)]          // from there to the end
    public async Task Get_OneRange_Is206WithContentRangeAndThoseBytes(string range, int first, int last)
    {
        await using var web = await CompletedAsync();
        var data = web.Swarm.Built.Files[0].Data;
        var from = first < 0 ? data.Length + first : first;
        var to = last < 0 ? data.Length - 1 : last;

        using var response = await GetAsync(web, 1, range);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {from}-{to}/{data.Length}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(data.AsSpan(from, to - from + 1).ToArray(), await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Get_RangePastTheEnd_Is416WithTheLength()
    {
        await using var web = await CompletedAsync();
        var length = web.Swarm.Built.Files[0].Data.Length;

        using var response = await GetAsync(web, 1, $"bytes={length}-{length + 10}");

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal($"bytes */{length}", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Head_IsTheHeadersWithoutTheBody()
    {
        await using var web = await CompletedAsync();

        using var response = await GetAsync(web, 1, method: HttpMethod.Head);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(web.Swarm.Built.Files[0].Data.Length, response.Content.Headers.ContentLength);
        Assert.Equal(["bytes"], response.Headers.AcceptRanges);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("3", 404, "file 3 is out of range")]
    [InlineData("0", 404, "file 0 is out of range")]
    [InlineData("x", 400, "expected a whole number from 1, got 'x'")]
    [InlineData("-1", 400, "expected a whole number from 1, got '-1'")]
    public async Task Get_BadFileNumber_IsRefusedWithWhy(string file, int status, string message)
    {
        await using var web = await CompletedAsync();

        using var response = await web.Http.GetAsync($"/api/torrents/{web.InfoHash}/files/{file}/stream", Ct);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_SkippedFileOrPausedIncompleteTorrent_Is409()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using var paused = await GetAsync(web, 1);
        using var put = await web.Http.PutAsync($"/api/torrents/{web.InfoHash}/files",
            new StringContent("""{"files": [{"index": 2, "priority": "skip"}]}""", Encoding.UTF8, "application/json"), Ct);

        using var skipped = await GetAsync(web, 2);

        Assert.Equal(HttpStatusCode.Conflict, paused.StatusCode);
        Assert.Contains("start it to stream the file", await paused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, skipped.StatusCode);
        Assert.Contains("file 2 is skipped", await skipped.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WithoutTheToken_Is401()
    {
        await using var web = await CompletedAsync(o => o with { RequireToken = true, Token = "s3cret-token" });
        using var anonymous = new HttpClient { BaseAddress = web.Http.BaseAddress };

        using var none = await anonymous.GetAsync(Url(web, 1), Ct);
        using var good = await GetAsync(web, 1); // with the server's token

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    [Trait("Tier", "Slow")]
    public async Task Get_RangeWhileDownloading_WaitsForItsPiecesAndServesThem()
    {
        // A slow mock peer (one block every 50 ms) and the single-peer engine: the range is asked for before its pieces came.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(50));
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "downloading", Ct);
        var data = web.Swarm.Built.Files[1].Data;

        using var response = await GetAsync(web, 2, $"bytes={data.Length - 20_000}-");
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(data.AsSpan(data.Length - 20_000).ToArray(), body);
    }
}
