using System.Net.WebSockets;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Reliability;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A live client that floods the server with large fake subscriptions: none is held, and the process's heap
/// stays bounded. It measures the whole process's heap, so it runs with no other test beside it (the reliability
/// collection): beside the rest of the suite a CI run saw the heap grow by 138 MB over the 3 s of the flood, from other
/// tests' allocations.</summary>
[Trait("Tier", "Slow")]
[Collection(ReliabilityCollection.Name)]
public class LiveClientFloodTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Func<WebServerOptions, WebServerOptions> Unlimited => o => o with { LiveRequestsPerSecond = int.MaxValue };

    [Fact]
    public async Task Flood_OfLargeFakeSubscriptions_HoldsNoSubscriptionAndMemoryStaysBounded()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Unlimited);
        await web.AddAsync(start: false, Ct);
        using var socket = await LiveHubTests.ConnectAsync(web);
        // As reported: 3 KB fake info hashes; here 50,000 of them (150 MB sent), the rate limit off.
        var padding = new string('a', 2992);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var i = 0; i < 50_000; i++)
        {
            var flood = Encoding.UTF8.GetBytes($$"""{"op":"subscribe","infoHash":"{{i:D8}}{{padding}}","trace":true}"""); // each one different
            await socket.SendAsync(flood, WebSocketMessageType.Text, true, Ct);
        }
        await LiveHubTests.SendAsync(socket, $$"""{"op":"subscribe","infoHash":"{{web.InfoHash}}"}""");
        await SkipToAsync(socket, "{\"type\":\"pieces\""); // every request before it was handled
        var after = GC.GetTotalMemory(forceFullCollection: true);

        TestContext.Current.TestOutputHelper?.WriteLine($"managed heap before {before / 1_000_000} MB, after {after / 1_000_000} MB");
        Assert.Equal(1, web.Server.Live.SubscriptionCount);
        // Holding them cost over 1 GB before the check; 100 MB leaves room for what the server itself allocates and keeps.
        Assert.True(after - before < 100_000_000, $"the managed heap grew by {(after - before) / 1_000_000} MB");
    }

    /// <summary>Reads (cheaply: one error per flood message comes back) until a message starting with <paramref name="prefix"/>.</summary>
    private static async Task SkipToAsync(ClientWebSocket socket, string prefix)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        var buffer = new byte[1 << 16];
        var wanted = Encoding.UTF8.GetBytes(prefix);
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, limit.Token);
            if (result.Count >= wanted.Length && buffer.AsSpan(0, wanted.Length).SequenceEqual(wanted)) return;
            while (!result.EndOfMessage) result = await socket.ReceiveAsync(buffer, limit.Token);
        }
    }
}
