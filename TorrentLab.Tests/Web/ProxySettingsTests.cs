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
        _microsocks.BeginErrorReadLine();
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
