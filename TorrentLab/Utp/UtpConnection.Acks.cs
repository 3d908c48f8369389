namespace TorrentLab.Utp;

internal sealed partial class UtpConnection
{
    /// <summary>BEP 29: three duplicate acks, or three packets selectively acked past a missing one, mean it was lost.</summary>
    internal const int DuplicateAckThreshold = 3;

    /// <summary>Takes the acks in an incoming packet: the cumulative ack_nr, the selective ack bitmask, duplicate acks
    /// and the delay sample that drives LEDBAT.</summary>
    private void HandleAck(in UtpPacket packet, long now)
    {
        var header = packet.Header;
        _peerWindow = header.WindowSize;
        var acked = 0;
        var unacked = _outbound.Count;
        // "Every packet that is ACKed, either by falling in the range (last_ack_nr, ack_nr] or by explicitly being
        // acked by a Selective ACK message, should be used to update an rtt and rtt_var measurement."
        if (SequenceNumber.IsAfter(header.AckNr, _lastAcked))
        {
            for (var seq = SequenceNumber.Add(_lastAcked, 1); ; seq = SequenceNumber.Add(seq, 1))
            {
                acked += Acknowledge(seq, now);
                if (seq == header.AckNr) break;
            }
            _lastAcked = header.AckNr;
            _duplicateAcks = 0;
        }
        else if (header.AckNr == _lastAcked && _outbound.Count > 0 && header.Type == UtpPacketType.State)
        {
            // Only a bare ack counts as a duplicate: a stream of ST_DATA repeats the ack_nr without meaning any loss.
            _duplicateAcks++;
        }

        if (!packet.SelectiveAck.IsEmpty) acked += HandleSelectiveAck(header.AckNr, packet.SelectiveAck.Span, now);

        // "when receiving 3 duplicate acks, ack_nr + 1 is assumed to have been lost (if a packet with that sequence
        // number has been sent)."
        if (_duplicateAcks >= DuplicateAckThreshold)
        {
            _duplicateAcks = 0;
            Lost(SequenceNumber.Add(header.AckNr, 1), now);
        }

        // The timeout counts from the last ack that acknowledged something: duplicate acks, which keep coming while
        // the packet they wait for is lost, must not hold back its retransmission.
        if (_outbound.Count < unacked) _timeoutBase = now;
        if (acked > 0) WakeWriter();
        _ledbat.OnAck(acked, header.TimestampDifferenceMicros, now);

        if (_finSent && !_finAcked && !_outbound.ContainsKey(_finSeq))
        {
            _finAcked = true;
            _finAckedAt = now;
        }
    }

    /// <summary>Applies the bitmask (bit i acks <c>ack_nr + 2 + i</c>) and resends what it proves lost: "Each packet
    /// that is acked in the selective ack message counts as one duplicate ack, which, if it 3 or more, should trigger
    /// a re-send of packets that had at least 3 packets acked after them."</summary>
    private int HandleSelectiveAck(ushort ackNr, ReadOnlySpan<byte> mask, long now)
    {
        var acked = 0;
        var ackedAfter = 0;
        // Walk from the newest bit back, so each missing packet knows how many arrived after it.
        for (var index = mask.Length * 8 - 1; index >= -1; index--)
        {
            var seq = index >= 0 ? SelectiveAck.SequenceOf(ackNr, index) : SequenceNumber.Add(ackNr, 1);
            if (!SequenceNumber.IsAfter(seq, _lastAcked) || !SequenceNumber.IsAfter(_seqNr, seq)) continue; // "Bits that are outside of the send window are ignored."
            if (index >= 0 && SelectiveAck.IsSet(mask, index))
            {
                acked += Acknowledge(seq, now);
                ackedAfter++;
            }
            else if (ackedAfter >= DuplicateAckThreshold)
            {
                Lost(seq, now);
            }
        }
        return acked;
    }

    /// <summary>Removes an acked packet; returns its payload bytes. Only packets sent once give an RTT sample ("This
    /// avoids problems with figuring out which packet was acked, the first or the second one").</summary>
    private int Acknowledge(ushort seq, long now)
    {
        if (!_outbound.Remove(seq, out var packet)) return 0;
        if (packet.NeedsResend) _resendCount--;
        else _bytesInFlight -= packet.PayloadLength;
        if (packet.Transmissions == 1) _rtt.AddSample((now - packet.SentAt) / 1000.0);
        var payload = packet.PayloadLength;
        Recycle(packet);
        return payload;
    }

    /// <summary>A packet was lost: resend it at once (once per loss signal), and halve the window, at most once per
    /// window of packets, since losses come in bursts.</summary>
    private void Lost(ushort seq, long now)
    {
        if (!_outbound.TryGetValue(seq, out var packet) || packet.FastResent) return;
        packet.FastResent = true;
        if (SequenceNumber.IsAfter(seq, _lossCutSeq))
        {
            _ledbat.OnLoss();
            _lossCutSeq = LastSent;
        }
        if (packet.NeedsResend)
        {
            packet.NeedsResend = false;
            _resendCount--;
            _bytesInFlight += packet.PayloadLength;
        }
        Transmit(packet, now);
    }
}
