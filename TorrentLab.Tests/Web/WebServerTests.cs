using System.Net;
using System.Net.Http.Json;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>Every refusal of the API answers JSON <c>{"error": ...}</c> with its status, never an empty body.</summary>
public class WebServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("POST", "/api/torrents?start=yes", HttpStatusCode.BadRequest, "start")]   // a query value that is no boolean
    [InlineData("DELETE", "/api/torrents/{hash}?deleteData=1", HttpStatusCode.BadRequest, "deleteData")]
    [InlineData("GET", "/api/torrents/{hash}/trace?after=x", HttpStatusCode.BadRequest, "after")]
    [InlineData("GET", "/api/nothing-here", HttpStatusCode.NotFound, "404")]
    [InlineData("PUT", "/api/torrents", HttpStatusCode.MethodNotAllowed, "405")]
    [InlineData("GET", "/api/torrents/..%2F..%2Fetc%2Fpasswd", HttpStatusCode.NotFound, "not an info hash")]
    public async Task Request_TheApiRefuses_AnswersJsonWithTheStatus(string method, string path, HttpStatusCode status, string mentioned)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{hash}", web.InfoHash, StringComparison.Ordinal));

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentioned, (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Equal("paused", Assert.Single(await web.ListAsync(Ct)).State);
    }

    [Fact]
    public async Task Request_HittingABug_Answers500AsJsonAndLogsTheWholeException()
    {
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            Log = log.Enqueue,
            ConfigureDownload = _ => throw new InvalidOperationException("a bug in the options"),
        });
        await web.AddAsync(start: false, Ct);

        using var response = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("internal error (InvalidOperationException); the server's log has the details",
            (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Contains(log, line => line.StartsWith($"error: POST /api/torrents/{web.InfoHash}/start: System.InvalidOperationException: a bug in the options", StringComparison.Ordinal));
    }
}
