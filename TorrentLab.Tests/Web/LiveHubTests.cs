using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using TorrentLab.Lab;

namespace TorrentLab.Tests.Web;

/// <summary>Live updates over a real WebSocket while the mock swarm serves a download.</summary>
[Trait("Tier", "Slow")]
public class LiveHubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<ClientWebSocket> ConnectAsync(WebTestServer web, string? token = null, string? origin = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        var url = web.Server.Url.Replace("http://", "ws://", StringComparison.Ordinal) + "/api/live" + (token is null ? "" : "?token=" + token);
        await socket.ConnectAsync(new Uri(url), Ct);
        return socket;
    }

    internal static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
        } while (!result.EndOfMessage);
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }

    internal static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Ct);

    [Fact]
    public async Task Subscriber_DuringADownload_ReceivesProgressPieceMapChangesAndTheWireTrace()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 24, slowDelay: TimeSpan.FromMilliseconds(20));
        using var socket = await ConnectAsync(web);
        var first = await ReceiveAsync(socket, Ct);
        Assert.Equal("torrents", first.GetProperty("type").GetString());
        Assert.Equal(0, first.GetProperty("torrents").GetArrayLength());

        await web.AddAsync(start: false, Ct); // only a torrent that exists can be subscribed to
        await SendAsync(socket, $$"""{"op":"subscribe","infoHash":"{{web.InfoHash}}","trace":true}""");
        using (var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct)) start.EnsureSuccessStatusCode();

        var seen = new HashSet<string>();
        var verifiedPieceSeen = false;
        var progressWithPieces = false;
        var traceNames = new HashSet<string>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        while (!(verifiedPieceSeen && progressWithPieces && traceNames.Contains("piece") && seen.Contains("detail")))
        {
            var message = await ReceiveAsync(socket, limit.Token);
            var type = message.GetProperty("type").GetString()!;
            seen.Add(type);
            switch (type)
            {
                case "rows":
                    progressWithPieces |= message.GetProperty("torrents").EnumerateArray()
                        .Any(t => t.GetProperty("infoHash").GetString() == web.InfoHash && t.GetProperty("piecesDone").GetInt32() > 0);
                    break;
                case "pieces":
                    if (message.TryGetProperty("pieces", out var digits)) verifiedPieceSeen |= digits.GetString()!.Contains('2');
                    else verifiedPieceSeen |= message.GetProperty("changes").EnumerateArray().Any(c => c[1].GetInt32() == 2);
                    break;
                case "trace":
                    foreach (var line in message.GetProperty("trace").EnumerateArray()) traceNames.Add(line.GetProperty("name").GetString()!);
                    break;
            }
        }

        Assert.Contains("torrents", seen); // the list changed when the torrent was added
        Assert.Contains("handshake", traceNames);
        Assert.Contains("interested", traceNames);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
    }

    [Fact]
    public async Task Connect_WithoutTheRequiredToken_IsRefusedAndWithItIsAccepted()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "live-token" });

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(web));
        using var socket = await ConnectAsync(web, "live-token");
        var first = await ReceiveAsync(socket, Ct);

        Assert.Contains("401", refused.Message);
        Assert.Equal("torrents", first.GetProperty("type").GetString());
    }
}
