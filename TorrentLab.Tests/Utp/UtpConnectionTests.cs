using System.Net;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

/// <summary>The state machine driven by hand: packets in, packets out, time moved by the test.</summary>
public class UtpConnectionTests
{
    private static readonly IPEndPoint PeerA = new(IPAddress.Loopback, 1001);
    private static readonly IPEndPoint PeerB = new(IPAddress.Loopback, 1002);
    private static readonly UtpOptions Options = new();

    /// <summary>Two connections joined by hand: what each sends waits in its outbox until the test delivers it.</summary>
    private sealed class Pair
    {
        public long Now = 1_000_000;
        public long LinkDelay = 500;
        public readonly List<byte[]> FromA = [];
        public readonly List<byte[]> FromB = [];
        public readonly List<UtpHeader> DeliveredFromB = [];
        public UtpConnection A = null!;
        public UtpConnection B = null!;

        public static Pair Connected(ushort idA = 0x1000, ushort seqA = 100, ushort seqB = 5000, UtpOptions? options = null)
        {
            var pair = new Pair();
            pair.A = UtpConnection.Connect(PeerB, idA, seqA, options ?? Options, () => pair.Now, d => pair.FromA.Add(d.ToArray()));
            var syn = UtpPacket.Decode(pair.Take(pair.FromA).Single());
            pair.B = UtpConnection.Accept(PeerA, syn, seqB, options ?? Options, () => pair.Now, d => pair.FromB.Add(d.ToArray()));
            pair.DeliverAll();
            return pair;
        }

        public List<byte[]> Take(List<byte[]> outbox)
        {
            var taken = outbox.ToList();
            outbox.Clear();
            return taken;
        }

        /// <summary>Delivers everything both ways until both are quiet; <paramref name="drop"/> loses chosen packets.</summary>
        public void DeliverAll(Func<UtpPacket, bool>? drop = null)
        {
            for (var round = 0; round < 1000 && (FromA.Count > 0 || FromB.Count > 0); round++)
            {
                Now += LinkDelay;   // a one-way delay, so that the delay samples LEDBAT runs on are not 0 ("no sample")
                foreach (var d in Take(FromA)) { var p = UtpPacket.Decode(d); if (drop?.Invoke(p) != true) B.OnPacket(p); }
                B.FlushAck();
                foreach (var d in Take(FromB)) { var p = UtpPacket.Decode(d); DeliveredFromB.Add(p.Header); if (drop?.Invoke(p) != true) A.OnPacket(p); }
                A.FlushAck();
            }
        }
    }

    private static UtpHeader Header(byte[] datagram) => UtpHeader.Read(datagram);

    [Fact]
    public void Connect_SendsSynOnItsReceiveId_AndWaitsInSynSent()
    {
        var sent = new List<byte[]>();

        var connection = UtpConnection.Connect(PeerB, 0x1000, 100, Options, () => 1, d => sent.Add(d.ToArray()));

        var syn = Header(sent.Single());
        Assert.Equal((UtpPacketType.Syn, (ushort)0x1000, (ushort)100), (syn.Type, syn.ConnectionId, syn.SeqNr));
        Assert.Equal(UtpState.SynSent, connection.State);
        Assert.Equal((0x1000, 0x1001), (connection.ReceiveId, connection.SendId));   // the return path is id + 1
    }

    [Fact]
    public void Accept_AnswersStateWithItsNextSeqAndTheSynsSeqAsAck()
    {
        var syn = UtpPacket.Decode(UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Syn, 0x1000, 1, 0, 0, 100, 0)));
        var sent = new List<byte[]>();

        var connection = UtpConnection.Accept(PeerA, syn, 5000, Options, () => 1, d => sent.Add(d.ToArray()));

        var state = Header(sent.Single());
        Assert.Equal((UtpPacketType.State, (ushort)0x1000, (ushort)5000, (ushort)100), (state.Type, state.ConnectionId, state.SeqNr, state.AckNr));
        Assert.Equal(UtpState.SynReceived, connection.State);
        Assert.Equal((0x1001, 0x1000), (connection.ReceiveId, connection.SendId));
    }

    [Fact]
    public async Task Handshake_ThenData_BothSidesConnectedAndFirstDataTakesTheSynSeqPlusOne()
    {
        var pair = Pair.Connected();
        Assert.Equal(UtpState.Connected, pair.A.State);
        Assert.True(pair.A.Connected.IsCompletedSuccessfully);

        await pair.A.WriteAsync("hello"u8.ToArray(), CancellationToken.None);
        var data = Header(pair.FromA.Single());

        // seq_nr = SYN + 1; ack_nr = the acceptor's ST_STATE seq - 1 (that ST_STATE consumed none); conn_id = recv_id + 1
        Assert.Equal((UtpPacketType.Data, (ushort)101, (ushort)4999, (ushort)0x1001), (data.Type, data.SeqNr, data.AckNr, data.ConnectionId));
        pair.DeliverAll();
        Assert.Equal(UtpState.Connected, pair.B.State);
        var buffer = new byte[16];
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, await pair.B.ReadAsync(buffer, CancellationToken.None)));
    }

    [Fact]
    public async Task Transfer_AcrossTheSequenceWrap_DeliversInOrder()
    {
        var pair = Pair.Connected(seqA: 65530, seqB: 65533);
        var data = TorrentLab.Tests.Infrastructure.TestTorrents.Payload(40_000, 3);   // about 30 packets: seq 65531 .. 24

        var writing = pair.A.WriteAsync(data, CancellationToken.None).AsTask();
        for (var i = 0; i < 200 && !writing.IsCompleted; i++) pair.DeliverAll();
        pair.DeliverAll();
        await writing;

        var received = new byte[data.Length];
        for (var at = 0; at < received.Length;) at += await pair.B.ReadAsync(received.AsMemory(at), CancellationToken.None);
        Assert.Equal(data, received);
    }

    [Fact]
    public void ResentSyn_WhileSynReceived_IsAnsweredWithTheSameState()
    {
        var syn = UtpPacket.Decode(UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Syn, 0x1000, 1, 0, 0, 100, 0)));
        var sent = new List<byte[]>();
        var connection = UtpConnection.Accept(PeerA, syn, 5000, Options, () => 1, d => sent.Add(d.ToArray()));

        connection.OnPacket(syn);                                              // our ST_STATE was lost: the peer resends

        Assert.Equal(2, sent.Count);
        Assert.Equal(Header(sent[0]) with { TimestampMicros = 0 }, Header(sent[1]) with { TimestampMicros = 0 });
        Assert.Equal(UtpState.SynReceived, connection.State);
    }

    [Fact]
    public async Task SlowReader_ClosesTheAdvertisedWindow_SenderWaits_ThenEverythingArrives()
    {
        var options = new UtpOptions { ReceiveBufferSize = 64 * 1024, InitialWindow = 1 << 20 };
        var pair = Pair.Connected(options: options);
        var data = TorrentLab.Tests.Infrastructure.TestTorrents.Payload(300_000, 5);
        var writing = pair.A.WriteAsync(data, CancellationToken.None).AsTask();
        for (var i = 0; i < 50; i++)
        {
            pair.DeliverAll();
            pair.Now += 10_000;
            pair.A.Tick();
        }

        // B has read nothing: A keeps no more in flight than B's buffer holds, and has not delivered the whole payload.
        Assert.True(pair.A.BytesInFlight <= 64 * 1024 + 1400, $"{pair.A.BytesInFlight} bytes in flight");
        Assert.True(pair.A.UnackedPackets > 0, "everything was acked although the reader read nothing");
        var smallest = pair.DeliveredFromB.Min(h => h.WindowSize);
        Assert.True(smallest < 1400, $"B's advertised window never closed: {smallest}");

        var received = new byte[data.Length];
        for (var at = 0; at < received.Length;)
        {
            var read = pair.B.ReadAsync(received.AsMemory(at), CancellationToken.None).AsTask();
            for (var round = 0; round < 1000 && !read.IsCompleted; round++)
            {
                pair.DeliverAll();
                pair.Now += 10_000;
                pair.A.Tick();
                pair.B.Tick();
                await Task.WhenAny(read, Task.Delay(5, TestContext.Current.CancellationToken));   // the woken read continues on the thread pool
            }
            Assert.True(read.IsCompleted, $"stalled after {at} bytes");
            at += await read;
        }
        await writing;
        Assert.Equal(data, received);
    }

    [Fact]
    public async Task ThreeDuplicateAcks_ResendTheNextPacketAtOnce_AndHalveTheWindow()
    {
        var pair = Pair.Connected();
        await pair.A.WriteAsync(new byte[1000], CancellationToken.None);      // seq 101, in flight
        pair.Take(pair.FromA);
        var window = pair.A.Congestion.MaxWindow;
        var duplicate = UtpPacket.Decode(UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1000, 0, 0, 1 << 20, 5000, 100)));

        for (var i = 0; i < 3; i++) pair.A.OnPacket(duplicate);                // ack_nr stays at the SYN: 101 is missing

        var resent = Header(pair.FromA.Single());
        Assert.Equal((UtpPacketType.Data, (ushort)101), (resent.Type, resent.SeqNr));
        Assert.Equal(window / 2, pair.A.Congestion.MaxWindow);
    }

    [Fact]
    public async Task SelectiveAck_ThreePacketsPastAGap_ResendTheMissingOne()
    {
        var pair = Pair.Connected(options: new UtpOptions { InitialWindow = 100_000 });
        await pair.A.WriteAsync(new byte[1380 * 5], CancellationToken.None);  // five full packets: 101 .. 105
        Assert.Equal(5, pair.Take(pair.FromA).Count);
        // ack_nr = 100 (the SYN): 101 missing; bits 0..2 = 102, 103, 104 received
        var sack = UtpPacket.Decode(UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1000, 0, 0, 1 << 20, 5000, 100), [0x07, 0, 0, 0]));

        pair.A.OnPacket(sack);

        Assert.Equal((ushort)101, Header(pair.FromA.Single()).SeqNr);
        Assert.Equal(2 * 1380, pair.A.BytesInFlight);                          // 101 (resent) and 105 remain
    }

    [Fact]
    public async Task Timeout_ResendsTheOldestPacket_WithTheWindowAt150Bytes()
    {
        var pair = Pair.Connected();
        await pair.A.WriteAsync(new byte[1380 * 2], CancellationToken.None);
        Assert.Equal(2, pair.Take(pair.FromA).Count);

        pair.Now += 499_000;
        pair.A.Tick();
        Assert.Empty(pair.FromA);               // not yet: the SYN's round trip (0 here) set the timeout to its 500 ms floor
        pair.Now += 2_000;
        pair.A.Tick();

        Assert.Equal((ushort)101, Header(pair.FromA.Single()).SeqNr);          // one packet: nothing is in flight after a timeout
        Assert.Equal(Ledbat.MinPacketSize, pair.A.Congestion.MaxWindow);
        Assert.Equal(1, pair.A.Rtt.ConsecutiveTimeouts);
    }

    [Fact]
    public async Task SynNeverAnswered_FailsAfterThreeTimeouts()
    {
        long now = 0;
        var connection = UtpConnection.Connect(PeerB, 7, 1, Options, () => now, _ => { });
        foreach (var step in new[] { 1_000_001, 2_000_001, 4_000_001 })
        {
            now += step;
            connection.Tick();
        }

        Assert.Equal(UtpState.Failed, connection.State);
        var error = await Assert.ThrowsAsync<UtpException>(() => connection.Connected);
        Assert.Contains("no answer to our SYN", error.Message);
    }

    [Fact]
    public async Task Close_SendsFinAfterTheData_AndBothFinsAckedCloseTheConnection()
    {
        var pair = Pair.Connected();
        await pair.A.WriteAsync("last words"u8.ToArray(), CancellationToken.None);
        pair.A.Close();
        Assert.Equal([UtpPacketType.Data, UtpPacketType.Fin], pair.FromA.Select(d => Header(d).Type));
        pair.DeliverAll();
        Assert.Equal(UtpState.FinSent, pair.A.State);

        var buffer = new byte[32];
        Assert.Equal(10, await pair.B.ReadAsync(buffer, CancellationToken.None));
        Assert.Equal(0, await pair.B.ReadAsync(buffer, CancellationToken.None));   // the FIN: end of stream
        pair.B.Close();
        pair.DeliverAll();

        Assert.Equal(UtpState.Closed, pair.A.State);
        Assert.Equal(UtpState.Closed, pair.B.State);
    }

    [Fact]
    public async Task Write_AfterOurOwnClose_ThrowsObjectDisposed_AsATcpSocketsStreamDoes()
    {
        // TCP's answer to the same race: a write on a socket's stream that our side disposed.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        var tcp = client.GetStream();
        tcp.Dispose();
        var tcpError = await Record.ExceptionAsync(async () => await tcp.WriteAsync(new byte[4], TestContext.Current.CancellationToken));
        var pair = Pair.Connected();

        pair.A.Close();
        var utpError = await Record.ExceptionAsync(async () => await pair.A.WriteAsync(new byte[4], CancellationToken.None));

        Assert.IsType<ObjectDisposedException>(tcpError);
        Assert.IsType(tcpError.GetType(), utpError);
        Assert.Contains("closed by this side", utpError.Message);
    }

    [Fact]
    public async Task Write_WaitingForRoomWhenWeClose_ThrowsObjectDisposed()
    {
        var pair = Pair.Connected();
        var write = pair.A.WriteAsync(new byte[Options.SendBufferSize + 1], CancellationToken.None).AsTask(); // one byte more than fits
        Assert.False(write.IsCompleted); // waits for the peer's acks, which the test never delivers

        pair.A.Close();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => write.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reset_FailsReadsWithTheReason()
    {
        var pair = Pair.Connected();

        pair.A.Abort();
        pair.DeliverAll();

        Assert.Equal(UtpState.Failed, pair.B.State);
        var error = await Assert.ThrowsAsync<UtpException>(async () => await pair.B.ReadAsync(new byte[4], CancellationToken.None));
        Assert.Contains("ST_RESET", error.Message);
    }

    [Fact]
    public async Task AckOfAPacketNeverSent_IsIgnored()
    {
        var pair = Pair.Connected();
        await pair.A.WriteAsync(new byte[100], CancellationToken.None);
        pair.Take(pair.FromA);
        var forged = UtpPacket.Decode(UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1000, 0, 0, 1 << 20, 5000, 900)));

        pair.A.OnPacket(forged);

        Assert.Equal(100, pair.A.BytesInFlight);                               // 101 is still unacked
    }

    [Fact]
    public void LostPackets_AreResentUntilEverythingArrives()
    {
        var pair = Pair.Connected();
        var data = TorrentLab.Tests.Infrastructure.TestTorrents.Payload(30_000, 9);
        var writing = pair.A.WriteAsync(data, CancellationToken.None).AsTask();
        var dropped = new HashSet<ushort>();
        for (var i = 0; i < 400 && !(writing.IsCompleted && pair.A.BytesInFlight == 0); i++)
        {
            // lose the first transmission of every fifth data packet
            pair.DeliverAll(p => p.Header.Type == UtpPacketType.Data && p.Header.SeqNr % 5 == 0 && dropped.Add(p.Header.SeqNr));
            pair.Now += 100_000;
            pair.A.Tick();
            pair.B.Tick();
        }

        Assert.True(dropped.Count >= 4);
        Assert.Equal(0, pair.A.BytesInFlight);
    }
}
