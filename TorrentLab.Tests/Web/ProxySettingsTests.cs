using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using TorrentLab.Proxy;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary><c>serve --proxy ... --proxy-only</c>: the server's session takes no incoming connection, and a link added
/// through the API is fetched through the proxy (microsocks on 127.0.0.1, asking for a password); qBittorrent's
/// preferences say so.</summary>
[Trait("Tier", "Slow")]
public sealed class ProxySettingsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ConcurrentQueue<string> _proxyLog = new();
    private Process? _microsocks;

    [Fact]
    public async Task ServeProxyOnly_ListensForNoPeer_AndFetchesAnAddedUrlThroughTheProxy()
    {
        var proxy = StartMicrosocks("carol", "pw");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Proxy = proxy with { Password = "wrong", Only = true } });

        // No listener on the peer port: a direct connection is refused by the kernel.
        using var direct = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => direct.ConnectAsync(IPAddress.Loopback, web.Server.PeerPort, Ct).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        // The URL is on loopback, where a direct fetch would succeed; through the proxy, the wrong password stops it.
        using var files = new TcpListener(IPAddress.Loopback, 0);
        files.Start();
        var response = await web.Http.PostAsJsonAsync("/api/torrents/link",
            new { link = $"http://127.0.0.1:{((IPEndPoint)files.LocalEndpoint).Port}/x.torrent" }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("refused the user name and password", body, StringComparison.Ordinal);
        Assert.False(files.Pending()); // nobody came to the file server directly
    }

    [Fact]
    public async Task ServeProxyOnly_PostsTheWebhookThroughTheProxy_AndNotAtAllOnceItIsGone()
    {
        var proxy = StartMicrosocks("carol", "pw");
        await using var site = await LoopbackHttpServer.StartAsync(Ct);
        ConcurrentQueue<string> log = new();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            Proxy = proxy with { Only = true }, Webhook = site.Url + "/hook", Log = log.Enqueue,
        });
        var sitePort = new Uri(site.Url).Port.ToString(CultureInfo.InvariantCulture);

        using (var upload = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: false, Ct)) Assert.True(upload.IsSuccessStatusCode);
        await Wait.UntilAsync(() => site.Requests("/hook") == 1, TimeSpan.FromSeconds(30), $"the webhook never arrived; log:\n{string.Join("\n", log)}", Ct);
        // The proxy carried it: microsocks logs each connection it made for a client.
        await Wait.UntilAsync(() => _proxyLog.Any(l => l.Contains($"127.0.0.1:{sitePort}", StringComparison.Ordinal)), TimeSpan.FromSeconds(10),
            $"the proxy made no connection to the site; proxy log:\n{string.Join("\n", _proxyLog)}", Ct);

        // The proxy gone: the next webhook fails, saying so, and does not go direct; nor does a .torrent URL.
        ProcessRunner.Stop(_microsocks!);
        using (var removed = await web.Http.DeleteAsync($"/api/torrents/{web.InfoHash}", Ct)) Assert.True(removed.IsSuccessStatusCode);
        using (var again = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: false, Ct)) Assert.True(again.IsSuccessStatusCode);
        await Wait.UntilAsync(() => log.Any(l => l.Contains("webhook (added)", StringComparison.Ordinal) && l.Contains("cannot reach the SOCKS5 proxy", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"no failed webhook line; log:\n{string.Join("\n", log)}", Ct);
        var torrentUrl = site.Put("/x.torrent", web.Swarm.Built.TorrentBytes, "application/x-bittorrent");
        using var link = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = torrentUrl }, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, link.StatusCode);
        Assert.Contains("cannot reach the SOCKS5 proxy", await link.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal((1, 0), (site.Requests("/hook"), site.Requests("/x.torrent")));
    }

    [Fact]
    public async Task QBittorrentsPreferences_SayTheProxy_WithoutItsPassword()
    {
        var proxy = new Socks5Proxy("127.0.0.1", 1080) { UserName = "carol", Password = "s3cret", Only = true };
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Proxy = proxy });

        var raw = await web.Http.GetStringAsync("/api/v2/app/preferences", Ct);
        var preferences = System.Text.Json.JsonDocument.Parse(raw).RootElement;

        Assert.Equal("SOCKS5", preferences.GetProperty("proxy_type").GetString());
        Assert.Equal(("127.0.0.1", 1080, "carol"), (preferences.GetProperty("proxy_ip").GetString(),
            preferences.GetProperty("proxy_port").GetInt32(), preferences.GetProperty("proxy_username").GetString()));
        Assert.True(preferences.GetProperty("proxy_peer_connections").GetBoolean());
        Assert.DoesNotContain("s3cret", raw, StringComparison.Ordinal);
    }

    private Socks5Proxy StartMicrosocks(string user, string password)
    {
        var microsocks = Interop.RequireExecutable("/usr/bin/microsocks");
        var port = ProcessRunner.FreeTcpPort();
        _microsocks = ProcessRunner.Start(microsocks, ["-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-u", user, "-P", password]);
        _microsocks.ErrorDataReceived += (_, e) => { if (e.Data is not null) _proxyLog.Enqueue(e.Data); };
        _microsocks.OutputDataReceived += (_, e) => { if (e.Data is not null) _proxyLog.Enqueue(e.Data); }; // its "connected to" lines
        _microsocks.BeginErrorReadLine();
        _microsocks.BeginOutputReadLine();
        bool Listening()
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { return false; }
        }
        Assert.True(Wait.UntilAsync(Listening, TimeSpan.FromSeconds(60), Ct).GetAwaiter().GetResult(), string.Join("\n", _proxyLog));
        return new Socks5Proxy("127.0.0.1", port) { UserName = user, Password = password };
    }

    public void Dispose()
    {
        if (_microsocks is null) return;
        ProcessRunner.Stop(_microsocks);
        _microsocks.Dispose();
    }
}
