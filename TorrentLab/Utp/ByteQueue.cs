using System.Buffers;

namespace TorrentLab.Utp;

/// <summary>A first-in first-out byte buffer with a fixed capacity. Its storage is rented while bytes are held and
/// returned once they are all taken, so a connection holds memory only while its bytes wait (a burst that filled a 2 MiB
/// receive window does not keep 2 MiB after the reader drained it).</summary>
internal sealed class ByteQueue
{
    private const int MinimumRent = 4096;

    private readonly int _capacity;
    private byte[] _buffer = [];
    private int _head;

    public ByteQueue(int capacity) => _capacity = capacity;

    /// <summary>Bytes held.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes that can still be added.</summary>
    public int Free => _capacity - Count;

    /// <summary>The size of the storage rented now (0 while empty).</summary>
    public int Rented => _buffer.Length;

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns the bytes taken.</summary>
    public int Enqueue(ReadOnlySpan<byte> data)
    {
        var take = Math.Min(data.Length, Free);
        if (take == 0) return 0;
        Reserve(Count + take);
        var tail = (_head + Count) % _buffer.Length;
        var first = Math.Min(take, _buffer.Length - tail);
        data[..first].CopyTo(_buffer.AsSpan(tail));
        data[first..take].CopyTo(_buffer);
        Count += take;
        return take;
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length from the front; returns the bytes moved.</summary>
    public int Dequeue(Span<byte> destination)
    {
        var take = Math.Min(destination.Length, Count);
        if (take == 0) return 0;
        var first = Math.Min(take, _buffer.Length - _head);
        _buffer.AsSpan(_head, first).CopyTo(destination);
        _buffer.AsSpan(0, take - first).CopyTo(destination[first..]);
        _head = (_head + take) % _buffer.Length;
        Count -= take;
        if (Count == 0) Release();
        return take;
    }

    private void Release()
    {
        _head = 0;
        if (_buffer.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Reserve(int needed)
    {
        if (needed <= _buffer.Length) return;
        // Double from the last size (the pool hands out powers of two), never beyond what the capacity needs.
        var size = Math.Min(_capacity, Math.Max(needed, Math.Max(MinimumRent, _buffer.Length * 2)));
        var grown = ArrayPool<byte>.Shared.Rent(size);
        var first = Math.Min(Count, _buffer.Length - _head);
        _buffer.AsSpan(_head, first).CopyTo(grown);
        _buffer.AsSpan(0, Count - first).CopyTo(grown.AsSpan(first));
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
        _head = 0;
    }
}
