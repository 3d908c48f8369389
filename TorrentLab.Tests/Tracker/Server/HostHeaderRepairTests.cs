using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Tracker.Server;

public class HostHeaderRepairTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("::1:6969", "[::1]:6969")]               // libtorrent's form: the last group is the port
    [InlineData("::1", "[::1]")]                         // no port
    [InlineData("fe80::1:80", "[fe80::1]:80")]
    [InlineData("2001:db8::7", "[2001:db8::7]")]        // ":7" cannot be a port of "2001:db8:" (not an address)
    public void Bracketed_BareIPv6Host_GetsBrackets(string host, string expected) =>
        Assert.Equal(expected, HostHeaderRepair.Bracketed(host));

    [Theory]
    [InlineData("[::1]:6969")]          // already valid
    [InlineData("127.0.0.1:6969")]
    [InlineData("tracker.example:80")]
    [InlineData("a:b:c")]               // not an address: left for Kestrel to judge
    public void Bracketed_AnythingElse_IsLeftAlone(string host) =>
        Assert.Null(HostHeaderRepair.Bracketed(host));

    [Fact]
    public void Repair_RewritesOnlyTheHostLine_ByteForByte()
    {
        var head = "GET /announce?x=1 HTTP/1.1\r\nUser-Agent: lt\r\nhost: ::1:6969\r\nAccept: */*\r\n\r\n"u8.ToArray();
        var repaired = HostHeaderRepair.Repair(head);
        Assert.Equal("GET /announce?x=1 HTTP/1.1\r\nUser-Agent: lt\r\nhost: [::1]:6969\r\nAccept: */*\r\n\r\n", Encoding.Latin1.GetString(repaired));
    }

    [Fact]
    public void Repair_ValidHost_ReturnsTheSameBytes()
    {
        var head = "GET / HTTP/1.1\r\nHost: 127.0.0.1:6969\r\n\r\n"u8.ToArray();
        Assert.Same(head, HostHeaderRepair.Repair(head));
    }

    [Fact]
    public async Task TrackerServer_AnnounceWithABareIPv6Host_IsAnsweredNotRefused()
    {
        // The Host header's text is what Kestrel judges, whatever the transport: IPv4 loopback works on any machine.
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var query = "info_hash=" + string.Concat(Enumerable.Repeat("%01", 20)) + "&peer_id=-XX0000-000000000000&port=1234&uploaded=0&downloaded=0&left=0&compact=1";
        var request = $"GET /announce?{query} HTTP/1.1\r\nHost: ::1:{tracker.Port}\r\n\r\n";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, tracker.Port), Ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request + request), Ct); // two requests on one connection

        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        while (CountOf(answer.ToString(), "8:intervali") < 2)
        {
            var n = await socket.ReceiveAsync(buffer, limit.Token);
            if (n == 0) break;
            answer.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        Assert.Equal(2, CountOf(answer.ToString(), "HTTP/1.1 200 OK"));
        Assert.DoesNotContain("400 Bad Request", answer.ToString(), StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
