using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>serve --base-path /torrents</c> behind a real nginx that serves it at that sub-path: the page, the REST
/// API, the WebSocket, both daemons' APIs and the metrics, each reached only through the proxy's sub-path.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BasePathInteropTests
{
    private const string Token = "proxy-s3cret";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BehindNginx_AtASubPath_EveryApiAnswersWithTheToken()
    {
        using var folder = new TempFolder("torrentlab-nginx");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { BasePath = "/torrents", RequireToken = true, Token = Token });
        using var nginx = NginxProxy.Start(folder.Path, "/torrents", new Uri(web.Server.Url).Authority);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(nginx.Url("/torrents/")), Timeout = TimeSpan.FromSeconds(20),
        };

        // The page, and its files named relative to it.
        using (var bare = await http.GetAsync(nginx.Url("/torrents"), Ct))
            Assert.Equal("/torrents/", bare.Headers.Location?.AbsolutePath ?? bare.Headers.Location?.OriginalString);
        var page = await http.GetStringAsync("", Ct);
        Assert.Contains("<script src=\"app.js\"", page, StringComparison.Ordinal);
        Assert.Contains("api(", await http.GetStringAsync("app.js", Ct), StringComparison.Ordinal);

        // The REST API: add the torrent through the proxy and watch it complete.
        using (var form = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(web.Swarm.Built.TorrentBytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
            form.Add(file, "torrent", "webtest.torrent");
            using var add = new HttpRequestMessage(HttpMethod.Post, "api/torrents?start=true") { Content = form };
            add.Headers.Authorization = new("Bearer", Token);
            using var added = await http.SendAsync(add, Ct);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        using (var anonymous = await http.GetAsync("api/torrents", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        // The WebSocket, upgraded by the proxy.
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{nginx.Port}/torrents/api/live?token={Token}"), Ct);
            var buffer = new byte[64 * 1024];
            var first = await socket.ReceiveAsync(buffer, Ct);
            Assert.Contains(web.InfoHash, Encoding.UTF8.GetString(buffer, 0, first.Count), StringComparison.Ordinal);
        }

        // qBittorrent's API: the login cookie is the sub-path's.
        using (var login = await http.PostAsync("api/v2/auth/login", new FormUrlEncodedContent([new("username", "admin"), new("password", Token)]), Ct))
        {
            Assert.Equal("Ok.", await login.Content.ReadAsStringAsync(Ct));
            var cookie = login.Headers.GetValues("Set-Cookie").Single();
            Assert.Contains("path=/torrents", cookie, StringComparison.OrdinalIgnoreCase);
            using var info = new HttpRequestMessage(HttpMethod.Get, "api/v2/torrents/info");
            info.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var listed = await http.SendAsync(info, Ct);
            Assert.Contains(web.InfoHash, await listed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        // Transmission's RPC: the 409 handshake, then torrent-get.
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Token)));
        string? session = null;
        JsonElement answer = default;
        for (var attempt = 0; attempt < 2 && answer.ValueKind == JsonValueKind.Undefined; attempt++)
        {
            using var rpc = new HttpRequestMessage(HttpMethod.Post, "transmission/rpc")
            {
                Content = JsonContent.Create(new { method = "torrent-get", arguments = new { fields = (string[])["hashString", "percentDone"] } }),
            };
            rpc.Headers.Authorization = basic;
            if (session is not null) rpc.Headers.Add("X-Transmission-Session-Id", session);
            using var response = await http.SendAsync(rpc, Ct);
            if (response.StatusCode == HttpStatusCode.Conflict) { session = response.Headers.GetValues("X-Transmission-Session-Id").Single(); continue; }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
        }
        var row = Assert.Single(answer.GetProperty("arguments").GetProperty("torrents").EnumerateArray());
        Assert.Equal(web.InfoHash, row.GetProperty("hashString").GetString());
        Assert.Equal(1, row.GetProperty("percentDone").GetDouble());

        // The metrics.
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "metrics");
        scrape.Headers.Authorization = new("Bearer", Token);
        using var metrics = await http.SendAsync(scrape, Ct);
        Assert.Contains($"torrentlab_torrent_progress_ratio{{info_hash=\"{web.InfoHash}\",name=\"webtest\"}} 1", await metrics.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindNginx_AtASubPath_ThePageGoesLive_AddsATorrent_AndShowsItComplete()
    {
        HeadlessChromium.Require();
        using var folder = new TempFolder("torrentlab-nginx-page");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { BasePath = "/torrents" });
        using var nginx = NginxProxy.Start(folder.Path, "/torrents", new Uri(web.Server.Url).Authority);
        var torrentPath = web.Swarm.Built.WriteTorrent(folder.Path, "webtest.torrent");

        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync();
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var outside = new List<string>();
        page.Request += (_, request) => { if (!request.Url.StartsWith(nginx.Url("/torrents/"), StringComparison.Ordinal)) outside.Add(request.Url); };
        await page.GotoAsync(nginx.Url("/torrents/"));
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live"); // the WebSocket, through the proxy

        await page.Locator("#file-input").SetInputFilesAsync(torrentPath);
        var row = page.Locator($"tr[data-hash='{web.InfoHash}']");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });

        Assert.Empty(outside); // every file, call and socket of the page went to the sub-path
    }
}
