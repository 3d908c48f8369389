using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TorrentLab.Wire;

internal sealed partial class PeerConnection
{
    // Writers take _sendLock, encode into _sendBuffer and write it out whole, so messages never interleave. The buffer
    // is rented from the shared pool for one send and given back after it (ReturnSendBuffer): a connection that sends
    // nothing holds none.
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _sendBuffer = [];
    private long _bytesSent;
    private long _writesWaited;
    private volatile int _maxBlockLength; // the largest piece block we accept: 16 KiB, or more if we asked for more

    /// <summary>Sends one message. Safe to call from several tasks; messages go out whole, in call order per task.</summary>
    /// <exception cref="WireException">The connection failed; it is closed.</exception>
    /// <exception cref="ArgumentException">The message does not fit the torrent (index or bitfield length).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(PeerMessage message, CancellationToken ct = default)
    {
        Validate(message);
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var length = Append(message, 0);
            await FlushAsync(length, ct).ConfigureAwait(false);
        }
        finally
        {
            ReturnSendBuffer();
            _sendLock.Release();
        }
    }

    /// <summary>The most one batched socket write carries: four whole piece messages.</summary>
    private const int MaxBatch = 4 * (WireLimits.LengthPrefix + WireLimits.PieceHeader + WireLimits.BlockLength);

    /// <summary>Sends several messages with as few socket writes as possible (a pipeline of requests, say).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<PeerMessage> messages, CancellationToken ct = default)
    {
        var batch = 0;
        foreach (var message in messages.Span)
        {
            Validate(message);
            batch += MessageWriter.EncodedLength(message);
        }
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Room for the batch, up to four whole piece messages (a seeder answers four requests with one socket
            // write); grown for the batches actually sent, so a connection that never uploads keeps a small buffer.
            // (The pool's buffer may be larger than asked for; a write still carries at most the room.)
            var room = Math.Min(batch, MaxBatch);
            if (_sendBuffer.Length < room) GrowSendBuffer(room, 0);
            var used = 0;
            for (var i = 0; i < messages.Length; i++)
            {
                var size = MessageWriter.EncodedLength(messages.Span[i]);
                if (used > 0 && used + size > room)
                {
                    await FlushAsync(used, ct).ConfigureAwait(false);
                    used = 0;
                }
                used = Append(messages.Span[i], used);
            }
            if (used > 0) await FlushAsync(used, ct).ConfigureAwait(false);
        }
        finally
        {
            ReturnSendBuffer();
            _sendLock.Release();
        }
    }

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
    internal async ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_sendBuffer.Length < bytes.Length) GrowSendBuffer(bytes.Length, 0);
            bytes.CopyTo(_sendBuffer);
            await FlushAsync(bytes.Length, ct).ConfigureAwait(false);
        }
        finally
        {
            ReturnSendBuffer();
            _sendLock.Release();
        }
    }

    /// <summary>Rejects messages that cannot be right for this torrent (caller misuse, not a peer's fault).</summary>
    private void Validate(in PeerMessage message)
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

    /// <summary>Encodes a message at <paramref name="offset"/> of the send buffer (under the lock) and updates our state.</summary>
    private int Append(in PeerMessage message, int offset)
    {
        var size = MessageWriter.EncodedLength(message);
        if (offset + size > _sendBuffer.Length) GrowSendBuffer(offset + size, offset);
        MessageWriter.Write(message, _sendBuffer.AsSpan(offset));
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
        if (_trace is not null) Trace(WireDirection.Sent, message, _sendBuffer.AsSpan(offset, size));
        return offset + size;
    }

    /// <summary>Rents a send buffer of at least <paramref name="size"/> bytes (under the lock), keeping the first
    /// <paramref name="keep"/> bytes written so far.</summary>
    private void GrowSendBuffer(int size, int keep)
    {
        var old = _sendBuffer;
        var grown = ArrayPool<byte>.Shared.Rent(size);
        old.AsSpan(0, keep).CopyTo(grown);
        _sendBuffer = grown;
        if (old.Length > 0) ArrayPool<byte>.Shared.Return(old);
    }

    /// <summary>Gives the send buffer back to the pool once a send is over (under the lock). After a failed write it is
    /// dropped instead: a transport that gave up on a write might still read from it.</summary>
    private void ReturnSendBuffer()
    {
        var buffer = _sendBuffer;
        _sendBuffer = [];
        if (buffer.Length > 0 && _failure is null && !_disposed) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Writes the first <paramref name="count"/> bytes of the send buffer; any failure closes the connection,
    /// since a half-written message leaves the stream unusable.</summary>
    private async ValueTask FlushAsync(int count, CancellationToken ct)
    {
        if (_failure is { } failure) throw new WireException(failure.Message, failure, (failure as WireException)?.IsViolation ?? false);
        try
        {
            var write = _transport.WriteAsync(_sendBuffer.AsMemory(0, count), ct);
            if (!write.IsCompleted) Interlocked.Increment(ref _writesWaited);
            await write.ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, count);
            Volatile.Write(ref _lastSent, Clock.GetTimestamp());
        }
        catch (OperationCanceledException)
        {
            Dispose();
            throw;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            var what = _disposed && _failure is null ? "the connection was closed locally"
                : $"send failed ({TransportError(e)})";
            throw Fail(PeerError(what, e, violation: false));
        }
    }
}
