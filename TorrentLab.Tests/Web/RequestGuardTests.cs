using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>What a page on another site could make a browser send, replayed with the headers a browser sends:
/// cross-site posts (fetch no-cors, HTML forms), DNS rebinding (a foreign Host) and cross-site WebSocket hijacking.</summary>
[Trait("Tier", "Slow")]
public class RequestGuardTests
{
    private const string Attacker = "http://attacker.example";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The headers Chromium sends on a request a page of <paramref name="origin"/> makes to us.</summary>
    private static void AsBrowserFrom(HttpRequestMessage request, string origin, string site, string mode = "no-cors")
    {
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Sec-Fetch-Site", site);
        request.Headers.Add("Sec-Fetch-Mode", mode);
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error;

    [Fact]
    public async Task CrossSiteFetch_NoCorsMultipartUpload_Is403AndAddsNothing()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(web.Swarm.Built.TorrentBytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
        form.Add(file, "torrent", "webtest.torrent");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/torrents?start=true") { Content = form };
        AsBrowserFrom(request, Attacker, "cross-site");

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("another site", await ErrorOf(response));
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task CrossSiteFormPost_TextPlainTorrentBody_Is403AndAddsNothing()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        // An HTML form with enctype=text/plain sends "name=value\r\n": the torrent's bytes split at an '='.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/torrents?start=true")
        {
            Content = new ByteArrayContent([.. web.Swarm.Built.TorrentBytes, .. "=\r\n"u8]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        AsBrowserFrom(request, Attacker, "cross-site", mode: "navigate");

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Theory]
    [InlineData("http://localhost:1", null)]       // another port is another origin, though the same machine
    [InlineData(null, "cross-site")]                // a browser that sends only Sec-Fetch-Site
    [InlineData(null, "same-site")]                 // a sibling origin is not this one either
    [InlineData("null", null)]                      // a sandboxed frame or a file:// page
    public async Task CrossOriginStart_OfAPausedTorrent_Is403AndItStaysPaused(string? origin, string? site)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/torrents/{web.InfoHash}/start");
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (site is not null) request.Headers.Add("Sec-Fetch-Site", site);

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("paused", Assert.Single(await web.ListAsync(Ct)).State);
    }

    [Fact]
    public async Task SameOriginPage_StartWithItsOwnOrigin_IsAccepted()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/torrents/{web.InfoHash}/start");
        AsBrowserFrom(request, web.Server.Url, "same-origin", mode: "cors");

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await web.WaitForAsync(t => t.State == "completed", Ct);
    }

    [Fact]
    public async Task DnsRebinding_ForeignHost_ListAndDeleteWithData_Are403AndNothingIsDeleted()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var port = new Uri(web.Server.Url).Port;

        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/torrents");
        list.Headers.Host = $"attacker.example:{port}";
        using var listed = await web.Http.SendAsync(list, Ct);
        // The rebound page is same-origin with itself, so its Origin matches its Host: only the Host gives it away.
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/torrents/{web.InfoHash}?deleteData=true");
        delete.Headers.Host = $"attacker.example:{port}";
        delete.Headers.Add("Origin", $"http://attacker.example:{port}");
        using var deleted = await web.Http.SendAsync(delete, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, listed.StatusCode);
        Assert.Contains("attacker.example", await ErrorOf(listed));
        Assert.Equal(HttpStatusCode.Forbidden, deleted.StatusCode);
        Assert.Single(await web.ListAsync(Ct));
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task AllowedHost_GivenInTheOptions_IsAnswered()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { AllowedHosts = ["torrents.lan"] });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/torrents");
        request.Headers.Host = $"torrents.lan:{new Uri(web.Server.Url).Port}";

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:8080", true)]
    [InlineData("127.0.0.1", "localhost:8080", true)]
    [InlineData("127.0.0.1", "LocalHost", true)]           // names are case-insensitive
    [InlineData("127.0.0.1", "[::1]:8080", true)]
    [InlineData("127.0.0.1", "attacker.example:8080", false)]
    [InlineData("127.0.0.1", "localhost.attacker.example", false)]
    [InlineData("127.0.0.1", "127.1:8080", false)]          // a form no browser writes
    [InlineData("127.0.0.1", "192.168.1.20:8080", false)]   // an address the server is not bound to
    [InlineData("192.168.1.20", "192.168.1.20:8080", true)] // the bound address
    [InlineData("0.0.0.0", "192.168.1.20:8080", true)]      // every interface: any address literal
    [InlineData("0.0.0.0", "nas.example:8080", false)]      // but still no name that was not given
    [InlineData("127.0.0.1", "", false)]                    // HTTP/1.0 without a Host
    public void HostRefusal_ForBindAndHost_AcceptsOnlyTheServersNames(string bind, string host, bool accepted)
    {
        var guard = new RequestGuard(new WebServerOptions { Downloads = "d", Host = bind, Token = "t" });

        var refusal = guard.HostRefusal(host.Length == 0 ? default : new HostString(host));

        Assert.Equal(accepted, refusal is null);
    }

    [Theory]
    [InlineData(null, null, null, true)]                                  // curl, a script: no page involved
    [InlineData("http://127.0.0.1:8080", "same-origin", null, true)]
    [InlineData(null, "none", null, true)]                                // typed in the address bar
    [InlineData(null, null, "http://127.0.0.1:8080/", true)]              // an old browser: Referer only
    [InlineData("http://127.0.0.1:8080", "cross-site", null, false)]      // the two disagree: refuse
    [InlineData("http://127.0.0.1:9090", null, null, false)]
    [InlineData("https://127.0.0.1:8080.attacker.example", null, null, false)]
    [InlineData(null, null, "http://attacker.example/page", false)]
    [InlineData("chrome-extension://abc", null, null, false)]
    public void OriginRefusal_ForHeaders_AcceptsOnlyThisOriginOrNoPage(string? origin, string? site, string? referer, bool accepted)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Host = new HostString("127.0.0.1:8080");
        if (origin is not null) context.Request.Headers.Origin = origin;
        if (site is not null) context.Request.Headers["Sec-Fetch-Site"] = site;
        if (referer is not null) context.Request.Headers.Referer = referer;

        Assert.Equal(accepted, RequestGuard.OriginRefusal(context.Request) is null);
    }

    [Fact]
    public async Task Page_IsServedWithFrameAncestorsNoneAndNoSniff()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync("/", Ct);

        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task LiveHandshake_FromAnotherSite_IsRefusedAndFromThePageIsAccepted()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => LiveHubTests.ConnectAsync(web, origin: Attacker));
        using var socket = await LiveHubTests.ConnectAsync(web, origin: web.Server.Url);
        var first = await LiveHubTests.ReceiveAsync(socket, Ct);

        Assert.Contains("403", refused.Message);
        Assert.Equal("torrents", first.GetProperty("type").GetString());
    }
}
