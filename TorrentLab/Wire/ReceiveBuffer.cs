using System.Buffers;

namespace TorrentLab.Wire;

/// <summary>The bytes a <see cref="PeerConnection"/> received and has not parsed yet: a window of one buffer, a
/// handshake's worth until the handshake is done, then rented from the shared pool and given back while empty.</summary>
/// <remarks>Used by the connection's one reader only (<see cref="HeldBytes"/> may be read from anywhere).</remarks>
internal sealed class ReceiveBuffer
{
    // The buffer holds [_start, _end) unread bytes.
    private byte[] _buffer;
    private int _start, _end;
    // After the handshake the buffer is rented from the shared pool and held only while it has unread bytes; an empty
    // connection waits for bytes with a zero-byte read and rents _capacity bytes once they are there.
    private bool _afterHandshake;        // a grown buffer comes from the pool
    private bool _pooled;                // the buffer held now goes back to the pool
    private int _capacity;
    private long _streamOffset;          // stream position of _start, for error messages

    /// <summary>The receive buffer a connection starts with after the handshake: room for one whole block message and
    /// more; it doubles each time a read fills it, up to <see cref="PeerConnectionOptions.ReceiveBufferSize"/>.</summary>
    private const int InitialReceiveBuffer = 32 * 1024;

    /// <summary>Until the handshake completes a connection holds only a handshake's worth of receive buffer, so a flood
    /// of connections that never finish one costs little each; <see cref="AfterHandshake"/> sizes it for data.
    /// <paramref name="received"/>: bytes the transport already delivered (the first bytes that told plaintext from
    /// MSE/PE, or what followed the MSE/PE handshake), the start of the BEP 3 stream.</summary>
    public ReceiveBuffer(ReadOnlySpan<byte> received)
    {
        _buffer = GC.AllocateUninitializedArray<byte>(2 * Handshake.Length);
        EnsureCapacity(received.Length);
        received.CopyTo(_buffer);
        _end = received.Length;
    }

    /// <summary>The unread bytes.</summary>
    public ReadOnlySpan<byte> Unread => _buffer.AsSpan(_start, _end - _start);

    /// <summary>The unread bytes, as memory (a message's payload is a slice of them).</summary>
    public ReadOnlyMemory<byte> UnreadMemory => _buffer.AsMemory(_start, _end - _start);

    /// <summary>Stream position of the first unread byte, for error messages.</summary>
    public long StreamOffset => _streamOffset;

    /// <summary>Bytes of buffer held now: what an idle connection costs.</summary>
    public int HeldBytes => _buffer.Length;

    /// <summary>Nothing is unread, and the buffer is the pool's: it may go back while the reader waits for bytes.</summary>
    public bool MayRelease => _pooled && _start == _end;

    /// <summary>The first <paramref name="count"/> unread bytes were parsed.</summary>
    public void Consume(int count)
    {
        _start += count;
        _streamOffset += count;
        if (_start == _end) _start = _end = 0;
    }

    /// <summary>Room after the unread bytes for a read, first making room for a frame of <paramref name="frameLength"/>
    /// bytes (-1 when unknown).</summary>
    public Memory<byte> Room(int frameLength)
    {
        var needed = Math.Max(frameLength, WireLimits.LengthPrefix + 1);
        if (needed > _buffer.Length) EnsureCapacity(Math.Max(needed, _capacity));
        if (_start + needed > _buffer.Length || _end == _buffer.Length)
        {
            Unread.CopyTo(_buffer);   // compact: move the partial frame to the front
            _end -= _start;
            _start = 0;
        }
        return _buffer.AsMemory(_end);
    }

    /// <summary>A read put <paramref name="read"/> bytes into <see cref="Room"/>. When it filled all the room there
    /// was, more is coming faster than it is parsed: the buffer doubles, up to <paramref name="maxSize"/>.</summary>
    public void Filled(int read, int maxSize)
    {
        _end += read;
        if (_end == _buffer.Length && _buffer.Length < maxSize)
        {
            _capacity = Math.Min(2 * _buffer.Length, maxSize);
            EnsureCapacity(_capacity);
        }
    }

    /// <summary>With nothing unread: gives the buffer back to the pool (one is rented again when bytes come).</summary>
    public void Release()
    {
        var buffer = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>After the handshake: a buffer for a whole frame of <paramref name="frameLength"/> bytes, which grows to
    /// its working size as reads fill it (<see cref="Filled"/>): a fast connection reaches it within a few reads, while a
    /// slow one (most of a seed's hundreds) reads into 32 KiB instead of 256, and an idle one holds none (it is rented
    /// when bytes come).</summary>
    public void AfterHandshake(int frameLength, int maxSize)
    {
        _afterHandshake = true;
        _capacity = Math.Max(frameLength, Math.Min(InitialReceiveBuffer, maxSize));
        if (_start < _end)
        {
            EnsureCapacity(_capacity);   // bytes that came with the handshake move to a pooled buffer
            return;
        }
        _buffer = [];   // the handshake's buffer (not pooled): a pooled one is rented when bytes come
        _start = _end = 0;
        _pooled = true;
    }

    /// <summary>Grows the buffer to hold at least <paramref name="capacity"/> bytes (bounded by the 1 MiB message
    /// limit). After the handshake the buffers come from the shared pool (returned when empty: <see cref="Release"/>).</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity <= _buffer.Length) return;
        var old = _buffer;
        var pooled = _afterHandshake;
        var grown = pooled ? ArrayPool<byte>.Shared.Rent(capacity) : GC.AllocateUninitializedArray<byte>(capacity);
        Unread.CopyTo(grown);
        _end -= _start;
        _start = 0;
        _buffer = grown;
        if (_pooled && old.Length > 0) ArrayPool<byte>.Shared.Return(old);
        _pooled = pooled;
    }
}
