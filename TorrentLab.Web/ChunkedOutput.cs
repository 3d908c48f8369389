using System.Buffers;

namespace TorrentLab.Web;

/// <summary>An answer written in 64 KiB chunks rented from the shared pool, then copied to the response once: a 10 MB
/// list of 10,000 torrents never makes one large array (each of those went to the large object heap, doubled as it grew
/// and was cleared by the collector: half the CPU of a poll, as profiled), and an answer refused half-way is dropped
/// whole before anything is sent.</summary>
internal sealed class ChunkedOutput : IBufferWriter<byte>, IDisposable
{
    private const int ChunkSize = 64 * 1024;
    private readonly List<(byte[] Array, int Used)> _full = [];
    private byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _used;

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_used + count > _current.Length) throw new InvalidOperationException("advanced past the memory given");
        _used += count;
        Length += count;
    }

    // Reserve first: it may replace the current chunk (`_current.AsSpan(Reserve(...))` would read the old one).
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var at = Reserve(sizeHint);
        return _current.AsMemory(at);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var at = Reserve(sizeHint);
        return _current.AsSpan(at);
    }

    // Room for at least sizeHint bytes (one, when 0) at the end of the current chunk: a new chunk when it is full.
    private int Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed) return _used;
        _full.Add((_current, _used));
        _current = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, needed));
        _used = 0;
        return 0;
    }

    /// <summary>Forgets what was written (a refused answer), keeping one chunk.</summary>
    public void Clear()
    {
        foreach (var (array, _) in _full) ArrayPool<byte>.Shared.Return(array);
        _full.Clear();
        _used = 0;
        Length = 0;
    }

    /// <summary>Copies everything written to <paramref name="destination"/>, chunk by chunk.</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        foreach (var (array, used) in _full) await destination.WriteAsync(array.AsMemory(0, used), ct).ConfigureAwait(false);
        await destination.WriteAsync(_current.AsMemory(0, _used), ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Clear();
        ArrayPool<byte>.Shared.Return(_current);
        _current = [];
    }
}
