using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

/// <summary>The tracker's HTTP connection budgets under attack (issue 53): idle and slowloris connections from one
/// address or several, while an honest announcer from another loopback address must still be answered.</summary>
[Trait("Tier", "Slow")]
public class HttpTrackerListenerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Announce = "GET /announce?info_hash=" + BinaryHashEncoded +
        "&peer_id=-TZ0100-hhhhhhhhhhhh&port=7001&uploaded=0&downloaded=0&left=5 HTTP/1.1\r\nHost: t\r\n\r\n";

    private static async Task<Socket> ConnectFromAsync(string from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0)); // 127.0.0.0/8 is all loopback: another address, same host
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
        return socket;
    }

    // One announce from an address of its own: the status and the body's failure reason (null when it announced).
    private static async Task<(int Status, string? Failure)> AnnounceFromAsync(string from, int port)
    {
        using var socket = await ConnectFromAsync(from, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(Announce), Ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.Latin1.GetString([.. received]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end > 0)
            {
                var length = int.Parse(text[(text.IndexOf("Content-Length: ", StringComparison.Ordinal) + 16)..].Split("\r\n")[0]);
                if (received.Count >= end + 4 + length)
                {
                    var status = int.Parse(text[9..12]);
                    var body = received.Skip(end + 4).Take(length).ToArray();
                    if (status != 200) return (status, null);
                    return (status, (BencodeDecoder.DecodeDictionary(body)["failure reason"] as BString)?.Text);
                }
            }
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
            if (read == 0) return (0, "closed without an answer");
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    // Closed by the server: readable, and reading gives 0 bytes (or a reset, or a 503 before the end).
    private static bool IsClosed(Socket socket)
    {
        try
        {
            if (!socket.Poll(0, SelectMode.SelectRead)) return false;
            var buffer = new byte[512];
            while (socket.Available > 0) socket.Receive(buffer);
            return socket.Poll(0, SelectMode.SelectRead) && socket.Receive(buffer) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task<int> WaitForOpenAtMostAsync(List<Socket> sockets, int most)
    {
        var open = 0;
        await Wait.UntilAsync(() => (open = sockets.Count(s => !IsClosed(s))) <= most, TimeSpan.FromSeconds(30), Ct);
        return open;
    }

    [Fact]
    public async Task OneAddressHolding1100IdleAndSlowlorisConnections_AnHonestAnnouncerFromAnotherAddress_IsAnswered()
    {
        // Issue 53: 1,100 connections from one address filled the one cap of 1,024 and every honest announcer got 503 or
        // a reset, while opentracker answered them all. Default budgets.
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var attack = new List<Socket>();
        try
        {
            for (var i = 0; i < 1100; i++)
            {
                var socket = await ConnectFromAsync("127.0.0.2", server.Port);
                if (i % 2 == 1) await socket.SendAsync("GET /announce?info_hash="u8.ToArray(), Ct); // a head begun, never ended
                attack.Add(socket);
            }

            Assert.Equal((200, null), await AnnounceFromAsync("127.0.0.3", server.Port));
            var open = await WaitForOpenAtMostAsync(attack, server.Options.HttpMaxConnectionsPerAddress);
            Assert.True(open <= server.Options.HttpMaxConnectionsPerAddress, $"{open} of the attacker's connections still open");
        }
        finally
        {
            foreach (var socket in attack) socket.Dispose();
        }
    }

    [Fact]
    public async Task EveryPlaceHeldByStrangersOfManyAddresses_TheOldestStrangerYields_AndTheNewcomerIsAnswered()
    {
        await using var server = await TrackerServer.StartAsync(
            new TrackerServerOptions { Port = 0, HttpMaxConnections = 8, HttpMaxConnectionsPerAddress = 4 }, Ct);
        var attack = new List<Socket>();
        try
        {
            foreach (var from in (string[])["127.0.0.2", "127.0.0.3", "127.0.0.4"])
                for (var i = 0; i < 4; i++)
                    attack.Add(await ConnectFromAsync(from, server.Port));

            Assert.Equal((200, null), await AnnounceFromAsync("127.0.0.9", server.Port));
            Assert.True(await WaitForOpenAtMostAsync(attack, 8) <= 8);
            Assert.True(IsClosed(attack[0]), "the oldest stranger should have yielded");
        }
        finally
        {
            foreach (var socket in attack) socket.Dispose();
        }
    }

    [Fact]
    public async Task SlowlorisHead_TricklingBytes_IsClosedAtTheHeadDeadline()
    {
        // Any received byte used to restart the idle timer: a head sent a byte at a time lived for ever.
        await using var server = await TrackerServer.StartAsync(
            new TrackerServerOptions { Port = 0, HttpHeadTimeout = TimeSpan.FromSeconds(1), HttpIdleTimeout = TimeSpan.FromMinutes(5) }, Ct);
        using var socket = await ConnectFromAsync("127.0.0.2", server.Port);
        var head = Encoding.ASCII.GetBytes(Announce[..^4] + new string('x', 400));
        var sent = 0;
        var closed = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!closed && DateTime.UtcNow < deadline && sent < head.Length)
        {
            try
            {
                await socket.SendAsync(head.AsMemory(sent++, 1), Ct);
                closed = IsClosed(socket);
            }
            catch (SocketException)
            {
                closed = true; // reset by the server
            }
            if (!closed) await Task.Delay(100, Ct); // the attacker's pace: a byte every 100 ms, far inside the idle timeout
        }
        Assert.True(closed, $"still open after {sent} bytes trickled in");
        Assert.True(sent < head.Length, "the head never completed, so only its deadline can have closed it");
    }
}
