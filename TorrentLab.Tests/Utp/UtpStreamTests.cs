using System.Net;
using TorrentLab.Tests.Wire;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Utp;

/// <summary><c>Utp/UtpStream.cs</c> under the peer wire: a connection over uTP ends as one over TCP does.</summary>
public class UtpStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    /// <summary>Two peer connections over one uTP connection on loopback (ours dialled, the peer's accepted).</summary>
    private static async Task<(PeerConnection Ours, PeerConnection Peer)> UtpPairAsync(UtpSocket dialling, UtpSocket listening)
    {
        listening.Listen();
        var accepting = Task.Run(async () =>
        {
            var stream = await listening.AcceptAsync(Ct);
            return await PeerConnection.AcceptAsync(stream, stream.RemoteEndPoint, [TestDownloader.OtherHash], PeerId.CreateOurs(), TestDownloader.Quick, Ct);
        }, Ct);
        var ours = await PeerConnection.ConnectAsync(listening.LocalEndPoint, async token => await dialling.ConnectAsync(listening.LocalEndPoint, token),
            TestDownloader.OtherHash, PeerId.CreateOurs(), TestDownloader.Quick, Ct);
        return (ours, await accepting.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("utp")]
    public async Task Send_AfterOurOwnClose_FailsAsAConnectionClosedLocally_NotAsAFaultOfOurs(string transport)
    {
        // A swarm peer's send racing its own close (a drop, the end of a download): SwarmPeer reports a WireException
        // with its reason as a normal disconnect; any other exception as "internal error with this peer".
        await using var dialling = UtpSocket.Bind(Loopback);
        await using var listening = UtpSocket.Bind(Loopback);
        var (ours, peer) = transport == "utp" ? await UtpPairAsync(dialling, listening) : await TestDownloader.PairAsync(TestDownloader.OtherHash);
        await using var _ = peer;

        ours.Dispose();
        var error = await Record.ExceptionAsync(async () => await ours.SendInterestedAsync(Ct));

        var closed = Assert.IsType<WireException>(error);
        Assert.False(closed.IsViolation);
        Assert.Equal("the connection was closed locally", closed.Reason);
    }

    [Fact]
    public async Task Send_WaitingForRoomWhenWeClose_FailsAsAConnectionClosedLocally()
    {
        await using var dialling = UtpSocket.Bind(Loopback);
        await using var listening = UtpSocket.Bind(Loopback);
        var (ours, peer) = await UtpPairAsync(dialling, listening);
        await using var _ = peer; // it never reads: our writes wait once its window and our send buffer are full
        var block = new byte[16 * 1024];
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 4096; i++) await ours.SendAsync(PeerMessage.Piece(0, 0, block), Ct); // 64 MiB: more than both buffers
        }, Ct);
        Assert.True(await Infrastructure.Wait.UntilAsync(() => ours.BytesSent > 1 << 20, TimeSpan.FromSeconds(30), Ct),
            "the sends never filled a buffer");

        ours.Dispose();

        var closed = await Assert.ThrowsAsync<WireException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.False(closed.IsViolation);
        Assert.Equal("the connection was closed locally", closed.Reason);
    }

    [Fact]
    public async Task AZeroByteRead_WaitsForBytes_AsASocketsDoes()
    {
        await using var dialling = UtpSocket.Bind(Loopback);
        await using var listening = UtpSocket.Bind(Loopback);
        listening.Listen();
        await using var ours = await dialling.ConnectAsync(listening.LocalEndPoint, Ct);
        await ours.WriteAsync("a"u8.ToArray(), Ct);   // an incoming connection is accepted once it carries bytes
        await using var theirs = await listening.AcceptAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var one = new byte[1];
        Assert.Equal(1, await theirs.ReadAsync(one, Ct));

        var waiting = theirs.ReadAsync(Memory<byte>.Empty, Ct);
        Assert.False(waiting.IsCompleted);   // nothing more was written: a read of 0 bytes must not look like the end
        await ours.WriteAsync("x"u8.ToArray(), Ct);
        Assert.Equal(0, await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(1, await theirs.ReadAsync(one, Ct));
        Assert.Equal((byte)'x', one[0]);
    }

    [Fact]
    public async Task APeerConnectionOverUtp_WaitingForAMessage_HoldsNoBuffers()
    {
        await using var dialling = UtpSocket.Bind(Loopback);
        await using var listening = UtpSocket.Bind(Loopback);
        var (ours, peer) = await UtpPairAsync(dialling, listening);
        await using var _ = ours;
        await using var __ = peer;

        var waiting = peer.ReceiveAsync(Ct);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, peer.HeldBufferBytes);
        await ours.SendInterestedAsync(Ct);
        Assert.Equal(MessageKind.Interested, (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct)).Kind);
    }
}
