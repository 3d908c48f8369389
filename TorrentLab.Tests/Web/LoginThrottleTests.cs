using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.QBittorrent;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The login ban, as qBittorrent's (5 failures, then 403 for 3600 s, the right password included), on a manual
/// clock; and the security headers on every answer, refusals included.</summary>
public class LoginThrottleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.9");

    [Fact]
    public void Throttle_FifthFailureBans_UntilTheDurationPasses_ThenCountsAfresh()
    {
        var clock = new ManualClock();
        var log = new List<string>();
        var throttle = new LoginThrottle(5, TimeSpan.FromSeconds(3600), clock, log.Add);

        for (var i = 0; i < 4; i++) throttle.Failed(Attacker, "test");
        var afterFour = throttle.IsBanned(Attacker, "test");
        throttle.Failed(Attacker, "test");
        var afterFive = throttle.IsBanned(Attacker, "test");
        var otherAddress = throttle.IsBanned(IPAddress.Loopback, "test");
        clock.Advance(TimeSpan.FromSeconds(3599));
        var nearTheEnd = throttle.IsBanned(Attacker, "test");
        clock.Advance(TimeSpan.FromSeconds(1));
        var atTheEnd = throttle.IsBanned(Attacker, "test");
        throttle.Failed(Attacker, "test");
        var oneFreshFailure = throttle.IsBanned(Attacker, "test");

        Assert.False(afterFour);
        Assert.True(afterFive);
        Assert.False(otherAddress);
        Assert.True(nearTheEnd);
        Assert.False(atTheEnd);
        Assert.False(oneFreshFailure);
        Assert.Contains(log, l => l.Contains("127.0.0.9", StringComparison.Ordinal) && l.Contains("banned until", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 50, false)]  // 0: never bans (qBittorrent's 0 too)
    [InlineData(1, 1, true)]
    [InlineData(3, 2, false)]
    [InlineData(3, 3, true)]
    public void Throttle_CountIsConfigurable(int max, int failures, bool banned)
    {
        var throttle = new LoginThrottle(max, TimeSpan.FromMinutes(1), new ManualClock(), null);

        for (var i = 0; i < failures; i++) throttle.Failed(Attacker, "test");

        Assert.Equal(banned, throttle.IsBanned(Attacker, "test"));
    }

    [Fact]
    public void Throttle_ASuccessForgetsTheFailures_AndAnOldFailureIsForgotten()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(3, TimeSpan.FromMinutes(10), clock, null);

        throttle.Failed(Attacker, "test");
        throttle.Failed(Attacker, "test");
        throttle.Succeeded(Attacker);
        throttle.Failed(Attacker, "test");
        throttle.Failed(Attacker, "test");
        clock.Advance(TimeSpan.FromMinutes(10));
        throttle.Failed(Attacker, "test");

        Assert.False(throttle.IsBanned(Attacker, "test"));
    }

    [Trait("Tier", "Slow")]
    [Fact]
    public async Task QBittorrentLogin_SixthWrongPasswordIsRefusedAndLogged_RightOneTooUntilTheBanEnds()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            Token = QBittorrentApiTests.Token, RequireToken = true, Clock = clock, Log = log.Enqueue,
        });
        using var http = QBittorrentApiTests.Client(web);

        var answers = new List<string>();
        for (var i = 0; i < 6; i++) answers.Add(await LoginAsync(http, "wrong"));
        var right = await LoginAsync(http, QBittorrentApiTests.Token);
        using var cookieless = await http.GetAsync("/api/v2/app/version", Ct);
        clock.Advance(TimeSpan.FromSeconds(3600));
        var afterTheBan = await LoginAsync(http, QBittorrentApiTests.Token);

        Assert.Equal(Enumerable.Repeat("200 Fails.", 5), answers.Take(5));
        Assert.Equal($"403 {LoginThrottle.BannedText}", answers[5]); // qbittorrent-nox 4.5.2's answer, word for word
        Assert.Equal($"403 {LoginThrottle.BannedText}", right);
        Assert.Equal(HttpStatusCode.Forbidden, cookieless.StatusCode);
        Assert.Equal("200 Ok.", afterTheBan);
        Assert.Contains(log, l => l.Contains("refused a login from 127.0.0.1", StringComparison.Ordinal) && l.Contains("banned until", StringComparison.Ordinal));
        Assert.Equal(7, log.Count(l => l.Contains("(qBittorrent API", StringComparison.Ordinal))); // 5 failures, the 6th and the right one refused
    }

    [Trait("Tier", "Slow")]
    [Fact]
    public async Task TokenAndBasicPassword_OnRestAndRpc_ShareTheBan_AndItsCountIsConfigurable()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            Token = "right", RequireToken = true, MaxLoginFailures = 2, LoginBanDuration = TimeSpan.FromMinutes(5),
        });
        using var http = new HttpClient { BaseAddress = web.Http.BaseAddress };

        var first = await SendAsync(http, "/api/torrents", new AuthenticationHeaderValue("Bearer", "wrong"));
        var second = await SendAsync(http, "/transmission/rpc", new AuthenticationHeaderValue("Basic", Convert.ToBase64String("u:wrong"u8)));
        var rightRest = await SendAsync(http, "/api/torrents", new AuthenticationHeaderValue("Bearer", "right"));
        var rightRpc = await SendAsync(http, "/transmission/rpc", new AuthenticationHeaderValue("Basic", Convert.ToBase64String("u:right"u8)));
        var rightQb = await SendAsync(http, "/api/v2/app/version", new AuthenticationHeaderValue("Bearer", "right"));

        Assert.Equal(401, first);
        Assert.Equal(401, second);
        Assert.Equal(403, rightRest);
        Assert.Equal(403, rightRpc);
        Assert.Equal(403, rightQb);
    }

    [Trait("Tier", "Slow")]
    [Fact]
    public async Task NoCredentialAtAll_IsNotAFailedLogin()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Token = "right", RequireToken = true });
        using var http = new HttpClient { BaseAddress = web.Http.BaseAddress };

        for (var i = 0; i < 10; i++) Assert.Equal(401, await SendAsync(http, "/api/torrents", null));
        var right = await SendAsync(http, "/api/torrents", new AuthenticationHeaderValue("Bearer", "right"));

        Assert.Equal(200, right);
    }

    /// <summary>Every answer, refusals included, tells the browser not to sniff, frame or leak it.</summary>
    [Trait("Tier", "Slow")]
    [Theory]
    [InlineData("GET", "/", null, 200)]
    [InlineData("GET", "/api/torrents", null, 401)]                  // no token
    [InlineData("POST", "/api/torrents", "http://evil.test", 403)]   // the guard
    [InlineData("GET", "/api/v2/torrents/delete", null, 405)]        // the qBittorrent API's method refusal (token as Bearer)
    [InlineData("GET", "/api/torrents/x/start", null, 405)]          // the REST routing's method refusal
    [InlineData("GET", "/api/nothing", null, 404)]
    [InlineData("GET", "/nothing.js", null, 404)]
    [InlineData("POST", "/transmission/rpc", null, 409)]
    public async Task EveryAnswer_CarriesTheSecurityHeaders(string method, string path, string? origin, int status)
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Token = "right", RequireToken = true });
        using var http = new HttpClient { BaseAddress = web.Http.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (status is not 401) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "right");

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Trait("Tier", "Slow")]
    [Fact]
    public async Task HeadOfThePage_AnswersAsGetWithoutABody()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var get = await web.Http.GetAsync("/", Ct);
        var page = await get.Content.ReadAsByteArrayAsync(Ct);
        using var head = await web.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), Ct);
        var body = await head.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(page.Length, head.Content.Headers.ContentLength);
        Assert.Empty(body);
        Assert.Equal("nosniff", head.Headers.GetValues("X-Content-Type-Options").Single());
    }

    private static async Task<string> LoginAsync(HttpClient http, string password)
    {
        using var response = await http.PostAsync("/api/v2/auth/login",
            new FormUrlEncodedContent([KeyValuePair.Create("username", "admin"), KeyValuePair.Create("password", password)]), Ct);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}";
    }

    private static async Task<int> SendAsync(HttpClient http, string path, AuthenticationHeaderValue? auth)
    {
        using var request = new HttpRequestMessage(path.StartsWith("/transmission", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path);
        if (path.StartsWith("/transmission", StringComparison.Ordinal)) request.Content = new StringContent("{}", Encoding.UTF8);
        request.Headers.Authorization = auth;
        using var response = await http.SendAsync(request, Ct);
        return (int)response.StatusCode;
    }
}
