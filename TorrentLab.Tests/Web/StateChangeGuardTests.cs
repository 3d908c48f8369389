using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using TorrentLab.Tests.Web.QBittorrent;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>No state change through a request another site's page can make: every state-changing route of the three
/// APIs (the REST API under /api, Transmission's RPC and the qBittorrent API), taken from their route tables so that a
/// new route is covered the day it is added, is sent a GET and a form POST with the headers a browser adds to a
/// request from another site's page (the same as <c>curl -H 'Sec-Fetch-Site: cross-site' -H 'Referer:
/// http://evil.test/'</c>), with every parameter that would do damage; each is refused and nothing changes.</summary>
[Trait("Tier", "Slow")] // one server with a completed torrent, about 200 requests
public class StateChangeGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every parameter name the routes read, each with a value that would change or delete something.</summary>
    internal static (string Key, string Value)[] Damage(string hash) =>
    [
        ("hashes", "all"), ("hash", hash), ("deleteFiles", "true"), ("deleteData", "true"), ("category", "evil"),
        ("location", "evil"), ("savepath", "evil"), ("savePath", "evil"), ("urls", "magnet:?xt=urn:btih:" + new string('e', 40)),
        ("limit", "1000"), ("priority", "0"), ("id", "0"), ("origUrl", "x"), ("newUrl", "http://evil.test/announce"),
        ("username", "admin"), ("password", ""), ("start", "true"), ("folder", "evil"), ("paused", "false"),
    ];

    private static void AsCrossSite(HttpRequestMessage request)
    {
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        request.Headers.Referrer = new Uri("http://evil.test/");
    }

    /// <summary>The REST routes that change state: every mapped endpoint under /api with a method other than GET and HEAD.</summary>
    private static List<(string Method, string Path)> RestChanges(WebTestServer web, string hash) =>
    [
        .. web.Server.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true && !e.RoutePattern.RawText.StartsWith("/api/v2/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["POST"]).Where(m => m is not ("GET" or "HEAD")) // reads (RequestGuard.MayChangeState)
                .Select(m => (m, Filled(e.RoutePattern.RawText!, hash)))),
    ];

    /// <summary>A route's path with its parameters given: the torrent's info hash, and any other (a key's id) a value
    /// of its own.</summary>
    private static string Filled(string pattern, string hash) =>
        System.Text.RegularExpressions.Regex.Replace(pattern.Replace("{infoHash}", hash, StringComparison.Ordinal), "\\{[a-zA-Z]+\\}", "a1b2c3d4e5f6");

    /// <summary>Every path of a state change: the REST API's, the qBittorrent API's changes, and the RPC; with
    /// <paramref name="reads"/>, the REST paths that also answer a GET (a read).</summary>
    internal static List<string> ChangingPaths(WebTestServer web, out HashSet<string> reads)
    {
        var hash = web.InfoHash;
        reads = web.Server.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => Filled(e.RoutePattern.RawText!, hash)).ToHashSet(StringComparer.Ordinal);
        return [.. RestChanges(web, hash).Select(r => r.Path)
            .Concat(QBittorrentApi.Routes.Where(r => r.Value.Changes).Select(r => QBittorrentApi.Prefix + "/" + r.Key))
            .Append(TransmissionRpc.Path).Distinct()];
    }

    /// <summary>The server's state as the test sees it: torrents with every setting of theirs, the server's settings,
    /// and the files in the downloads folder (TorrentLab's own folder left out: the ledger is rewritten as it runs).</summary>
    internal static string Snapshot(WebTestServer web)
    {
        var m = web.Server.Torrents;
        var text = new StringBuilder();
        foreach (var t in m.All)
        {
            var s = t.Summary();
            text.AppendLine($"{t.InfoHash} {s.State} '{t.Category}' dl={t.DownloadLimit.BytesPerSecond} ul={t.UploadLimit.BytesPerSecond} folder='{t.SaveFolder}' q={m.Queue.Position(t)}");
            text.AppendLine("  trackers " + string.Join(" | ", t.TrackerTiers.Select(tier => string.Join(",", tier))));
            text.AppendLine("  files " + string.Join(",", t.Files().Select(f => $"{f.Index}:{f.Priority}")));
        }
        text.AppendLine($"limits {m.Limits.Normal} alt {m.Limits.AltSpeed with { Active = null }} settings {m.Settings}");
        text.AppendLine("categories " + string.Join(",", m.Labels.Categories.Select(c => $"{c}:{m.Labels.LimitsOf(c)}")));
        foreach (var file in Directory.EnumerateFiles(web.Downloads.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            if (!file.Contains("/.torrentlab", StringComparison.Ordinal)) text.AppendLine($"{file} {new FileInfo(file).Length}");
        return text.ToString();
    }

    private static async Task<WebTestServer> CompletedAsync()
    {
        var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        return web;
    }

    [Fact]
    public async Task CrossSiteGetAndFormPost_ToEveryStateChangingRoute_AreRefusedAndChangeNothing()
    {
        await using var web = await CompletedAsync();
        web.Server.Torrents.Labels.CreateCategory("a1b2c3d4e5f6"); // the name Filled gives a route's other parameters: a real category
        var hash = web.InfoHash;
        var damage = Damage(hash);
        var query = "?" + string.Join("&", damage.Select(d => $"{d.Key}={Uri.EscapeDataString(d.Value)}"));
        var rest = RestChanges(web, hash);
        var paths = ChangingPaths(web, out var reads);
        var before = Snapshot(web);
        var answers = new List<string>();

        // Each path of a change, by GET (an image, a link) and by a form post; the REST routes also by their own method
        // (a script could send one with curl's headers, though no browser page can).
        // A GET of a REST path that also has a read (GET /api/torrents lists) is that read: 200 and nothing else.
        var sends = new List<(HttpMethod Method, string Path)>();
        foreach (var path in paths)
            sends.AddRange([(HttpMethod.Get, path + query), (HttpMethod.Post, path + query)]);
        sends.AddRange(rest.Where(r => r.Method is not ("GET" or "POST")).Select(r => (new HttpMethod(r.Method), r.Path + query)));
        foreach (var (method, path) in sends)
        {
            using var request = new HttpRequestMessage(method, path);
            if (method != HttpMethod.Get) request.Content = new FormUrlEncodedContent(damage.Select(d => KeyValuePair.Create(d.Key, d.Value)));
            AsCrossSite(request);
            using var response = await web.Http.SendAsync(request, Ct);
            var bare = path[..path.IndexOf('?', StringComparison.Ordinal)];
            // A GET the guard lets through is one that cannot change state: a read, or a method the route refuses.
            // (A REST GET that no route takes is a 405; GET /api/torrents/link is the read of a torrent named "link": 404.)
            var expected = method != HttpMethod.Get ? "403" : reads.Contains(bare) ? "200" : bare.StartsWith("/api/v2/", StringComparison.Ordinal) || bare is TransmissionRpc.Path or "/api/live" ? "403" : "405 404";
            answers.Add($"{method} {bare}: {(int)response.StatusCode} expected {expected}");
        }
        // Transmission's methods, each with the session id a script could have fetched first.
        var sessionId = await TransmissionSessionIdAsync(web);
        foreach (var method in TransmissionRpc.Methods.Where(m => m.Value.Changes).Select(m => m.Key))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, TransmissionRpc.Path)
            {
                Content = new StringContent("{\"method\": \"" + method + "\", \"arguments\": {\"ids\": \"all\", \"delete-local-data\": true, \"filename\": \"magnet:?xt=urn:btih:"
                    + new string('e', 40) + "\", \"location\": \"evil\", \"labels\": [\"evil\"], \"speed-limit-down\": 1}}"),
            };
            request.Headers.Add("X-Transmission-Session-Id", sessionId);
            AsCrossSite(request);
            using var response = await web.Http.SendAsync(request, Ct);
            answers.Add($"rpc {method}: {(int)response.StatusCode} expected 403");
        }

        Assert.True(rest.Count >= 15, $"the REST route table gave only {rest.Count} changes");
        Assert.Contains("auth/login", QBittorrentApi.Routes.Keys);
        // 403 is the guard's answer, given before any handler runs.
        Assert.All(answers, a => Assert.Matches(@": (\d+) expected (\d+ )*\1( \d+)*$", a));
        Assert.Equal(before, Snapshot(web));
        Assert.Single(await web.ListAsync(Ct));
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task QBittorrentGet_OfEveryRouteThatChangesState_Is405AsQBittorrentAnswersAndChangesNothing()
    {
        await using var web = await CompletedAsync();
        var query = "?" + string.Join("&", Damage(web.InfoHash).Select(d => $"{d.Key}={Uri.EscapeDataString(d.Value)}"));
        var before = Snapshot(web);
        var answers = new List<string>();

        // From no page at all (curl, a script): the guard lets it through, the API refuses the method.
        foreach (var route in QBittorrentApi.Routes.Where(r => r.Value.Changes).Select(r => r.Key))
        {
            using var response = await web.Http.GetAsync($"{QBittorrentApi.Prefix}/{route}{query}", Ct);
            answers.Add($"{route}: {(int)response.StatusCode} {response.Content.Headers.Allow} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        Assert.All(answers, a => Assert.EndsWith(": 405 POST Method Not Allowed", a, StringComparison.Ordinal));
        Assert.Equal(before, Snapshot(web));
    }

    [Fact]
    public async Task QBittorrentGet_OfEveryRouteThatReads_IsAnswered()
    {
        await using var web = await CompletedAsync();

        var answers = new List<string>();
        foreach (var route in QBittorrentApi.Routes.Where(r => !r.Value.Changes).Select(r => r.Key))
        {
            using var response = await web.Http.GetAsync($"{QBittorrentApi.Prefix}/{route}?hash={web.InfoHash}&hashes={web.InfoHash}&ruleName=none", Ct);
            answers.Add($"{route}: {(int)response.StatusCode}");
        }

        Assert.All(answers, a => Assert.EndsWith(": 200", a, StringComparison.Ordinal));
        Assert.Contains("torrents/info: 200", answers); // qbittorrent-nox 4.5.2 answers GET on exactly these reads
    }

    [Fact]
    public async Task QBittorrentPost_ParametersInTheQueryString_AreNotRead()
    {
        await using var web = await CompletedAsync();
        using var http = QBittorrentApiTests.Client(web);
        var before = Snapshot(web);

        // qbittorrent-nox 4.5.2 reads a POST's parameters from its body only: this delete names no torrent.
        using var delete = await http.PostAsync($"/api/v2/torrents/delete?hashes=all&deleteFiles=true", new FormUrlEncodedContent([]), Ct);
        using var category = await http.PostAsync("/api/v2/torrents/createCategory?category=evil", new FormUrlEncodedContent([]), Ct);
        // The same delete with its parameters in the body is applied: the parameters themselves were right.
        await QBittorrentApiTests.PostAsync(http, "torrents/delete", ("hashes", "all"), ("deleteFiles", "true"));

        Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, category.StatusCode);
        Assert.NotEqual(before, Snapshot(web));
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task SameOriginFormPost_OfADelete_IsApplied_SoTheRefusalsAboveAreTheGuards()
    {
        await using var web = await CompletedAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/torrents/delete")
        {
            Content = new FormUrlEncodedContent(Damage(web.InfoHash).Select(d => KeyValuePair.Create(d.Key, d.Value))),
        };
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        request.Headers.Add("Origin", web.Server.Url);

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.False(web.FilesMatch());
    }

    [Fact]
    public void RouteTables_DeclareEveryRouteThatQBittorrentAnswersGetTo_AsARead()
    {
        // What qbittorrent-nox 4.5.2 answered to a GET on loopback (200 or 404 for an unknown torrent, not 405), for
        // the routes TorrentLab serves; every other route of the table is a change, and was 405 there.
        string[] gettable = ["app/version", "app/webapiVersion", "app/buildInfo", "app/preferences", "app/defaultSavePath",
            "torrents/info", "torrents/properties", "torrents/files", "torrents/trackers", "torrents/categories", "torrents/tags",
            "transfer/info", "transfer/downloadLimit", "transfer/uploadLimit", "sync/maindata", "torrents/webseeds", "torrents/pieceStates",
            "torrents/pieceHashes", "sync/torrentPeers", "transfer/speedLimitsMode", "torrents/downloadLimit", "torrents/uploadLimit", "torrents/export",
            "rss/items", "rss/rules", "rss/matchingArticles"];

        Assert.Equal(gettable.Order(StringComparer.Ordinal), QBittorrentApi.Routes.Where(r => !r.Value.Changes).Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.True(TransmissionRpc.Methods["torrent-remove"].Changes);
        Assert.False(TransmissionRpc.Methods["torrent-get"].Changes);
    }

    private static async Task<string> TransmissionSessionIdAsync(WebTestServer web)
    {
        using var response = await web.Http.PostAsync(TransmissionRpc.Path, new StringContent("{}"), Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        return response.Headers.GetValues("X-Transmission-Session-Id").Single();
    }
}
