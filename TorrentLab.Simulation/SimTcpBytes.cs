namespace TorrentLab.Simulation;

/// <summary>The bytes of one direction of a simulated TCP connection, from the write that put them there to the read
/// that takes them (or the close that drops them), first in first out, in chunks of <see cref="ChunkSize"/> from the
/// network's <see cref="Chunks"/>.</summary>
/// <remarks>The stream keeps what is unsent, on the way and unread here in the order written, and only lengths in its
/// queues. Before, each piece of a write had an array of its own from the shared pool, which on one processor keeps 32
/// arrays of a size: with thousands of connections most rentals were new arrays (a sixth of a run's allocations), each
/// rounded up to a power of two (a 4,800-byte piece of a 384 kbit/s uplink in 8 KiB).</remarks>
internal sealed class SimTcpBytes(SimTcpBytes.Chunks pool)
{
    /// <summary>4 KiB: a small message (a 9-byte have) waiting holds one chunk, a block message five.</summary>
    public const int ChunkSize = 4096;

    private readonly Queue<byte[]> _chunks = new();
    private byte[]? _tail;
    private int _head, _tailUsed;

    /// <summary>Bytes held.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="data"/> at the end.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        Count += data.Length;
        while (!data.IsEmpty)
        {
            if (_tail is null || _tailUsed == ChunkSize)
            {
                _tail = pool.Take();
                _tailUsed = 0;
                _chunks.Enqueue(_tail);
            }
            var n = Math.Min(data.Length, ChunkSize - _tailUsed);
            data[..n].CopyTo(_tail.AsSpan(_tailUsed));
            _tailUsed += n;
            data = data[n..];
        }
    }

    /// <summary>Moves the first <paramref name="into"/>.Length bytes into <paramref name="into"/>.</summary>
    public void Take(Span<byte> into)
    {
        while (!into.IsEmpty)
        {
            var n = Math.Min(into.Length, Readable());
            _chunks.Peek().AsSpan(_head, n).CopyTo(into);
            into = into[n..];
            Consumed(n);
        }
    }

    /// <summary>Drops the first <paramref name="count"/> bytes.</summary>
    public void Drop(long count)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(count, Readable());
            count -= n;
            Consumed(n);
        }
    }

    private int Readable() => (_chunks.Count == 1 ? _tailUsed : ChunkSize) - _head;

    private void Consumed(int n)
    {
        _head += n;
        Count -= n;
        if (_head < (_chunks.Count == 1 ? _tailUsed : ChunkSize)) return;
        pool.Give(_chunks.Dequeue());
        _head = 0;
        if (_chunks.Count > 0) return;
        _tail = null;
        _tailUsed = 0;
    }

    /// <summary>The chunks not in use in one simulation (one thread: no locking), kept for the next connection that
    /// has bytes to hold, up to <see cref="MostKept"/>.</summary>
    internal sealed class Chunks
    {
        /// <summary>16 MiB: what 200 peers of 100 MiB hold at once in their steady state is about 3,000 chunks, and a
        /// pool that kept every chunk given back held the 50,000 of the busiest moment (200 MB) to the end.</summary>
        public const int MostKept = 4096;

        private readonly Stack<byte[]> _free = new();

        /// <summary>Chunks kept for reuse now.</summary>
        public int Free => _free.Count;

        public byte[] Take() => _free.TryPop(out var chunk) ? chunk : GC.AllocateUninitializedArray<byte>(ChunkSize);

        public void Give(byte[] chunk)
        {
            if (_free.Count < MostKept) _free.Push(chunk);
        }
    }
}
