using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Keys;

/// <summary>API keys (<see cref="ApiKeys"/>): made, shown once, stored as digests, accepted wherever the token is,
/// managed only with the token, revoked.</summary>
public class ApiKeysTests
{
    private const string Token = "keys-s3cret-token";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Store_AKeyMade_IsSavedAsItsDigestOnly_AcceptedAfterAReopen_AndRefusedOnceRevoked()
    {
        using var folder = new TempFolder();
        var keys = ApiKeys.Open(folder.Path, TimeProvider.System);

        var made = keys.Create("sonarr");
        var file = File.ReadAllText(folder.Combine("api-keys.json"));
        var reopened = ApiKeys.Open(folder.Path, TimeProvider.System);

        Assert.StartsWith(ApiKeys.Prefix, made.Key, StringComparison.Ordinal);
        Assert.True(made.Key.Length >= 40);
        Assert.DoesNotContain(made.Key[ApiKeys.Prefix.Length..], file, StringComparison.Ordinal);
        Assert.Contains("\"sonarr\"", file, StringComparison.Ordinal);
        Assert.True(reopened.Accepts(made.Key));
        Assert.False(reopened.Accepts(made.Key + "x"));
        Assert.False(reopened.Accepts(made.Key[ApiKeys.Prefix.Length..])); // no prefix, no key
        var listed = Assert.Single(reopened.List());
        Assert.Equal((made.Info.Id, "sonarr"), (listed.Id, listed.Name));
        Assert.NotNull(listed.LastUsedAt); // the accepted use above

        reopened.Revoke(made.Info.Id);

        Assert.False(reopened.Accepts(made.Key));
        Assert.False(ApiKeys.Open(folder.Path, TimeProvider.System).Accepts(made.Key)); // revoked on disk too
        Assert.Equal(404, Assert.Throws<WebApiException>(() => reopened.Revoke(made.Info.Id)).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\there")]
    public void Store_ABadName_IsRefused(string name)
    {
        using var folder = new TempFolder();
        Assert.Equal(400, Assert.Throws<WebApiException>(() => ApiKeys.Open(folder.Path, TimeProvider.System).Create(name)).StatusCode);
        Assert.Equal(400, Assert.Throws<WebApiException>(() => ApiKeys.Open(folder.Path, TimeProvider.System).Create(new string('k', 65))).StatusCode);
    }

    [Fact]
    public void Store_AFileThatIsNotAList_IsAClearError()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine("api-keys.json"), "{not json");
        var e = Assert.Throws<IOException>(() => ApiKeys.Open(folder.Path, TimeProvider.System));
        Assert.Contains("move it away", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_AKeyMadeWithTheToken_OpensTheRestApi_BothDaemonsApis_AndTheMetrics_ButNotTheKeys()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = Token });
        using var created = await web.Http.PostAsJsonAsync("/api/keys", new { name = "sonarr" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var made = (await created.Content.ReadFromJsonAsync<NewApiKey>(Ct))!;
        using var bearer = Client(web, h => h.Authorization = new("Bearer", made.Key));
        using var header = Client(web, h => h.Add("X-Api-Key", made.Key));
        using var basic = Client(web, h => h.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sonarr:" + made.Key))));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(bearer, "/api/torrents"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(header, "/api/torrents"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(bearer, "/api/v2/torrents/info"));       // qBittorrent 5.2's way
        Assert.Equal(HttpStatusCode.Conflict, await StatusAsync(basic, "/transmission/rpc", post: true)); // past the login: the 409 handshake
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(header, ServerMetrics.Path));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(bearer, "/api/keys"));            // a key cannot manage keys
        Assert.Equal(HttpStatusCode.Forbidden, (await bearer.PostAsJsonAsync("/api/keys", new { name = "more" }, Ct)).StatusCode);
        var listed = Assert.Single((await web.Http.GetFromJsonAsync<ApiKeyInfo[]>("/api/keys", Ct))!);
        Assert.Equal(made.Info.Id, listed.Id);

        (await web.Http.DeleteAsync($"/api/keys/{made.Info.Id}", Ct)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(bearer, "/api/torrents"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(bearer, "/api/v2/torrents/info"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(basic, "/transmission/rpc", post: true));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(web.Http, "/api/torrents")); // the token still opens everything
    }

    [Fact]
    public async Task TransmissionRemote_WithAnApiKeyAsItsPassword_ListsTheTorrent()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = Token });
        await web.AddAsync(start: false, Ct);
        using var created = await web.Http.PostAsJsonAsync("/api/keys", new { name = "remote" }, Ct);
        var made = (await created.Content.ReadFromJsonAsync<NewApiKey>(Ct))!;
        using var home = new TempFolder("torrentlab-key-remote");

        var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{new Uri(web.Server.Url).Port}", "--auth", "remote:" + made.Key, "--list"],
            TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["HOME"] = home.Path });

        Assert.True(result.ExitCode == 0, $"transmission-remote exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("webtest", result.Stdout, StringComparison.Ordinal);
    }

    private static HttpClient Client(WebTestServer web, Action<HttpRequestHeaders> credential)
    {
        var http = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        credential(http.DefaultRequestHeaders);
        return http;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path, bool post = false)
    {
        using var response = post ? await http.PostAsync(path, new StringContent("{}"), Ct) : await http.GetAsync(path, Ct);
        return response.StatusCode;
    }
}
