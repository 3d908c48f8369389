namespace TorrentLab.Utp;

internal sealed partial class UtpConnection
{
    private readonly ByteQueue _received;                     // in order, waiting for the reader
    private readonly Dictionary<ushort, byte[]> _reorder = []; // arrived past a gap
    private int _reorderBytes;
    private ushort _highestReordered;
    private ushort? _eofSeq;        // eof_pkt: the peer's FIN; nothing after it counts
    private bool _eof;              // everything up to the FIN has been received
    private bool _ackPending;       // we owe the peer an ack (sent by FlushAck at the end of a burst)
    private uint _lastAdvertisedWindow;

    /// <summary>wnd_size: "the number of bytes left in the socket's receive buffer".</summary>
    private uint AdvertisedWindow => (uint)Math.Max(0, _options.ReceiveBufferSize - _received.Count - _reorderBytes);

    /// <summary>Takes an ST_DATA: in order it goes to the reader (with whatever it unblocks from the reorder
    /// buffer), past a gap it waits in the reorder buffer, and a duplicate is acked again (our ack may be lost).</summary>
    private void ReceiveData(in UtpPacket packet)
    {
        var seq = packet.Header.SeqNr;
        var payload = packet.Payload.Span;
        _ackPending = true;
        // "This connection will never have a sequence number greater than the sequence number in this [FIN] packet."
        if (_eofSeq is { } eof && SequenceNumber.IsAtOrAfter(seq, eof)) return;
        var expected = SequenceNumber.Add(_ackNr, 1);
        if (seq == expected)
        {
            // The packet that fills the gap is taken whenever the in-order bytes leave room for it, however full the
            // reorder buffer is: refusing it would leave the reorder buffer waiting forever for the one packet that
            // empties it. So the queue holds up to two windows (a full window, then the reorder buffer drained).
            if (_received.Count + payload.Length > _options.ReceiveBufferSize) return;  // the peer ignored our window
            _received.Enqueue(payload);
            _ackNr = seq;
            while (_reorder.Remove(SequenceNumber.Add(_ackNr, 1), out var next))
            {
                _reorderBytes -= next.Length;
                _received.Enqueue(next);
                _ackNr = SequenceNumber.Add(_ackNr, 1);
            }
            CheckEof();
            // The reader is woken once per burst (FlushAck), not per packet: each wake costs a thread-pool hop.
        }
        else if (SequenceNumber.IsAfter(seq, expected))
        {
            // Bounded: a packet too far ahead, or one that does not fit the window, is dropped (it will be resent).
            if (SequenceNumber.Distance(_ackNr, seq) > _options.MaxReorderPackets || _reorder.ContainsKey(seq)) return;
            if (_received.Count + _reorderBytes + payload.Length > _options.ReceiveBufferSize) return;
            _reorder[seq] = payload.ToArray();
            _reorderBytes += payload.Length;
            if (_reorder.Count == 1 || SequenceNumber.IsAfter(seq, _highestReordered)) _highestReordered = seq;
        }
    }

    /// <summary>Takes an ST_FIN: records eof_pkt, "which lets the socket wait for packets that might still be missing
    /// and arrive out of order even after receiving the ST_FIN packet", and acks at once.</summary>
    private void ReceiveFin(in UtpPacket packet)
    {
        var seq = packet.Header.SeqNr;
        if (_eofSeq is null && SequenceNumber.IsAfter(seq, _ackNr)) _eofSeq = seq;
        CheckEof();
        SendState();
    }

    /// <summary>Once everything before the FIN is in, the FIN itself is acked and the reader sees the end.</summary>
    private void CheckEof()
    {
        if (_eof || _eofSeq is not { } eof || SequenceNumber.Add(_ackNr, 1) != eof) return;
        _ackNr = eof;
        _eof = true;
        foreach (var held in _reorder.Values) _reorderBytes -= held.Length;
        _reorder.Clear();
        Wake(ref _readWaiter);
    }

    /// <summary>Sends the ack this connection owes, if any, and wakes a waiting reader: the socket owner calls it once a
    /// burst of datagrams has been handled, so one ack and one wake cover many packets.</summary>
    public void FlushAck()
    {
        lock (_gate)
        {
            if (_ackPending && State is not (UtpState.Closed or UtpState.Failed or UtpState.SynSent)) SendState();
            if (_received.Count > 0) Wake(ref _readWaiter);
        }
    }

    /// <summary>After the reader freed room: reopen a window that was nearly shut, without waiting for the peer.</summary>
    private void MaybeSendWindowUpdate()
    {
        var capacity = (uint)_options.ReceiveBufferSize;
        if (_lastAdvertisedWindow < capacity / 4 && AdvertisedWindow >= capacity / 2 && State is UtpState.Connected or UtpState.FinSent)
            SendState();
    }
}
