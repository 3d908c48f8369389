using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>What a live client may ask: subscriptions only to existing torrents, a few of them, at a bounded rate.</summary>
[Trait("Tier", "Slow")]
public class LiveClientTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Func<WebServerOptions, WebServerOptions> Unlimited => o => o with { LiveRequestsPerSecond = int.MaxValue };

    /// <summary>Messages until one of type <paramref name="type"/>, at most 20 s.</summary>
    private static async Task<JsonElement> NextOfTypeAsync(ClientWebSocket socket, string type)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            var message = await LiveHubTests.ReceiveAsync(socket, limit.Token);
            if (message.GetProperty("type").GetString() == type) return message;
        }
    }

    [Theory]
    [InlineData("not-a-hash", "40 hex digits")]
    [InlineData("0123456789abcdef0123456789abcdef0123456g", "40 hex digits")] // one letter past f
    [InlineData("0123456789abcdef0123456789abcdef01234567", "no torrent")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "no torrent")] // v2 length, none such
    public async Task Subscribe_ToWhatIsNoTorrentHere_IsRefusedWithAnErrorAndHoldsNothing(string hash, string expected)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var socket = await LiveHubTests.ConnectAsync(web);

        await LiveHubTests.SendAsync(socket, $$"""{"op":"subscribe","infoHash":"{{hash}}","trace":true}""");
        var error = await NextOfTypeAsync(socket, "error");

        Assert.Contains(expected, error.GetProperty("error").GetString());
        Assert.Equal(0, web.Server.Live.SubscriptionCount);
    }

    [Fact]
    public async Task Subscribe_BeyondTheCap_RefusesTheExtraOnesAndKeepsTheFirstEight()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Unlimited);
        var hashes = new List<string> { (await web.AddAsync(start: false, Ct)).InfoHash };
        for (var i = 0; i < LiveClient.MaxSubscriptions; i++)
        {
            var built = TestTorrents.SingleFile(length: 1000, name: $"extra{i}.bin", seed: 100 + i);
            using var body = new ByteArrayContent(built.TorrentBytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-bittorrent") } };
            using var added = await web.Http.PostAsync("/api/torrents?start=false", body, Ct);
            added.EnsureSuccessStatusCode();
            hashes.Add(built.Torrent.InfoHash.Hex);
        }
        using var socket = await LiveHubTests.ConnectAsync(web);

        foreach (var hash in hashes) await LiveHubTests.SendAsync(socket, $$"""{"op":"subscribe","infoHash":"{{hash}}"}""");
        await LiveHubTests.SendAsync(socket, """{"op":"subscribe","infoHash":"fence"}"""); // its error comes after any other
        var first = await NextOfTypeAsync(socket, "error");
        var second = await NextOfTypeAsync(socket, "error");

        Assert.Contains($"at most {LiveClient.MaxSubscriptions} subscriptions", first.GetProperty("error").GetString());
        Assert.Contains("40 hex digits", second.GetProperty("error").GetString());
        Assert.Equal(LiveClient.MaxSubscriptions, web.Server.Live.SubscriptionCount);
    }

    [Fact]
    public async Task Flood_OverTheRequestRate_IsClosedWithPolicyViolation()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using var socket = await LiveHubTests.ConnectAsync(web);
        var request = Encoding.UTF8.GetBytes($$"""{"op":"subscribe","infoHash":"{{web.InfoHash}}"}""");
        var closed = ReadUntilCloseAsync(socket);

        var sent = 0;
        while (!closed.IsCompleted && sent < 200_000)
        {
            try { await socket.SendAsync(request, WebSocketMessageType.Text, true, Ct); }
            catch (WebSocketException) { break; } // the server is gone: it closed first
            sent++;
        }
        var status = await closed;

        output.WriteLine($"sent {sent} requests before the close");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.True(sent < 200_000);
        using var again = await LiveHubTests.ConnectAsync(web); // the server itself goes on
        Assert.Equal("torrents", (await NextOfTypeAsync(again, "torrents")).GetProperty("type").GetString());
    }

    private static async Task<WebSocketCloseStatus?> ReadUntilCloseAsync(ClientWebSocket socket)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[1 << 16];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, limit.Token);
            if (result.MessageType == WebSocketMessageType.Close) return result.CloseStatus;
        }
    }
}
