using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;
using TorrentLab.Simulation;

namespace TorrentLab.Tests.Simulation;

/// <summary>The simulated network's rules, stepped by hand: latency and capacity, loss, NAT mapping and filtering of
/// each kind, ports and refusals, hosts that vanish.</summary>
public class SimNetworkTests
{
    private sealed class World
    {
        public SimClock Clock { get; } = new();
        public EventLog Log { get; }
        public SimNetwork Network { get; }

        public World(int seed = 1)
        {
            Log = new EventLog(Clock);
            Network = new SimNetwork(Clock, Log, seed);
        }

        public void Run(TimeSpan? until = null)
        {
            var end = (until ?? TimeSpan.FromHours(1)).Ticks;
            while (Clock.NextDue is { } next && next <= end) Clock.Step();
        }
    }

    private static (List<(byte[] Data, IPEndPoint From, TimeSpan At)> Got, IUdpPort Port) Listen(SimHost host, int port, SimClock clock)
    {
        var got = new List<(byte[], IPEndPoint, TimeSpan)>();
        var bound = host.BindUdp(new IPEndPoint(IPAddress.Any, port), new UdpPortOptions());
        bound.Start((d, from) => got.Add((d.ToArray(), from, clock.Now)));
        return (got, bound);
    }

    [Fact]
    public void Datagram_ArrivesAfterBothEndsLatencyAndTheSendersUpload()
    {
        var world = new World();
        var a = world.Network.AddHost("a", new LinkSpec(TimeSpan.FromMilliseconds(10), UpBytesPerSecond: 1000));
        var b = world.Network.AddHost("b", new LinkSpec(TimeSpan.FromMilliseconds(30)));
        var (got, _) = Listen(b, 7, world.Clock);
        using var from = a.BindUdp(new IPEndPoint(IPAddress.Any, 5), new UdpPortOptions());
        from.Send(new byte[100], new IPEndPoint(b.Address, 7));
        world.Run();
        var arrived = Assert.Single(got);
        Assert.Equal(new IPEndPoint(a.Address, 5), arrived.From);
        // 100 bytes at 1,000 B/s: 100 ms on the upload, then 10 + 30 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(140), arrived.At);
    }

    [Fact]
    public void Loss_DropsAboutItsShare_AndTheSameSeedDropsTheSameDatagrams()
    {
        int[] Delivered(int seed)
        {
            var world = new World(seed);
            var a = world.Network.AddHost("a", new LinkSpec(TimeSpan.FromMilliseconds(5), Loss: 0.25));
            var b = world.Network.AddHost("b", LinkSpec.Fast);
            var (got, _) = Listen(b, 7, world.Clock);
            using var from = a.BindUdp(new IPEndPoint(IPAddress.Any, 5), new UdpPortOptions());
            for (var i = 0; i < 1000; i++) from.Send(BitConverter.GetBytes(i), new IPEndPoint(b.Address, 7));
            world.Run();
            return [.. got.Select(g => BitConverter.ToInt32(g.Data))];
        }
        var first = Delivered(3);
        Assert.InRange(first.Length, 650, 850);
        Assert.Equal(first, Delivered(3));
        Assert.NotEqual(first, Delivered(4));
    }

    [Theory]
    [InlineData("FullCone", true, true)]
    [InlineData("PortRestricted", true, false)]
    [InlineData("Symmetric", false, false)]
    public void Nat_MapsAndLetsInWhatItsKindLetsIn(string kind, bool portPreserved, bool strangerGetsThrough)
    {
        var world = new World();
        var nat = world.Network.AddNat("nat", Enum.Parse<NatKind>(kind));
        var inside = world.Network.AddHost("inside", LinkSpec.Fast, nat);
        var server = world.Network.AddHost("server", LinkSpec.Fast);
        var stranger = world.Network.AddHost("stranger", LinkSpec.Fast);
        var (got, port) = Listen(inside, 6881, world.Clock);
        var (atServer, serverPort) = Listen(server, 80, world.Clock);
        Assert.Throws<SocketException>(() => inside.BindUdp(new IPEndPoint(IPAddress.Any, 6881), new UdpPortOptions())); // taken

        port.Send([1], new IPEndPoint(server.Address, 80));
        world.Run();
        var seen = Assert.Single(atServer).From;
        Assert.Equal(nat.Public, seen.Address);
        Assert.Equal(portPreserved, seen.Port == 6881);
        // The server answers the mapping it saw (always let in); a stranger tries the inside host's own port number.
        serverPort.Send([2], seen);
        using var strangerPort = stranger.BindUdp(new IPEndPoint(IPAddress.Any, 9), new UdpPortOptions());
        strangerPort.Send([3], new IPEndPoint(nat.Public, seen.Port));
        world.Run();
        Assert.Contains(got, g => g.Data[0] == 2);
        Assert.Equal(strangerGetsThrough, got.Any(g => g.Data[0] == 3));
    }

    [Fact]
    public void NatMapping_UnusedForTwoMinutes_IsForgotten()
    {
        var world = new World();
        var nat = world.Network.AddNat("nat", NatKind.FullCone);
        var inside = world.Network.AddHost("inside", LinkSpec.Fast, nat);
        var server = world.Network.AddHost("server", LinkSpec.Fast);
        var (got, port) = Listen(inside, 6881, world.Clock);
        var (_, serverPort) = Listen(server, 80, world.Clock);
        port.Send([1], new IPEndPoint(server.Address, 80));
        world.Run();
        world.Clock.After(SimNat.UdpMappingLifetime + TimeSpan.FromSeconds(1), _ => serverPort.Send([2], new IPEndPoint(nat.Public, 6881)), null);
        world.Run();
        Assert.Empty(got);
        Assert.Contains(world.Log.Tail(), l => l.Contains("no mapping at NAT nat", StringComparison.Ordinal));
    }

    private static (SimHost A, SimHost B) TwoHosts(World world) =>
        (world.Network.AddHost("a", new LinkSpec(TimeSpan.FromMilliseconds(10))), world.Network.AddHost("b", new LinkSpec(TimeSpan.FromMilliseconds(10))));

    /// <summary>A connection from <paramref name="a"/> to port 80 of <paramref name="b"/>: both ends, and the address b saw.</summary>
    private static async Task<(Stream Client, Stream Server, IPEndPoint Seen)> TcpPairAsync(World world, SimHost a, SimHost b)
    {
        using var listener = b.Listen(new IPEndPoint(IPAddress.Any, 80), 4);
        var accepting = listener.AcceptAsync(CancellationToken.None);
        var dialling = a.ConnectAsync(new IPEndPoint(b.Address, 80), CancellationToken.None);
        world.Run();
        var (server, seen) = (await accepting)!.Value;
        return (await dialling, server, seen);
    }

    [Fact]
    public async Task Tcp_ConnectToAListener_CarriesBytesBothWays_AndConnectToAClosedPortIsRefused()
    {
        var world = new World();
        var (a, b) = TwoHosts(world);
        var refused = a.ConnectAsync(new IPEndPoint(b.Address, 81), CancellationToken.None);
        var (client, server, remote) = await TcpPairAsync(world, a, b);
        await using var _ = client;
        Assert.Equal(a.Address, remote.Address);
        Assert.Equal(SocketError.ConnectionRefused, (await Assert.ThrowsAsync<SocketException>(() => refused)).SocketErrorCode);

        await client.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        var buffer = new byte[16];
        var reading = server.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
        world.Run();
        Assert.Equal(5, await reading);
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);

        await client.DisposeAsync();
        reading = server.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
        world.Run();
        Assert.Equal(0, await reading); // the FIN after the data
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Tcp_AZeroByteRead_WaitsForBytes_AsASocketsDoes()
    {
        var world = new World();
        var (a, b) = TwoHosts(world);
        var (client, server, _) = await TcpPairAsync(world, a, b);
        await using var __ = client;
        await using var ___ = server;

        var waiting = server.ReadAsync(Memory<byte>.Empty, TestContext.Current.CancellationToken).AsTask();
        world.Run();
        Assert.False(waiting.IsCompleted);   // nothing was written: a read of 0 bytes must not look like the end
        await client.WriteAsync("x"u8.ToArray(), TestContext.Current.CancellationToken);
        world.Run();
        Assert.Equal(0, await waiting);
        var one = new byte[1];
        Assert.Equal(1, await server.ReadAsync(one, TestContext.Current.CancellationToken));
        Assert.Equal((byte)'x', one[0]);
    }

    [Fact]
    public async Task Tcp_TwoConnectionsSharingAnUpload_GetAHalfEach()
    {
        var world = new World();
        var sender = world.Network.AddHost("sender", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 100_000));
        var receivers = new[] { world.Network.AddHost("b", LinkSpec.Fast), world.Network.AddHost("c", LinkSpec.Fast) };
        var streams = new List<Stream>();
        foreach (var to in receivers)
        {
            using var listener = to.Listen(new IPEndPoint(IPAddress.Any, 80), 4);
            var accepting = listener.AcceptAsync(CancellationToken.None);
            var dialling = sender.ConnectAsync(new IPEndPoint(to.Address, 80), CancellationToken.None);
            world.Run();
            streams.Add(await dialling);
            streams.Add((await accepting)!.Value.Stream);
        }
        var payload = new byte[1 << 20]; // within the receive window: nobody needs to read for it to arrive
        _ = streams[0].WriteAsync(payload, TestContext.Current.CancellationToken).AsTask();
        _ = streams[2].WriteAsync(payload, TestContext.Current.CancellationToken).AsTask();
        world.Run(world.Clock.Now + TimeSpan.FromSeconds(4));
        // 400 KB in 4 s over a 100 KB/s upload, in pieces of a tenth of a second taken in turn: a half each, give or
        // take a piece.
        var (b, c) = (receivers[0].Bytes.Down, receivers[1].Bytes.Down);
        Assert.InRange(b + c, 380_000, 400_000);
        Assert.InRange(b - c, -16_384, 16_384);
        foreach (var stream in streams) await stream.DisposeAsync();
    }

    /// <summary>Two connections from <paramref name="sender"/> to two fast hosts: their client and server ends.</summary>
    private static async Task<(Stream[] Clients, Stream[] Servers, SimHost[] To)> ConnectTwice(World world, SimHost sender)
    {
        var clients = new Stream[2];
        var servers = new Stream[2];
        var hosts = new SimHost[2];
        for (var i = 0; i < 2; i++)
        {
            var to = hosts[i] = world.Network.AddHost($"r{i}", LinkSpec.Fast);
            using var listener = to.Listen(new IPEndPoint(IPAddress.Any, 80), 4);
            var accepting = listener.AcceptAsync(CancellationToken.None);
            var dialling = sender.ConnectAsync(new IPEndPoint(to.Address, 80), CancellationToken.None);
            world.Run();
            clients[i] = await dialling;
            servers[i] = (await accepting)!.Value.Stream;
        }
        return (clients, servers, hosts);
    }

    [Fact]
    public async Task Tcp_ASmallWriteOnASlowUplink_WaitsForAPacketOfTheOtherConnection_NotForABlock()
    {
        var world = new World();
        // 16 KB/s, a 128 kbit/s uplink: a 16 KiB turn is a second, a turn of a tenth of a second is 1,600 bytes.
        var sender = world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 16_000));
        var (clients, servers, to) = await ConnectTwice(world, sender);
        var start = world.Clock.Now;
        _ = clients[0].WriteAsync(new byte[64 * 1024], TestContext.Current.CancellationToken).AsTask(); // an upload in progress
        await clients[1].WriteAsync(new byte[17], TestContext.Current.CancellationToken); // a request, written just after
        // Behind one turn of the upload (0.1 s) and its own 17 bytes, plus 5 + 5 ms: there at 0.111 s. With turns of
        // 16 KiB whatever the link, it came after 1.035 s.
        world.Run(start + TimeSpan.FromMilliseconds(105));
        Assert.Equal(0, to[1].Bytes.Down);
        world.Run(start + TimeSpan.FromMilliseconds(150));
        Assert.Equal(17, to[1].Bytes.Down);
        foreach (var stream in clients.Concat(servers)) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Tcp_SmallWritesWaitingForTheirTurn_GoOutInOnePiece_AsASendBufferIsCut()
    {
        var world = new World();
        var sender = world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 16_000));
        var (clients, servers, _) = await ConnectTwice(world, sender);
        _ = clients[0].WriteAsync(new byte[64 * 1024], TestContext.Current.CancellationToken).AsTask(); // the link is busy
        for (var i = 0; i < 3; i++) // three 9-byte haves, written one after the other while they wait for their turn
            await clients[1].WriteAsync(new byte[9], TestContext.Current.CancellationToken);
        var reading = servers[1].ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask();
        world.Run(world.Clock.Now + TimeSpan.FromSeconds(1));
        // One piece of 27 bytes (a read takes one piece): cut from the send buffer when the turn came, not one a write.
        Assert.Equal(27, await reading);
        await clients[1].DisposeAsync();
        var end = servers[1].ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask();
        world.Run(world.Clock.Now + TimeSpan.FromSeconds(1));
        Assert.Equal(0, await end); // the FIN, once what was written before it has gone
        foreach (var stream in clients.Concat(servers)) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Tcp_ARstAbortsWhatTheSenderHasNotSent_EvenAfterItClosedItsEnd()
    {
        var world = new World();
        // A 16,000 B/s uplink cuts pieces of 1,600 bytes, one every 0.1 s; the path's delay is 10 ms each way.
        var sender = world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 16_000));
        var receiver = world.Network.AddHost("home", new LinkSpec(TimeSpan.FromMilliseconds(5)));
        var (client, server, _) = await TcpPairAsync(world, sender, receiver);
        // The receiver closes first (a peer it dropped); the sender, told by the FIN, closes too with 16 KiB unsent,
        // as an engine that reads the end of its peer closes while its last blocks wait in the send buffer.
        await server.DisposeAsync();
        world.Run(world.Clock.Now + TimeSpan.FromMilliseconds(50));
        await client.WriteAsync(new byte[16 * 1024], TestContext.Current.CancellationToken);
        await client.DisposeAsync();
        var downBefore = receiver.Bytes.Down;
        world.Run();
        // The first piece reaches the closed end, which answers with a RST; a kernel that gets it discards what is
        // unsent, whether the application still holds the socket or not. The simulator used to send the orphaned
        // socket's whole buffer over the receiver's download (5-8 % of a slow peer's download in a crowd).
        var crossed = receiver.Bytes.Down - downBefore;
        Assert.InRange(crossed, 1, 2 * 1_600);
        Assert.Contains(world.Log.Tail(), l => l.Contains("reset", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Tcp_AWriteOnASlowUplink_ReturnsOnceAboutASecondOfItsUploadIsLeftUnsent()
    {
        var world = new World();
        var sender = world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 32_000));
        var (clients, servers, _) = await ConnectTwice(world, sender);
        var start = world.Clock.Now;
        var writing = clients[0].WriteAsync(new byte[128 * 1024], TestContext.Current.CancellationToken).AsTask();
        // 131,072 bytes at 32,000 B/s: the write returns when at most 32,000 (a second of the upload) are unsent, at
        // 3.0 s. A send buffer of 256 KiB whatever the link let it return at once, and a request written next on the
        // same connection waited 4 s behind it.
        world.Run(start + TimeSpan.FromSeconds(2.9));
        Assert.False(writing.IsCompleted);
        world.Run(start + TimeSpan.FromSeconds(3.1));
        await writing.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken); // released at 3.0 s
        foreach (var stream in clients.Concat(servers)) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Tcp_ToASlowDownload_ASmallWriteWaitsBehindItsQueue_NotBehindAnotherSendersMegabyte()
    {
        var world = new World();
        // A 100 KB/s download with the default queue of 256 KiB; a fast sender and a 16 KB/s one, each connected to it.
        var home = world.Network.AddHost("home", new LinkSpec(TimeSpan.FromMilliseconds(5), DownBytesPerSecond: 100_000));
        var senders = new[] { world.Network.AddHost("fast", LinkSpec.Fast),
            world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 16_000)) };
        var (clients, servers) = (new Stream[2], new Stream[2]);
        using (var listener = home.Listen(new IPEndPoint(IPAddress.Any, 80), 4))
        {
            for (var i = 0; i < 2; i++)
            {
                var accepting = listener.AcceptAsync(CancellationToken.None);
                var dialling = senders[i].ConnectAsync(new IPEndPoint(home.Address, 80), CancellationToken.None);
                world.Run();
                clients[i] = await dialling;
                servers[i] = (await accepting)!.Value.Stream;
            }
        }
        var ct = TestContext.Current.CancellationToken;
        var start = world.Clock.Now;
        _ = clients[0].WriteAsync(new byte[1 << 20], ct).AsTask(); // a megabyte, within the receive window
        world.Run(start + TimeSpan.FromMilliseconds(10));
        await clients[1].WriteAsync(new byte[17], ct); // a request, just after
        // It waits behind the download's queue (256 KiB at 100 KB/s, 2.6 s) and its turn for room, as TCP behind a
        // router's queue: there by 4 s. When each sender kept up to its window on the way, it came after the fast
        // sender's whole megabyte, at 10.5 s.
        world.Run(start + TimeSpan.FromSeconds(4));
        var reading = servers[1].ReadAsync(new byte[64], ct); // what has arrived is read at once
        Assert.True(reading.IsCompleted, "the 17 bytes are still on their way after 4 s");
        Assert.Equal(17, await reading);
        // And the download was busy all along with the fast sender's bytes: 4 s at 100 KB/s, less the request.
        Assert.InRange(await ReadArrived(servers[0], ct), 380_000, 400_000);
        foreach (var stream in clients.Concat(servers)) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Tcp_ToASlowDownload_ABusySlowUplinksConnection_GetsItsHalfOfThatUplink_NotWhatAFastSenderLeaves()
    {
        var world = new World();
        var ct = TestContext.Current.CancellationToken;
        var home = world.Network.AddHost("home", new LinkSpec(TimeSpan.FromMilliseconds(5), DownBytesPerSecond: 100_000));
        var elsewhere = world.Network.AddHost("elsewhere", LinkSpec.Fast);
        var fast = world.Network.AddHost("fast", LinkSpec.Fast);
        var slow = world.Network.AddHost("slow", new LinkSpec(TimeSpan.FromMilliseconds(5), UpBytesPerSecond: 16_000));
        async Task<(Stream Client, Stream Server)> Connect(SimHost from, SimHost to, int port)
        {
            using var listener = to.Listen(new IPEndPoint(IPAddress.Any, port), 4);
            var accepting = listener.AcceptAsync(CancellationToken.None);
            var dialling = from.ConnectAsync(new IPEndPoint(to.Address, port), CancellationToken.None);
            world.Run(world.Clock.Now + TimeSpan.FromSeconds(1));
            return (await dialling, (await accepting)!.Value.Stream);
        }
        var fastHome = await Connect(fast, home, 80);
        var slowHome = await Connect(slow, home, 81);
        var slowElsewhere = await Connect(slow, elsewhere, 82);
        var start = world.Clock.Now;
        _ = fastHome.Client.WriteAsync(new byte[1 << 20], ct).AsTask();
        _ = slowElsewhere.Client.WriteAsync(new byte[1 << 20], ct).AsTask(); // the slow uplink busy with another connection
        _ = slowHome.Client.WriteAsync(new byte[64 * 1024], ct).AsTask();
        world.Run(start + TimeSpan.FromSeconds(10));

        // The slow host's 16 KB/s go half to each of its connections, 8 KB/s, less than the download's share for two
        // (50 KB/s): 64 KiB are through by 10 s, behind a queue of 2.6 s at the start. When a connection waited for
        // room in the download's queue, the fast sender took the room at each of the slow one's turns: 0 bytes by
        // 10 s; with room handed out in turn a piece at a time, 22,400.
        Assert.Equal(64 * 1024, await ReadArrived(slowHome.Server, ct));
        Assert.InRange(await ReadArrived(fastHome.Server, ct), 850_000, 1_000_000); // the download busy: 10 s of 100 KB/s
        foreach (var (client, server) in new[] { fastHome, slowHome, slowElsewhere })
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    /// <summary>What has arrived on <paramref name="stream"/> so far, read at once (a read that would wait is left).</summary>
    private static async Task<long> ReadArrived(Stream stream, CancellationToken ct)
    {
        long got = 0;
        var buffer = new byte[64 * 1024];
        for (var read = stream.ReadAsync(buffer, ct); read.IsCompleted; read = stream.ReadAsync(buffer, ct)) got += await read;
        return got;
    }

    [Fact]
    public void VanishedHost_ReceivesNothing_AndSendsNothing()
    {
        var world = new World();
        var a = world.Network.AddHost("a", LinkSpec.Fast);
        var b = world.Network.AddHost("b", LinkSpec.Fast);
        var (got, port) = Listen(b, 7, world.Clock);
        var (gotA, portA) = Listen(a, 7, world.Clock);
        b.Vanish();
        portA.Send([1], new IPEndPoint(b.Address, 7));
        port.Send([2], new IPEndPoint(a.Address, 7));
        world.Run();
        Assert.Empty(got);
        Assert.Empty(gotA);
        Assert.Contains(world.Log.Tail(), l => l.Contains("receiver vanished", StringComparison.Ordinal));
        Assert.Contains(world.Log.Tail(), l => l.Contains("sender vanished", StringComparison.Ordinal));
    }
}
