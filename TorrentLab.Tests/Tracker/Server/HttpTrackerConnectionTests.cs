using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Tracker.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

/// <summary>The tracker's own HTTP/1.1, spoken to in raw bytes over loopback: keep-alive, pipelining, what it refuses,
/// its bounds, and answers byte for byte.</summary>
public class HttpTrackerConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Query = "info_hash=" + BinaryHashEncoded + "&peer_id=-TZ0100-aaaaaaaaaaaa&port=7001&uploaded=0&downloaded=0&left=5";

    private static string Get(string target, string headers = "Host: 127.0.0.1\r\n", string version = "HTTP/1.1") =>
        $"GET {target} {version}\r\n{headers}\r\n";

    private sealed record Answer(int Status, string Head, byte[] Body)
    {
        public string Text => Encoding.Latin1.GetString(Body);
    }

    /// <summary>A raw TCP client that reads answers by their Content-Length, each read bounded by 20 s.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<byte> _pending = [];

        public static async Task<RawClient> ConnectAsync(int port)
        {
            var client = new RawClient();
            await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
            return client;
        }

        public Task SendAsync(string text) => _socket.SendAsync(Encoding.Latin1.GetBytes(text), Ct).AsTask();

        /// <summary>The next answer, or null when the server closed the connection first.</summary>
        public async Task<Answer?> ReadAsync()
        {
            int headEnd;
            while ((headEnd = IndexOfBlankLine()) < 0)
                if (!await FillAsync()) return null;
            var head = Encoding.Latin1.GetString(_pending.GetRange(0, headEnd).ToArray());
            var lengthLine = head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (_pending.Count < headEnd + 4 + length)
                if (!await FillAsync()) return null;
            var body = _pending.GetRange(headEnd + 4, length).ToArray();
            _pending.RemoveRange(0, headEnd + 4 + length);
            return new Answer(int.Parse(head.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture), head, body);
        }

        /// <summary>Whether the server closed the connection (reads until it does, bounded by 20 s).</summary>
        public async Task<bool> IsClosedAsync()
        {
            while (await FillAsync()) { }
            return true;
        }

        private async Task<bool> FillAsync()
        {
            var buffer = new byte[4096];
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(20));
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, limit.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return false;
            }
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
            return read > 0;
        }

        private int IndexOfBlankLine()
        {
            for (var i = 0; i + 3 < _pending.Count; i++)
                if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n') return i;
            return -1;
        }

        public void Dispose() => _socket.Dispose();
    }

    private static Task<TrackerServer> StartAsync(TrackerServerOptions? options = null) =>
        TrackerServer.StartAsync((options ?? new TrackerServerOptions()) with { Port = 0 }, Ct);

    [Fact]
    public async Task Announce_KeepAlive_AnswersSeveralRequestsOnOneConnection()
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Get("/announce?" + Query));
            var answer = await client.ReadAsync();
            Assert.Equal(200, answer?.Status);
            Assert.DoesNotContain("Connection: close", answer!.Head, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Announce_TwoRequestsSentAtOnceWithABareIPv6Host_AreAnsweredInOrder()
    {
        // libtorrent writes "Host: ::1:PORT" without brackets; the tracker answers whatever the Host says.
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        var second = Query.Replace("aaaa&", "bbbb&", StringComparison.Ordinal).Replace("7001", "7002", StringComparison.Ordinal);
        await client.SendAsync(Get("/announce?" + Query, $"Host: ::1:{server.Port}\r\n") + Get("/announce?" + second, $"Host: ::1:{server.Port}\r\n"));

        var first = await client.ReadAsync();
        var then = await client.ReadAsync();

        Assert.Equal(0, ((BString)BencodeDecoder.DecodeDictionary(first!.Body)["peers"]!).Bytes.Length); // nobody before it
        Assert.Equal(6, ((BString)BencodeDecoder.DecodeDictionary(then!.Body)["peers"]!).Bytes.Length);  // the first peer
    }

    [Fact]
    public async Task Announce_Answer_IsTheCanonicalBencodeByteForByte()
    {
        await using var server = await StartAsync(new TrackerServerOptions { Interval = TimeSpan.FromSeconds(900), MinInterval = TimeSpan.FromSeconds(60), TrackerId = "tl" });
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get("/announce?" + Query));
        await client.ReadAsync();
        await client.SendAsync(Get("/announce?" + Query.Replace("aaaa&", "bbbb&", StringComparison.Ordinal).Replace("left=5", "left=0", StringComparison.Ordinal)));

        var answer = await client.ReadAsync();

        byte[] firstPeer = [127, 0, 0, 1, 0x1B, 0x59]; // 127.0.0.1:7001
        var expected = new BDictionary()
            .Set("complete", new BInteger(1)).Set("incomplete", new BInteger(1))
            .Set("interval", new BInteger(900)).Set("min interval", new BInteger(60))
            .Set("peers", new BString(firstPeer))
            .Set("tracker id", new BString("tl"));
        Assert.Equal(Encoding.Latin1.GetString(BencodeWriter.Encode(expected)), answer!.Text);
        Assert.Contains("Content-Type: text/plain", answer.Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_OneInfoHash_IsTheBep48AnswerByteForByte()
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get("/announce?" + Query + "&event=completed"));
        await client.ReadAsync();
        await client.SendAsync(Get("/scrape?info_hash=" + BinaryHashEncoded));

        var answer = await client.ReadAsync();

        var stats = new BDictionary().Set("complete", new BInteger(0)).Set("downloaded", new BInteger(1))
            .Set("downloaders", new BInteger(1)).Set("incomplete", new BInteger(1));
        var expected = new BDictionary().Set("files", new BDictionary().Set(BinaryHash.Bytes.ToArray(), stats));
        Assert.Equal(BencodeWriter.Encode(expected), answer!.Body);
    }

    [Theory]
    [InlineData("GET /announce HTTP/1.1\r\n\r\n", 400)]                           // no Host
    [InlineData("GET /announce HTTP/1.1\r\nHost : x\r\n\r\n", 400)]
    [InlineData("DELETE /announce HTTP/1.1\r\nHost: x\r\n\r\n", 405)]
    [InlineData("GET /announce HTTP/3.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("GET /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 400)]
    [InlineData("hello\r\n\r\n", 400)]
    public async Task MalformedRequest_IsAnsweredWithItsStatusThenClosed(string request, int status)
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(request + Get("/announce?" + Query)); // a valid request after it is never answered

        var answer = await client.ReadAsync();

        Assert.Equal(status, answer?.Status);
        Assert.Contains("Connection: close", answer!.Head, StringComparison.Ordinal);
        if (status == 405) Assert.Contains("Allow: GET", answer.Head, StringComparison.Ordinal);
        Assert.Null(await client.ReadAsync());
    }

    [Fact]
    public async Task OversizeHead_Is431AndClosed_WithoutWaitingForItsEnd()
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync("GET /announce?" + new string('x', HttpRequestHead.MaxLength + 100)); // no line end, ever

        var answer = await client.ReadAsync();

        Assert.Equal(431, answer?.Status);
        Assert.True(await client.IsClosedAsync());
    }

    [Theory]
    [InlineData("Host: x\r\nConnection: close\r\n", "HTTP/1.1")]
    [InlineData("", "HTTP/1.0")]
    public async Task Announce_ClientThatDoesNotKeepAlive_IsAnsweredThenClosed(string headers, string version)
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get("/announce?" + Query, headers, version));

        var answer = await client.ReadAsync();

        Assert.Equal(200, answer?.Status);
        Assert.Contains("Connection: close", answer!.Head, StringComparison.Ordinal);
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task UnknownPath_Is404AndTheConnectionStaysOpen()
    {
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get("/favicon.ico") + Get("/announce?" + Query));
        Assert.Equal(404, (await client.ReadAsync())?.Status);
        Assert.Equal(200, (await client.ReadAsync())?.Status);
    }

    [Fact]
    public async Task AbsoluteTarget_IsAnsweredLikeItsPath()
    {
        // RFC 9112 section 3.2.2: "a server MUST accept the absolute-form in requests".
        await using var server = await StartAsync();
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get($"http://127.0.0.1:{server.Port}/announce?" + Query));
        var answer = await client.ReadAsync();
        Assert.Null(BencodeDecoder.DecodeDictionary(answer!.Body)["failure reason"]);
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimit_Are503AndClosed_WhileTheOpenOnesAreServed()
    {
        await using var server = await StartAsync(new TrackerServerOptions { HttpMaxConnections = 1 });
        using var first = await RawClient.ConnectAsync(server.Port);
        await first.SendAsync(Get("/announce?" + Query));
        Assert.Equal(200, (await first.ReadAsync())?.Status); // the first connection is counted

        using var second = await RawClient.ConnectAsync(server.Port);
        Assert.Equal(503, (await second.ReadAsync())?.Status);
        Assert.True(await second.IsClosedAsync());

        await first.SendAsync(Get("/announce?" + Query));
        Assert.Equal(200, (await first.ReadAsync())?.Status);
    }

    [Fact]
    public async Task SilentConnection_IsClosedAfterTheIdleTimeout()
    {
        await using var server = await StartAsync(new TrackerServerOptions { HttpIdleTimeout = TimeSpan.FromSeconds(1) });
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync("GET /announce"); // a head begun and never finished
        Assert.True(await client.IsClosedAsync()); // within the reader's 20 s bound
    }

    [Theory]
    [InlineData(TrackerFault.Http500, 500)]
    [InlineData(TrackerFault.DropConnection, null)]
    public async Task ScriptedFault_IsPlayedOverHttp(TrackerFault fault, int? status)
    {
        await using var server = await StartAsync();
        server.Faults.Next = fault;
        using var client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(Get("/announce?" + Query));
        Assert.Equal(status, (await client.ReadAsync())?.Status);
    }
}
