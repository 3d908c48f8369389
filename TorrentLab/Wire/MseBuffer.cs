namespace TorrentLab.Wire;

/// <summary>The bytes an MSE/PE handshake has read and not yet used: it reads from the stream in whatever chunks
/// arrive, finds the synchronisation markers inside them, and hands back what is left over for the peer wire protocol.</summary>
internal sealed class MseBuffer(Stream stream, string who)
{
    // Bounded: Ya or Yb (96) + 512 padding + markers + PadC/PadD (512) + an initial payload (at most 65535).
    private const int MaxBuffered = 96 + 512 + 20 + 20 + 14 + 512 + 2 + 65535 + 64 * 1024;
    private byte[] _buffer = new byte[4096];
    private int _start, _end;

    /// <summary>Bytes read from the stream so far (for error messages).</summary>
    public long Received { get; private set; }

    public int Available => _end - _start;

    /// <summary>Puts bytes already read from the stream (the first bytes of an incoming connection) in front.</summary>
    public void Prepend(ReadOnlySpan<byte> bytes)
    {
        Grow(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
        Received += bytes.Length;
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered.</summary>
    public async ValueTask EnsureAsync(int count, CancellationToken ct)
    {
        while (Available < count) await ReadMoreAsync(count - Available, ct).ConfigureAwait(false);
    }

    /// <summary>The next <paramref name="count"/> buffered bytes, left in the buffer (call <see cref="EnsureAsync"/> first).</summary>
    public ReadOnlySpan<byte> Peek(int count) => _buffer.AsSpan(_start, count);

    /// <summary>Takes the next <paramref name="count"/> buffered bytes (call <see cref="EnsureAsync"/> first).</summary>
    public Span<byte> Take(int count)
    {
        var taken = _buffer.AsSpan(_start, count);
        _start += count;
        return taken;
    }

    /// <summary>Skips bytes until <paramref name="marker"/> starts the buffer, looking at most <paramref name="maxSkip"/>
    /// bytes ahead (the padding allowed before it); the marker itself stays buffered.</summary>
    /// <exception cref="WireException">The marker is not within <paramref name="maxSkip"/> bytes.</exception>
    public async ValueTask SynchronizeAsync(ReadOnlyMemory<byte> marker, int maxSkip, string what, CancellationToken ct)
    {
        while (true)
        {
            var window = _buffer.AsSpan(_start, Math.Min(Available, maxSkip + marker.Length));
            var at = window.IndexOf(marker.Span);
            if (at >= 0)
            {
                _start += at;
                return;
            }
            if (window.Length >= maxSkip + marker.Length)
                throw new WireException($"{who}: no {what} within {maxSkip} bytes of padding");
            await ReadMoreAsync(1, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Everything buffered and not taken: the first bytes of the peer wire stream after the handshake.</summary>
    public Span<byte> Rest() => Take(Available);

    private async ValueTask ReadMoreAsync(int atLeast, CancellationToken ct)
    {
        Grow(Math.Max(atLeast, 1024));
        int read;
        try
        {
            read = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException && !ct.IsCancellationRequested)
        {
            throw new WireException($"{who}: connection lost during the encryption handshake ({e.InnerException?.Message ?? e.Message})", e, isViolation: false);
        }
        if (read == 0) throw new WireException($"{who}: the peer closed the connection during the encryption handshake", isViolation: false);
        _end += read;
        Received += read;
    }

    private void Grow(int room)
    {
        if (_end + room <= _buffer.Length) return;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, Available).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            if (_end + room <= _buffer.Length) return;
        }
        if (_end + room > MaxBuffered) throw new WireException($"{who}: the encryption handshake is longer than {MaxBuffered} bytes");
        Array.Resize(ref _buffer, Math.Min(MaxBuffered, Math.Max(_buffer.Length * 2, _end + room)));
    }
}
