using System.Buffers;
using System.Buffers.Binary;

namespace TorrentLab.Utp;

internal sealed partial class UtpConnection
{
    /// <summary>A packet sent and not yet acked: kept whole, since uTP cannot repackage data when resending it.</summary>
    private sealed class OutPacket
    {
        public byte[] Buffer = [];           // pooled; the encoded datagram
        public int Length;
        public int PayloadLength;
        public long SentAt;
        public int Transmissions;
        public bool NeedsResend;             // lost (timeout); no longer counted in flight
        public bool FastResent;              // already resent once on duplicate or selective acks
    }

    /// <summary>Acked packets kept for reuse, with their buffers: a packet object per datagram was most of the
    /// garbage a transfer made.</summary>
    private const int MaxSparePackets = 1024;

    private readonly Dictionary<ushort, OutPacket> _outbound = [];
    private readonly Stack<OutPacket> _spare = new();
    private readonly ByteQueue _sendQueue;
    private ushort _lastAcked;       // acked_seq_nr: every packet up to this one is acked
    private ushort _lossCutSeq;      // the window was last halved for a loss of a packet up to this one
    private int _bytesInFlight;      // cur_window: payload bytes sent and neither acked nor known lost
    private int _resendCount;        // packets marked NeedsResend
    private int _duplicateAcks;
    private uint _peerWindow;        // wnd_size: the peer's advertised receive window
    private long _timeoutBase;       // when the timeout counter was last reset
    private bool _closeRequested;
    private bool _finSent;
    private bool _finAcked;
    private ushort _finSeq;
    private long _finAckedAt;

    /// <summary>The last sequence number we used (the SYN, a DATA or our FIN).</summary>
    private ushort LastSent => SequenceNumber.Add(_seqNr, -1);

    /// <summary>Payload bytes in flight (for tests and traces).</summary>
    internal int BytesInFlight { get { lock (_gate) return _bytesInFlight; } }

    /// <summary>Packets sent and not yet acked, lost ones included (for tests and traces).</summary>
    internal int UnackedPackets { get { lock (_gate) return _outbound.Count; } }

    /// <summary>Sends what the windows allow: first packets marked lost, then new data, then the FIN once all is sent.</summary>
    private void Pump(long now)
    {
        if (State is UtpState.Closed or UtpState.Failed) return;
        for (var seq = SequenceNumber.Add(_lastAcked, 1); _resendCount > 0 && seq != _seqNr; seq = SequenceNumber.Add(seq, 1))
        {
            if (!_outbound.TryGetValue(seq, out var lost) || !lost.NeedsResend) continue;
            if (!CanSend(lost.PayloadLength)) return;
            lost.NeedsResend = false;
            _resendCount--;
            _bytesInFlight += lost.PayloadLength;
            Transmit(lost, now);
        }
        if (State is UtpState.SynReceived or UtpState.Connected)
        {
            var packetPayload = _ledbat.PacketSize(_options.MaxPacketSize) - UtpHeader.Length;
            while (_sendQueue.Count > 0)
            {
                var size = Math.Min(_sendQueue.Count, packetPayload);
                // Nagle, as TCP: while data is in flight, a part-filled packet waits for an ack (or for more data).
                if (size < packetPayload && _bytesInFlight > 0 && !_closeRequested) break;
                // "A socket may only send a packet if cur_window + packet_size is less than or equal to
                // min(max_window, wnd_size)". We also send when nothing is in flight, which the BEP allows "if the
                // max_window is smaller than the packet size", and which probes a peer whose window was zero.
                if (!CanSend(size)) break;
                SendData(size, now);
            }
            WakeWriter();
            if (_closeRequested && _sendQueue.Count == 0)
            {
                _finSeq = _seqNr;
                SendNew(UtpPacketType.Fin, ReadOnlySpan<byte>.Empty);
                _finSent = true;
                State = UtpState.FinSent;
            }
        }
    }

    /// <summary>Wakes a waiting writer once a quarter of the send buffer is free, or a drain once the queue is empty:
    /// not at every ack, since each wake costs a thread-pool hop and the writer then fills the room in one go.</summary>
    private void WakeWriter()
    {
        if (_sendQueue.Count == 0 || _sendQueue.Free >= _options.SendBufferSize / 4) Wake(ref _writeWaiter);
    }

    private bool CanSend(int payload) =>
        _bytesInFlight == 0 || _bytesInFlight + payload <= Math.Min(_ledbat.MaxWindow, _peerWindow);

    private void SendData(int size, long now)
    {
        var packet = NewPacket(UtpPacketType.Data, size);
        _sendQueue.Dequeue(packet.Buffer.AsSpan(UtpHeader.Length, size));
        Store(packet, now);
    }

    /// <summary>Sends a packet that takes the next sequence number (SYN, DATA with <paramref name="payload"/>, FIN)
    /// and keeps it until acked.</summary>
    private void SendNew(UtpPacketType type, ReadOnlySpan<byte> payload)
    {
        var packet = NewPacket(type, payload.Length);
        payload.CopyTo(packet.Buffer.AsSpan(UtpHeader.Length));
        Store(packet, _clock());
    }

    private OutPacket NewPacket(UtpPacketType type, int payloadLength)
    {
        var length = UtpHeader.Length + payloadLength;
        var packet = _spare.Count > 0 ? _spare.Pop() : new OutPacket();
        if (packet.Buffer.Length < length)
        {
            if (packet.Buffer.Length > 0) ArrayPool<byte>.Shared.Return(packet.Buffer);
            packet.Buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, _options.MaxPacketSize));
        }
        // The SYN is the one packet sent with the id we receive on; the variable fields are filled at each send.
        var id = type == UtpPacketType.Syn ? ReceiveId : SendId;
        new UtpHeader(type, id, 0, 0, 0, _seqNr, 0).WriteTo(packet.Buffer);
        packet.Length = length;
        packet.PayloadLength = payloadLength;
        packet.SentAt = 0;
        packet.Transmissions = 0;
        packet.NeedsResend = false;
        packet.FastResent = false;
        return packet;
    }

    /// <summary>An acked packet: kept for the next one, or its buffer goes back to the pool.</summary>
    private void Recycle(OutPacket packet)
    {
        if (_spare.Count < MaxSparePackets) _spare.Push(packet);
        else ArrayPool<byte>.Shared.Return(packet.Buffer);
    }

    private void Store(OutPacket packet, long now)
    {
        if (_outbound.Count == 0) _timeoutBase = now;   // the timeout counts from the first packet in flight
        _outbound[_seqNr] = packet;
        _seqNr = SequenceNumber.Add(_seqNr, 1);
        _bytesInFlight += packet.PayloadLength;
        Transmit(packet, now);
    }

    /// <summary>(Re)sends a stored packet with fresh timestamp, delay echo, window and ack.</summary>
    private void Transmit(OutPacket packet, long now)
    {
        var span = packet.Buffer.AsSpan(0, packet.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], unchecked((uint)now));
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], _replyMicro);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], AdvertisedWindow);
        BinaryPrimitives.WriteUInt16BigEndian(span[18..], span[0] >> 4 == (int)UtpPacketType.Syn ? (ushort)0 : _ackNr);
        packet.SentAt = now;
        packet.Transmissions++;
        _lastAdvertisedWindow = AdvertisedWindow;
        if (_reorder.Count == 0) _ackPending = false;   // this packet carries the ack; a gap still needs the bitmask
        _send(span);
    }

    /// <summary>Sends ST_STATE (or ST_RESET) with no payload: it takes no sequence number of its own.</summary>
    private void SendControl(UtpPacketType type, ushort seq)
    {
        Span<byte> mask = stackalloc byte[SelectiveAck.MaxBytes];
        var maskLength = _reorder.Count > 0 ? SelectiveAck.Write(_ackNr, _highestReordered, _reorder.ContainsKey, mask) : 0;
        Span<byte> datagram = stackalloc byte[UtpHeader.Length + 2 + SelectiveAck.MaxBytes];
        var header = new UtpHeader(type, SendId, unchecked((uint)_clock()), _replyMicro, AdvertisedWindow, seq, _ackNr);
        var length = UtpPacket.Encode(header, mask[..maskLength], ReadOnlySpan<byte>.Empty, datagram);
        _lastAdvertisedWindow = header.WindowSize;
        _ackPending = false;
        _send(datagram[..length]);
    }

    /// <summary>Sends an ack: ST_STATE carrying our next sequence number (after our FIN: the FIN's, which libtorrent
    /// expects, since nothing we send may seem to come after the FIN).</summary>
    private void SendState() => SendControl(UtpPacketType.State, _finSent ? _finSeq : _seqNr);

    private void ReleaseOutbound()
    {
        foreach (var packet in _outbound.Values) ArrayPool<byte>.Shared.Return(packet.Buffer);
        _outbound.Clear();
        while (_spare.TryPop(out var spare)) ArrayPool<byte>.Shared.Return(spare.Buffer);
        _bytesInFlight = 0;
        _resendCount = 0;
    }
}
