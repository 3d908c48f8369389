using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TorrentLab.Wire;

/// <summary>Writes one <see cref="PeerConnection"/>'s outgoing messages: senders take turns under one lock, and each
/// send encodes its messages into a pooled buffer that is written out whole.</summary>
/// <remarks>Writers take <see cref="_lock"/>, encode into <see cref="_buffer"/> and write it out whole, so messages
/// never interleave. The buffer is rented from the shared pool for one send and given back after it
/// (<see cref="ReturnBuffer"/>): a connection that sends nothing holds none. What a message may be and what it changes
/// on our side are the connection's (<see cref="PeerConnection.Validate"/>, <see cref="PeerConnection.Encoded"/>,
/// called here under the lock as before the message is encoded and once it is).</remarks>
internal sealed class ConnectionWriter(PeerConnection connection, Stream transport, ConnectionTimer timer)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[] _buffer = [];
    private long _bytesSent;
    private long _writesWaited;

    /// <summary>The most one batched socket write carries: four whole piece messages.</summary>
    private const int MaxBatch = 4 * (WireLimits.LengthPrefix + WireLimits.PieceHeader + WireLimits.BlockLength);

    /// <summary>Bytes written (handshake included).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Writes that found the transport's send buffer full and waited for room.</summary>
    public long WritesWaited => Interlocked.Read(ref _writesWaited);

    /// <summary>Bytes of send buffer held now (none between sends).</summary>
    public int HeldBytes => Volatile.Read(ref _buffer).Length;

    /// <summary>Sends one message, whole.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(PeerMessage message, CancellationToken ct)
    {
        connection.Validate(message);
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var length = Append(message, 0);
            await FlushAsync(length, ct).ConfigureAwait(false);
        }
        finally
        {
            ReturnBuffer();
            _lock.Release();
        }
    }

    /// <summary>Sends several messages with as few socket writes as possible (a pipeline of requests, say).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<PeerMessage> messages, CancellationToken ct)
    {
        var batch = 0;
        foreach (var message in messages.Span)
        {
            connection.Validate(message);
            batch += MessageWriter.EncodedLength(message);
        }
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Room for the batch, up to four whole piece messages (a seeder answers four requests with one socket
            // write); grown for the batches actually sent, so a connection that never uploads keeps a small buffer.
            // (The pool's buffer may be larger than asked for; a write still carries at most the room.)
            var room = Math.Min(batch, MaxBatch);
            if (_buffer.Length < room) GrowBuffer(room, 0);
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
            ReturnBuffer();
            _lock.Release();
        }
    }

    /// <summary>Writes raw bytes (the handshake, or deliberately broken frames from a synthetic peer in the lab).</summary>
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_buffer.Length < bytes.Length) GrowBuffer(bytes.Length, 0);
            bytes.CopyTo(_buffer);
            await FlushAsync(bytes.Length, ct).ConfigureAwait(false);
        }
        finally
        {
            ReturnBuffer();
            _lock.Release();
        }
    }

    /// <summary>Encodes a message at <paramref name="offset"/> of the buffer (under the lock) and tells the connection.</summary>
    private int Append(in PeerMessage message, int offset)
    {
        var size = MessageWriter.EncodedLength(message);
        if (offset + size > _buffer.Length) GrowBuffer(offset + size, offset);
        MessageWriter.Write(message, _buffer.AsSpan(offset));
        connection.Encoded(message, _buffer.AsSpan(offset, size));
        return offset + size;
    }

    /// <summary>Rents a buffer of at least <paramref name="size"/> bytes (under the lock), keeping the first
    /// <paramref name="keep"/> bytes written so far.</summary>
    private void GrowBuffer(int size, int keep)
    {
        var old = _buffer;
        var grown = ArrayPool<byte>.Shared.Rent(size);
        old.AsSpan(0, keep).CopyTo(grown);
        _buffer = grown;
        if (old.Length > 0) ArrayPool<byte>.Shared.Return(old);
    }

    /// <summary>Gives the buffer back to the pool once a send is over (under the lock). After a failed write it is
    /// dropped instead: a transport that gave up on a write might still read from it.</summary>
    private void ReturnBuffer()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0 && connection.Failure is null && !connection.IsDisposed) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Writes the first <paramref name="count"/> bytes of the buffer; any failure closes the connection,
    /// since a half-written message leaves the stream unusable.</summary>
    private async ValueTask FlushAsync(int count, CancellationToken ct)
    {
        if (connection.Failure is { } failure) throw new WireException(failure.Message, failure, (failure as WireException)?.IsViolation ?? false);
        try
        {
            var write = transport.WriteAsync(_buffer.AsMemory(0, count), ct);
            if (!write.IsCompleted) Interlocked.Increment(ref _writesWaited);
            await write.ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, count);
            timer.Sent();
        }
        catch (OperationCanceledException)
        {
            connection.Dispose();
            throw;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            var what = connection.IsDisposed && connection.Failure is null ? "the connection was closed locally"
                : $"send failed ({PeerConnection.TransportError(e)})";
            throw connection.Fail(connection.PeerError(what, e, violation: false));
        }
    }
}
