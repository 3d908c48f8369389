using System.Net;

namespace TorrentLab.Utp;

/// <summary>Where a connection stands (BEP 29's CS_* states, plus the two ends of a connection's life).</summary>
internal enum UtpState
{
    /// <summary>CS_SYN_SENT: we sent ST_SYN and wait for the ST_STATE that acks it.</summary>
    SynSent,

    /// <summary>CS_SYN_RECV: we answered a peer's ST_SYN and wait for its first ST_DATA (we may already send).</summary>
    SynReceived,

    /// <summary>CS_CONNECTED: data flows both ways.</summary>
    Connected,

    /// <summary>We sent ST_FIN: nothing more from us; we wait for its ack (and read what the peer still sends).</summary>
    FinSent,

    /// <summary>Done cleanly: our FIN was acked (and the peer's FIN arrived, or we stopped waiting for it).</summary>
    Closed,

    /// <summary>Done badly: reset by either side, or timed out.</summary>
    Failed,
}

/// <summary>Sends one datagram to the connection's peer.</summary>
internal delegate void DatagramSender(ReadOnlySpan<byte> datagram);

/// <summary>One uTP connection (BEP 29): this file is its state machine; sending, receiving, timers and the byte
/// stream API are in the partial files beside it.</summary>
/// <remarks>
/// Packets in, packets out: the connection owns no socket. <see cref="OnPacket"/> takes a decoded packet from the
/// socket owner, <see cref="Tick"/> runs its timers, and it emits datagrams through a <see cref="DatagramSender"/>.
/// The clock is a function returning microseconds, so tests can drive a connection through every state by hand.
/// One lock guards everything; the socket's receive thread, its timer and the user's reads and writes take it.
/// <code>
///  initiator                                          acceptor
///  SynSent   ST_SYN seq=s, conn_id=recv_id   ------>  SynReceived (recv_id = id+1, send_id = id, ack_nr = s)
///  Connected &lt;------  ST_STATE seq=t ack=s             (t: its next seq_nr; ST_STATE does not consume it)
///            ack_nr = t - 1
///            ST_DATA seq=s+1 ack=t-1         ------>  Connected (offered to AcceptAsync from here on)
///            (or ST_STATE ack=t-1 when we have nothing to send yet)
/// </code>
/// </remarks>
internal sealed partial class UtpConnection
{
    private readonly object _gate = new();
    private readonly DatagramSender _send;
    private readonly Func<long> _clock;
    private readonly UtpOptions _options;
    private readonly RttEstimator _rtt = new();
    private readonly Ledbat _ledbat;
    private readonly long _createdAt;

    private ushort _seqNr;     // c.seq_nr: the sequence number our next packet with a payload (or FIN) takes
    private ushort _ackNr;     // c.ack_nr: the last sequence number received in order from the peer
    private uint _replyMicro;  // reply_micro: the peer's last packet's one-way delay, echoed in every packet we send

    private UtpConnection(IPEndPoint remote, ushort receiveId, ushort sendId, UtpState state, ushort firstSeq,
        UtpOptions options, Func<long> clock, DatagramSender send)
    {
        Remote = remote;
        ReceiveId = receiveId;
        SendId = sendId;
        State = state;
        _options = options;
        _clock = clock;
        _send = send;
        _ledbat = new Ledbat(options.InitialWindow, options.MaxWindow);
        _seqNr = firstSeq;
        _lastAcked = SequenceNumber.Add(firstSeq, -1);
        _lossCutSeq = _lastAcked;
        _peerWindow = (uint)options.MaxWindow;
        _sendQueue = new ByteQueue(options.SendBufferSize);
        _received = new ByteQueue(2 * options.ReceiveBufferSize);   // room for a full window plus a drained reorder buffer
        _createdAt = _timeoutBase = clock();
    }

    /// <summary>The peer's address.</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The connection id on the packets we receive.</summary>
    public ushort ReceiveId { get; }

    /// <summary>The connection id on the packets we send (BEP 29: "the return path has the same ID + 1").</summary>
    public ushort SendId { get; }

    /// <summary>Where the connection stands.</summary>
    public UtpState State { get; private set; }

    /// <summary>Why the connection failed, when <see cref="State"/> is <see cref="UtpState.Failed"/>.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>The round-trip estimator (for tests and traces).</summary>
    internal RttEstimator Rtt => _rtt;

    /// <summary>The congestion controller (for tests and traces).</summary>
    internal Ledbat Congestion => _ledbat;

    /// <summary>Opens a connection: sends ST_SYN and waits in SynSent.</summary>
    /// <remarks><paramref name="receiveId"/> is a random id not in use with this peer; we send with <c>receiveId + 1</c>.
    /// <paramref name="firstSeq"/> is the SYN's sequence number: BEP 29 starts at 1, libtorrent picks it at random,
    /// and the accepting side must take whatever arrives.</remarks>
    public static UtpConnection Connect(IPEndPoint remote, ushort receiveId, ushort firstSeq, UtpOptions options,
        Func<long> clock, DatagramSender send)
    {
        // c.state = CS_SYN_SENT; c.conn_id_recv = rand(); c.conn_id_send = c.conn_id_recv + 1
        var connection = new UtpConnection(remote, receiveId, (ushort)(receiveId + 1), UtpState.SynSent, firstSeq, options, clock, send);
        lock (connection._gate)
        {
            // ST_SYN seq_nr=c.seq_nr++ conn_id=c.rcv_conn_id: the SYN alone carries the id it expects answers on.
            connection.SendNew(UtpPacketType.Syn, ReadOnlySpan<byte>.Empty);
        }
        return connection;
    }

    /// <summary>Accepts a peer's ST_SYN: answers with ST_STATE and waits in SynReceived; <paramref name="firstSeq"/> is
    /// our random first sequence number.</summary>
    public static UtpConnection Accept(IPEndPoint remote, in UtpPacket syn, ushort firstSeq, UtpOptions options,
        Func<long> clock, DatagramSender send)
    {
        // c.receive_conn_id = pkt.conn_id + 1; c.send_conn_id = pkt.conn_id; c.seq_nr = rand(); c.ack_nr = pkt.seq_nr
        var header = syn.Header;
        var connection = new UtpConnection(remote, (ushort)(header.ConnectionId + 1), header.ConnectionId,
            UtpState.SynReceived, firstSeq, options, clock, send);
        lock (connection._gate)
        {
            connection._ackNr = header.SeqNr;
            connection._replyMicro = DelaySample(clock(), header.TimestampMicros);
            // ST_STATE seq_nr=c.seq_nr ack_nr=c.ack_nr: the acceptor's next sequence number, not consumed.
            connection.SendState();
        }
        return connection;
    }

    /// <summary>Handles one packet the socket owner routed to this connection: the protocol in one switch.</summary>
    public void OnPacket(in UtpPacket packet)
    {
        lock (_gate)
        {
            if (State is UtpState.Closed or UtpState.Failed) return;
            var now = _clock();
            var header = packet.Header;
            // BEP 29: reply_micro "is updated by subtracting timestamp_microseconds from the hosts current time".
            if (header.TimestampMicros != 0) _replyMicro = DelaySample(now, header.TimestampMicros);

            switch (header.Type)
            {
                case UtpPacketType.Reset:
                    // "The remote host does not have any state for this connection. It is stale and should be terminated."
                    Fail("the peer reset the connection (ST_RESET)");
                    return;
                case UtpPacketType.Syn:
                    // The peer resent its SYN: our ST_STATE was lost. Anything else is a stray SYN, ignored.
                    if (State == UtpState.SynReceived) SendState();
                    return;
            }

            // An ack of a packet we never sent is forged or stale (libtorrent drops it too); nothing in it is trusted.
            if (SequenceNumber.IsAfter(header.AckNr, LastSent)) return;
            _rtt.OnPacketReceived();

            switch (State)
            {
                case UtpState.SynSent:
                    // Wait for the ack of our SYN; ignore everything else.
                    if (header.AckNr != SequenceNumber.Add(_seqNr, -1)) return;
                    // The answer's seq_nr is the peer's next one (an ST_STATE consumes none), so the last one "received"
                    // is the number before it; an ST_DATA that overtook the ST_STATE carries that same next number.
                    _ackNr = SequenceNumber.Add(header.SeqNr, -1);
                    State = UtpState.Connected;
                    _connected.TrySetResult();
                    // We answer the answer (our first data does, else an ST_STATE at the end of the burst): an acceptor
                    // takes a connection only once its peer has sent something after the SYN (UtpSocket.OnSyn), and
                    // not every protocol over uTP has the initiator speak first. BEP 29 asks for no such packet; a
                    // peer receives it as an ack of nothing new.
                    _ackPending = true;
                    break;
                case UtpState.SynReceived:
                    // The BEP moves to CS_CONNECTED on the first ST_DATA; any packet on the new ids proves as well that
                    // our ST_STATE arrived, so a peer that only listens (acks, or a FIN) is connected too.
                    State = UtpState.Connected;
                    break;
            }

            HandleAck(packet, now);
            switch (header.Type)
            {
                case UtpPacketType.Data: ReceiveData(packet); break;
                case UtpPacketType.Fin: ReceiveFin(packet); break;
            }
            if (State is UtpState.Failed) return;
            Pump(now);
            CheckClosed(now);
        }
    }

    /// <summary>Starts a graceful close: what was written is still delivered, then ST_FIN is sent.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (State is UtpState.Closed or UtpState.Failed) return;
            if (State == UtpState.SynSent)
            {
                Fail("closed before the connection was established");
                return;
            }
            _closeRequested = true;
            Pump(_clock());
            WakeAll();
        }
    }

    /// <summary>Ends the connection at once with ST_RESET; pending data is lost.</summary>
    public void Abort(string reason = "reset by this side")
    {
        lock (_gate)
        {
            if (State is UtpState.Closed or UtpState.Failed) return;
            SendControl(UtpPacketType.Reset, _seqNr);
            Fail(reason);
        }
    }

    /// <summary>Ends the connection without a datagram: for a half-open one the socket drops (its peer, perhaps a
    /// forged address, has said nothing we must answer).</summary>
    public void Forget(string reason)
    {
        lock (_gate)
        {
            if (State is UtpState.Closed or UtpState.Failed) return;
            Fail(reason);
        }
    }

    /// <summary>Moves to Failed: every waiting read, write and connect sees <paramref name="reason"/>.</summary>
    private void Fail(string reason)
    {
        State = UtpState.Failed;
        FailureReason = reason;
        ReleaseOutbound();
        _connected.TrySetException(new UtpException($"uTP connection to {Remote}: {reason}"));
        WakeAll();
    }

    /// <summary>Closed once our FIN is acked and the peer's FIN arrived, or the linger time passed without it.</summary>
    private void CheckClosed(long now)
    {
        if (State != UtpState.FinSent || !_finAcked) return;
        if (_eof || now - _finAckedAt >= (long)_options.Linger.TotalMicroseconds)
        {
            State = UtpState.Closed;
            WakeAll();
        }
    }

    /// <summary>The one-way delay sample of a packet stamped <paramref name="timestamp"/> by the peer's clock.</summary>
    private static uint DelaySample(long nowMicros, uint timestamp) => unchecked((uint)nowMicros - timestamp);

    /// <summary>The connection as a trace shows it.</summary>
    public override string ToString() => $"uTP {Remote} recv_id={ReceiveId} send_id={SendId} {State}";
}
