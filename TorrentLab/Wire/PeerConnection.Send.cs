namespace TorrentLab.Wire;

// Sending: what may be sent on this connection and what each message sent changes on our side. The writing itself
// (one send at a time, each encoded into a pooled buffer and written whole) is ConnectionWriter's.
internal sealed partial class PeerConnection
{
    private volatile int _maxBlockLength; // the largest piece block we accept: 16 KiB, or more if we asked for more

    /// <summary>Sends one message. Safe to call from several tasks; messages go out whole, in call order per task.</summary>
    /// <exception cref="WireException">The connection failed; it is closed.</exception>
    /// <exception cref="ArgumentException">The message does not fit the torrent (index or bitfield length).</exception>
    public ValueTask SendAsync(PeerMessage message, CancellationToken ct = default) => _writer.SendAsync(message, ct);

    /// <summary>Sends several messages with as few socket writes as possible (a pipeline of requests, say).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<PeerMessage> messages, CancellationToken ct = default) => _writer.SendAsync(messages, ct);

    public ValueTask SendKeepAliveAsync(CancellationToken ct = default) => SendAsync(PeerMessage.KeepAlive, ct);
    public ValueTask SendChokeAsync(CancellationToken ct = default) => SendAsync(PeerMessage.Choke, ct);
    public ValueTask SendUnchokeAsync(CancellationToken ct = default) => SendAsync(PeerMessage.Unchoke, ct);
    public ValueTask SendInterestedAsync(CancellationToken ct = default) => SendAsync(PeerMessage.Interested, ct);
    public ValueTask SendHaveAsync(int index, CancellationToken ct = default) => SendAsync(PeerMessage.Have(index), ct);
    /// <summary>Sends what we have: BEP 6's <c>have all</c> or <c>have none</c> when both sides speak the fast extension
    /// and they say it exactly, else a <c>bitfield</c>.</summary>
    public ValueTask SendBitfieldAsync(Bitfield pieces, CancellationToken ct = default) => SendAsync(
        FastAgreed && pieces.IsComplete ? PeerMessage.HaveAll
        : FastAgreed && pieces.IsEmpty ? PeerMessage.HaveNone
        : PeerMessage.BitfieldOf(pieces), ct);

    public ValueTask SendRequestAsync(int index, int begin, int length, CancellationToken ct = default) =>
        SendAsync(PeerMessage.Request(index, begin, length), ct);

    /// <summary>Sends a block; <paramref name="block"/> is copied before the returned task completes.</summary>
    public ValueTask SendPieceAsync(int index, int begin, ReadOnlyMemory<byte> block, CancellationToken ct = default) =>
        SendAsync(PeerMessage.Piece(index, begin, block), ct);

    /// <summary>Writes raw bytes (the handshake, or deliberately broken frames from a synthetic peer in the lab).</summary>
    internal ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default) => _writer.SendRawAsync(bytes, ct);

    /// <summary>Rejects messages that cannot be right for this torrent (caller misuse, not a peer's fault).</summary>
    internal void Validate(in PeerMessage message)
    {
        if (message.Kind is MessageKind.Suggest or MessageKind.HaveAll or MessageKind.HaveNone or MessageKind.Reject or MessageKind.AllowedFast
            && RemoteHandshake is not null && !FastAgreed)
            throw new InvalidOperationException($"{message.Name} is a BEP 6 message, and the fast extension was not agreed on this connection");
        var pieces = _pieceCount;
        if (pieces < 0) return;
        if (message.Kind is MessageKind.Have or MessageKind.Request or MessageKind.Piece or MessageKind.Cancel
            or MessageKind.Suggest or MessageKind.Reject or MessageKind.AllowedFast && message.Index >= pieces)
            throw new ArgumentOutOfRangeException(nameof(message), $"{message} is out of range: the torrent has {pieces} pieces");
        if (message.Kind == MessageKind.Bitfield && message.Payload.Length != Bitfield.ByteCount(pieces))
            throw new ArgumentException($"a bitfield for {pieces} pieces has {Bitfield.ByteCount(pieces)} bytes, got {message.Payload.Length}", nameof(message));
    }

    /// <summary>A message was encoded for sending (under the writer's lock): what it changes on our side of the
    /// connection. <paramref name="wire"/> is its encoding, for the trace.</summary>
    internal void Encoded(in PeerMessage message, ReadOnlySpan<byte> wire)
    {
        switch (message.Kind)
        {
            case MessageKind.Choke: _amChoking = true; break;
            case MessageKind.Unchoke: _amChoking = false; break;
            case MessageKind.Interested: _amInterested = true; break;
            case MessageKind.NotInterested: _amInterested = false; break;
            case MessageKind.Request when message.Length > _maxBlockLength:
                // We asked for more than 16 KiB: accept a block that long in answer (bounded by the 1 MiB limit).
                _maxBlockLength = Math.Min(message.Length, WireLimits.MaxMessageLength - WireLimits.PieceHeader);
                break;
        }
        if (_trace is not null) Trace(WireDirection.Sent, message, wire);
    }
}
