using System.Numerics;

namespace TorrentLab.Wire;

/// <summary>One bit per piece, laid out as BEP 3's <c>bitfield</c> message: the high bit of the first byte is
/// piece 0. Thread-safe for concurrent readers; writers must be serialized by the owner.</summary>
public sealed class Bitfield
{
    private readonly byte[] _bytes;

    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = new byte[ByteCount(length)];
    }

    /// <summary>Number of pieces (bits).</summary>
    public int Length { get; }

    /// <summary>How many bits are set.</summary>
    public int Count { get; private set; }

    public bool IsComplete => Count == Length;
    public bool IsEmpty => Count == 0;

    /// <summary>Bytes needed for <paramref name="pieces"/> bits: ceil(pieces / 8).</summary>
    public static int ByteCount(int pieces) => (pieces + 7) / 8;

    /// <summary>Parses the payload of a peer's <c>bitfield</c> message for a torrent of <paramref name="pieces"/> pieces.</summary>
    /// <exception cref="WireException">The length is not ceil(pieces/8) or a spare bit is set.</exception>
    public static Bitfield FromWire(ReadOnlySpan<byte> payload, int pieces)
    {
        if (payload.Length != ByteCount(pieces))
            throw new WireException($"bitfield of {payload.Length} bytes, expected {ByteCount(pieces)} for {pieces} pieces");
        // BEP 3: "Spare bits at the end are set to zero. Clients which send a bitfield with an inconsistent number of
        // bits [...] should drop the connection." Trailing bits set also mean "pieces" we cannot index.
        var spare = ByteCount(pieces) * 8 - pieces;
        if (spare > 0 && (payload[^1] & ((1 << spare) - 1)) != 0)
            throw new WireException("bitfield has spare bits set beyond the last piece");
        var bitfield = new Bitfield(pieces);
        payload.CopyTo(bitfield._bytes);
        foreach (var b in payload) bitfield.Count += BitOperations.PopCount(b);
        return bitfield;
    }

    /// <summary>A bitfield with every piece set (a seeder's).</summary>
    public static Bitfield Full(int pieces)
    {
        var bitfield = new Bitfield(pieces);
        for (var i = 0; i < pieces; i++) bitfield.Set(i);
        return bitfield;
    }

    public bool this[int index]
    {
        get
        {
            CheckIndex(index);
            return (_bytes[index >> 3] & (0x80 >> (index & 7))) != 0;
        }
    }

    /// <summary>Sets bit <paramref name="index"/>; returns false if it was already set.</summary>
    public bool Set(int index)
    {
        CheckIndex(index);
        ref var b = ref _bytes[index >> 3];
        var mask = (byte)(0x80 >> (index & 7));
        if ((b & mask) != 0) return false;
        b |= mask;
        Count++;
        return true;
    }

    /// <summary>Clears bit <paramref name="index"/>; returns false if it was already clear.</summary>
    public bool Clear(int index)
    {
        CheckIndex(index);
        ref var b = ref _bytes[index >> 3];
        var mask = (byte)(0x80 >> (index & 7));
        if ((b & mask) == 0) return false;
        b &= (byte)~mask;
        Count--;
        return true;
    }

    /// <summary>The wire bytes (a copy), spare bits zero.</summary>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <summary>The indexes of the set bits, ascending.</summary>
    public IEnumerable<int> SetIndexes()
    {
        for (var i = 0; i < Length; i++) if (this[i]) yield return i;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{Length - 1}");
    }
}
