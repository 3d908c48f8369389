using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class PeerConnectionTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static PeerConnectionOptions For(TestTorrents.Built built) => TestDownloader.Quick with { PieceCount = built.Torrent.PieceCount };

    [Fact]
    public async Task Download_FromNormalPeer_EveryPieceMatchesItsSha1()
    {
        var built = TestTorrents.SingleFile(length: 100_000, pieceLength: 32 * 1024);   // 4 pieces, the last one short
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), For(built), Ct);

        Assert.Equal(peer.PeerId, connection.RemotePeerId);
        Assert.True(connection.PeerChoking);
        Assert.False(connection.AmInterested);
        var first = await connection.ReceiveAsync(Ct);
        Assert.Equal(MessageKind.Bitfield, first.Kind);
        Assert.True(connection.PeerPieces!.IsComplete);

        var payload = await TestDownloader.DownloadAsync(connection, built.Torrent, ct: Ct);

        Assert.Empty(TestDownloader.BadPieces(built.Torrent, payload));
        Assert.Equal(built.Payload, payload);
        Assert.True(connection.AmInterested);
        Assert.False(connection.PeerChoking);
        Assert.Equal(built.Payload.LongLength, peer.BytesUploaded);
    }

    [Fact]
    public async Task ConnectAsync_PeerAnswersWithAnotherInfoHash_ThrowsNamingBothHashes()
    {
        var built = TestTorrents.SingleFile();
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.WrongInfoHash));

        var e = await Assert.ThrowsAsync<WireException>(() =>
            PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), For(built), Ct));

        Assert.Contains($"expected {built.Torrent.InfoHash.Hex}", e.Message);
        Assert.Contains("answered with info hash", e.Message);
        Assert.Contains(peer.EndPoint.ToString(), e.Message);
        Assert.True(e.IsViolation);   // a peer of another torrent broke the handshake: a bad peer
    }

    [Fact]
    public async Task ReceiveAsync_OversizedLengthPrefix_ThrowsWithoutAllocatingIt()
    {
        var built = TestTorrents.SingleFile();
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.OversizedLength));
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), For(built), Ct);
        await connection.ReceiveAsync(Ct);   // the bitfield
        var before = GC.GetTotalAllocatedBytes();

        var e = await Assert.ThrowsAsync<WireException>(async () => await connection.ReceiveAsync(Ct));

        Assert.Contains("message length 2147483647 exceeds", e.Message);
        Assert.True(e.IsViolation);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 256L * 1024 * 1024, "the 2 GiB the prefix announced was never allocated");
        // The connection is closed: the peer sees it go.
        await Assert.ThrowsAsync<WireException>(async () => await connection.ReceiveAsync(Ct));
    }

    [Fact]
    public async Task ReceiveAsync_HaveOutOfRange_ThrowsNamingTheIndex()
    {
        var built = TestTorrents.SingleFile(length: 100_000);   // 7 pieces
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.HaveOutOfRange));
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), For(built), Ct);
        await connection.ReceiveAsync(Ct);

        var e = await Assert.ThrowsAsync<WireException>(async () => await connection.ReceiveAsync(Ct));

        Assert.Contains("have for piece index 7, but the torrent has 7 pieces", e.Message);
        Assert.True(e.IsViolation);
    }

    [Fact]
    public async Task Download_FromCorruptingPeer_TheCorruptPieceFailsItsSha1()
    {
        var built = TestTorrents.SingleFile(length: 100_000);
        var options = SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.CorruptBlock) with { CorruptPieceIndex = 3 };
        await using var peer = SyntheticPeer.Start(options);
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), For(built), Ct);

        var payload = await TestDownloader.DownloadAsync(connection, built.Torrent, ct: Ct);

        Assert.Equal([3], TestDownloader.BadPieces(built.Torrent, payload));
        Assert.Contains(peer.Log, line => line.EndsWith("sent corrupt block index=3 begin=0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectAsync_PeerNeverAnswersTheHandshake_TimesOutWithAClearError()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(1);
        var options = TestDownloader.Quick with { HandshakeTimeout = TimeSpan.FromMilliseconds(200) };

        var e = await Assert.ThrowsAsync<WireException>(() =>
            PeerConnection.ConnectAsync((IPEndPoint)silent.LocalEndPoint!, TestDownloader.OtherHash, PeerId.CreateOurs(), options, Ct));

        Assert.Contains("no complete handshake within 0.2 s", e.Message);
        Assert.False(e.IsViolation);   // a slow peer is merely gone, not a bad one
    }

    [Fact]
    public async Task ConnectAsync_NobodyListening_ThrowsCannotConnect()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));   // a free port that nobody listens on
        var endpoint = (IPEndPoint)probe.LocalEndPoint!;

        var e = await Assert.ThrowsAsync<WireException>(() =>
            PeerConnection.ConnectAsync(endpoint, TestDownloader.OtherHash, PeerId.CreateOurs(), TestDownloader.Quick, Ct));

        Assert.Contains($"peer {endpoint}: cannot connect", e.Message);
        Assert.False(e.IsViolation);
    }

    [Fact]
    public async Task AcceptAsync_TorrentWeDoNotServe_DropsThePeerWithoutAnswering()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var dialer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await dialer.ConnectAsync(listener.LocalEndPoint!, Ct);
        await dialer.SendAsync(new Handshake(TestDownloader.OtherHash, PeerId.CreateOurs()).ToBytes(), SocketFlags.None, Ct);
        var accepted = await listener.AcceptAsync(Ct);

        var e = await Assert.ThrowsAsync<WireException>(() =>
            PeerConnection.AcceptAsync(accepted, [], PeerId.CreateOurs(), TestDownloader.Quick, Ct));

        Assert.Contains($"asks for info hash {TestDownloader.OtherHash.Hex}, which we do not serve", e.Message);
        Assert.Equal(0, await dialer.ReceiveAsync(new byte[68], SocketFlags.None, Ct));   // closed, no handshake back
    }

    [Fact]
    public async Task SendAsync_FromManyTasksAtOnce_EveryMessageArrivesWhole()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, TestDownloader.Quick with { PieceCount = 800 },
            TestDownloader.Quick with { PieceCount = 800 });
        await using var _ = client;
        await using var __ = server;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(task => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++) await client.SendHaveAsync(task * 100 + i, Ct);
        }, Ct)));
        var received = new HashSet<int>();
        for (var i = 0; i < 800; i++) received.Add((await server.ReceiveAsync(Ct)).Index);

        Assert.Equal(Enumerable.Range(0, 800), received.Order());
        Assert.True(server.PeerPieces!.IsComplete);
        Assert.Equal(800, server.PeerPieces.Count);
    }

    [Fact]
    public async Task ReceiveAsync_LateBitfieldThatTakesBackAPiece_IsAViolation()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, TestDownloader.Quick with { PieceCount = 12 },
            TestDownloader.Quick with { PieceCount = 12 });
        await using var _ = client;
        await using var __ = server;
        var withoutPiece1 = Bitfield.Full(12);
        withoutPiece1.Clear(1);
        await client.SendHaveAsync(1, Ct);
        await client.SendBitfieldAsync(withoutPiece1, Ct);

        await server.ReceiveAsync(Ct);
        var e = await Assert.ThrowsAsync<WireException>(async () => await server.ReceiveAsync(Ct));

        Assert.Contains("bitfield received after other messages takes back piece 1", e.Message);
    }

    [Fact]
    public async Task ReceiveAsync_LateBitfieldThatOnlyAddsPieces_CountsAsHaves() // aria2 sends one instead of 20+ haves
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, TestDownloader.Quick with { PieceCount = 12 },
            TestDownloader.Quick with { PieceCount = 12 });
        await using var _ = client;
        await using var __ = server;
        await client.SendHaveAsync(1, Ct);
        await client.SendBitfieldAsync(Bitfield.Full(12), Ct);

        await server.ReceiveAsync(Ct);
        var late = await server.ReceiveAsync(Ct);

        Assert.Equal(MessageKind.Bitfield, late.Kind);
        Assert.True(server.PeerPieces!.IsComplete);
    }

    [Fact]
    public async Task ReceiveAsync_LargeBlockOnlyAfterWeAskedForIt()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, TestDownloader.Quick with { PieceCount = 1 },
            TestDownloader.Quick with { PieceCount = 1 });
        await using var _ = client;
        await using var __ = server;
        var big = new byte[2 * WireLimits.BlockLength];

        await client.SendRequestAsync(0, 0, big.Length, Ct);           // we asked for 32 KiB...
        var request = await server.ReceiveAsync(Ct);
        await server.SendPieceAsync(0, 0, big, Ct);                     // ...so 32 KiB may come back
        var piece = await client.ReceiveAsync(Ct);
        await client.SendPieceAsync(0, 0, big, Ct);                     // but the other side never asked
        var e = await Assert.ThrowsAsync<WireException>(async () => await server.ReceiveAsync(Ct));

        Assert.Equal(big.Length, request.Length);
        Assert.Equal(big.Length, piece.Length);
        Assert.Contains("piece message (id 7) of length 32777, expected 10..16393", e.Message);
    }

    [Fact]
    public async Task ReceiveAsync_PortAndUnknownIds_AreCountedAndSkipped()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash);
        await using var _ = client;
        await using var __ = server;

        await client.SendAsync(new[] { PeerMessage.UnknownOf(24, new byte[] { 0, 1, 2 }), PeerMessage.PortOf(6881), PeerMessage.KeepAlive, PeerMessage.Interested }, Ct);
        var message = await server.ReceiveAsync(Ct);

        Assert.Equal(MessageKind.Interested, message.Kind);
        Assert.Equal(2, server.MessagesIgnored);
        Assert.Equal(1, server.KeepAlivesReceived);
    }

    [Fact]
    public async Task TryReceive_ReturnsWhatIsBufferedWithoutWaiting()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash, TestDownloader.Quick with { PieceCount = 12 },
            TestDownloader.Quick with { PieceCount = 12 });
        await using var _ = client;
        await using var __ = server;
        await client.SendAsync(new[] { PeerMessage.Have(1), PeerMessage.Have(2) }, Ct);   // one socket write

        var first = await server.ReceiveAsync(Ct);
        var second = server.TryReceive(out var buffered);
        var third = server.TryReceive(out var nothing);

        Assert.Equal(1, first.Index);
        Assert.True(second);
        Assert.Equal(2, buffered.Index);
        Assert.False(third);
    }

    [Fact]
    public async Task ReceiveAsync_CalledTwiceAtOnce_IsCallerMisuse()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash);
        await using var _ = client;
        await using var __ = server;
        var pending = server.ReceiveAsync(Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await server.ReceiveAsync(Ct));

        await client.SendInterestedAsync(Ct);
        Assert.Equal(MessageKind.Interested, (await pending).Kind);
        Assert.True(server.PeerInterested);
    }

    [Fact]
    public async Task SetPieceCount_AfterAnEarlyBitfieldAndHave_ValidatesAndAppliesThem()
    {
        var (client, server) = await TestDownloader.PairAsync(TestDownloader.OtherHash);   // piece count unknown (magnet)
        await using var _ = client;
        await using var __ = server;
        await client.SendAsync(PeerMessage.BitfieldOf(new byte[] { 0xC0, 0x00 }), Ct);
        await client.SendHaveAsync(9, Ct);
        await server.ReceiveAsync(Ct);
        await server.ReceiveAsync(Ct);
        Assert.Null(server.PeerPieces);

        server.SetPieceCount(12);

        Assert.Equal([0, 1, 9], server.PeerPieces!.SetIndexes());
        Assert.Throws<InvalidOperationException>(() => server.SetPieceCount(13));
    }

    [Fact]
    public async Task Trace_SeesHandshakeAndEveryMessageWithDirection()
    {
        var built = TestTorrents.SingleFile(length: 20_000);   // 2 pieces
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        var lines = new ConcurrentQueue<string>();
        var options = For(built) with { Trace = e => lines.Enqueue(e.ToString()) };
        await using var connection = await PeerConnection.ConnectAsync(peer.EndPoint, built.Torrent.InfoHash, PeerId.CreateOurs(), options, Ct);

        await TestDownloader.DownloadAsync(connection, built.Torrent, ct: Ct);

        var list = lines.ToList();
        Assert.StartsWith($"-> handshake info_hash={built.Torrent.InfoHash.Hex} peer_id=2d545a", list[0]);   // "-TZ"
        Assert.Equal($"<- handshake info_hash={built.Torrent.InfoHash.Hex} peer_id={peer.PeerId.Hex} extensions=no fast=yes transport=tcp encryption=none", list[1]);
        Assert.Equal(
            ["-> interested", "<- bitfield bytes=1 set=2", "<- unchoke",
             "-> request index=0 begin=0 len=16384", "-> request index=1 begin=0 len=3616",
             "<- piece index=0 begin=0 len=16384", "<- piece index=1 begin=0 len=3616"],
            list.Skip(2));
    }

    [Fact]
    public void TraceEvent_ToString_RendersTheTraceLine()
    {
        var peer = new IPEndPoint(IPAddress.Loopback, 6881);
        var wire = MessageWriter.ToBytes(PeerMessage.Piece(3, 16384, new byte[16384]));

        var e = WireTraceEvent.For(peer, WireDirection.Received, PeerMessage.Piece(3, 16384, new byte[16384]), wire);

        Assert.Equal("<- piece index=3 begin=16384 len=16384", e.ToString());
        Assert.Equal("00004009070000000300004000", e.HeadHex);   // <len=16393><id=7><index=3><begin=16384>
        Assert.Equal(16397, e.WireLength);
    }
}
