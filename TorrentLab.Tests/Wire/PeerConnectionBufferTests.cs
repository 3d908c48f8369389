using System.Net;
using System.Net.Sockets;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>What a connection holds while it moves no data: no receive or send buffer (a session may keep thousands of
/// idle connections). It waits for bytes with a zero-byte read, which every stream it reads from must complete only
/// once bytes are there (the uTP and simulated streams are checked beside their own tests).</summary>
public class PeerConnectionBufferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly PeerConnectionOptions Options = TestDownloader.Quick with { PieceCount = 4 };

    [Fact]
    public async Task AConnectionWaitingForAMessage_HoldsNoBuffers_AndTakesOneOnlyWhileBytesAreUnread()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, Options, Options);
        await using var _ = client;
        await using var __ = server;
        Assert.Equal(0, client.HeldBufferBytes);   // handshake done, nothing sent since
        Assert.Equal(0, server.HeldBufferBytes);

        var waiting = server.ReceiveAsync(Ct);
        Assert.False(waiting.IsCompleted);   // nothing was sent: it waits
        Assert.Equal(0, server.HeldBufferBytes);

        var block = Enumerable.Range(0, WireLimits.BlockLength).Select(i => (byte)i).ToArray();
        await client.SendPieceAsync(2, 0, block, Ct);
        Assert.Equal(0, client.HeldBufferBytes);   // the send is over: its buffer went back
        var piece = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(MessageKind.Piece, piece.Kind);
        Assert.Equal(block, piece.Payload.ToArray());
        Assert.True(server.HeldBufferBytes >= block.Length, "the block is read in place, from the receive buffer");

        var next = server.ReceiveAsync(Ct);
        Assert.False(next.IsCompleted);
        Assert.Equal(0, server.HeldBufferBytes);   // all read: the buffer went back while it waits again
        await client.SendInterestedAsync(Ct);
        Assert.Equal(MessageKind.Interested, (await next.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct)).Kind);
        Assert.True(server.PeerInterested);
    }

    [Fact]
    public async Task AZeroByteRead_OfKernelTcpAndOfRc4OverIt_WaitsForBytes()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var dialler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await dialler.ConnectAsync(listener.LocalEndPoint!, Ct);
        using var accepted = await listener.AcceptAsync(Ct);
        await using var plain = new NetworkStream(accepted, ownsSocket: false);
        await using var sender = new NetworkStream(dialler, ownsSocket: false);
        byte[] key = [1, 2, 3, 4, 5, 6, 7, 8];
        await using var encrypted = new Rc4Stream(plain, new Rc4(key), new Rc4(key));
        await using var encryptedSender = new Rc4Stream(sender, new Rc4(key), new Rc4(key));

        foreach (var (reader, writer) in new (Stream, Stream)[] { (plain, sender), (encrypted, encryptedSender) })
        {
            var waiting = reader.ReadAsync(Memory<byte>.Empty, Ct);
            Assert.False(waiting.IsCompleted);   // nothing was written: a read of 0 bytes must not look like the end
            await writer.WriteAsync("x"u8.ToArray(), Ct);
            Assert.Equal(0, await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));
            var one = new byte[1];
            Assert.Equal(1, await reader.ReadAsync(one, Ct));
            Assert.Equal((byte)'x', one[0]);
        }
    }
}
