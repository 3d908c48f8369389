using System.Buffers.Binary;

namespace TorrentLab.Dht;

/// <summary>A 160-bit DHT node id, or any key of the same space (an info hash, a lookup target).</summary>
/// <remarks>BEP 5: "Node IDs are chosen at random from the same 160-bit space as BitTorrent infohashes." Distance is
/// Kademlia's XOR metric: "distance(A,B) = |A xor B| Smaller values are closer."</remarks>
public readonly struct NodeId : IEquatable<NodeId>
{
    /// <summary>BEP 5: node ids are 20 bytes, like SHA-1 info hashes.</summary>
    public const int Length = 20;

    /// <summary>Bits in an id: the number of buckets a routing table can split into.</summary>
    public const int Bits = Length * 8;

    private readonly byte[] _bytes;

    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException($"a node id is {Length} bytes, got {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    /// <summary>A fresh id from the system's cryptographic random source.</summary>
    public static NodeId Random() => new(Randomness.Secret(Length));

    /// <summary>A random id from <paramref name="random"/> (reproducible, for tests and the lab).</summary>
    public static NodeId Random(Random random)
    {
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        return new NodeId(bytes);
    }

    /// <summary>Parses 40 hex digits (either case).</summary>
    /// <exception cref="FormatException">Not 40 hex digits.</exception>
    public static NodeId FromHex(string hex) =>
        hex.Length == Length * 2 ? new(Convert.FromHexString(hex)) : throw new FormatException($"expected 40 hex digits, got {hex.Length} characters");

    /// <summary>The 20 raw bytes, most significant first.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Length];

    /// <summary>40 lowercase hex digits.</summary>
    public string Hex => Convert.ToHexStringLower(Bytes);

    /// <summary>The XOR distance to <paramref name="other"/>, as an id-sized number.</summary>
    public NodeId DistanceTo(NodeId other)
    {
        Span<byte> distance = stackalloc byte[Length];
        for (var i = 0; i < Length; i++) distance[i] = (byte)(Bytes[i] ^ other.Bytes[i]);
        return new NodeId(distance);
    }

    /// <summary>How many leading bits this id shares with <paramref name="other"/> (160 when equal).</summary>
    public int CommonPrefixLength(NodeId other)
    {
        for (var i = 0; i < Length; i++)
        {
            var x = Bytes[i] ^ other.Bytes[i];
            if (x != 0) return i * 8 + System.Numerics.BitOperations.LeadingZeroCount((uint)x) - 24;
        }
        return Bits;
    }

    /// <summary>The bit length of the distance to <paramref name="other"/> (0 when equal, 160 when the first bit
    /// differs): the "log2 distance" a lookup prints per hop.</summary>
    public int LogDistanceTo(NodeId other) => Bits - CommonPrefixLength(other);

    /// <summary>Negative when <paramref name="a"/> is closer to this id than <paramref name="b"/>, zero when equally close.</summary>
    public int CompareDistance(NodeId a, NodeId b)
    {
        for (var i = 0; i < Length; i++)
        {
            var da = a.Bytes[i] ^ Bytes[i];
            var db = b.Bytes[i] ^ Bytes[i];
            if (da != db) return da < db ? -1 : 1;
        }
        return 0;
    }

    /// <summary>A random id that shares exactly the first <paramref name="prefixBits"/> bits with this id and differs
    /// at the next one (or shares all of them when <paramref name="prefixBits"/> is 160): a target inside one bucket.</summary>
    public NodeId RandomWithPrefix(int prefixBits, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixBits, Bits);
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        for (var bit = 0; bit < Math.Min(prefixBits + 1, Bits); bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            var ours = (Bytes[bit / 8] & mask) != 0;
            var want = bit < prefixBits ? ours : !ours;
            bytes[bit / 8] = want ? (byte)(bytes[bit / 8] | mask) : (byte)(bytes[bit / 8] & ~mask);
        }
        return new NodeId(bytes);
    }

    public bool Equals(NodeId other) => Bytes.SequenceEqual(other.Bytes);
    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);
    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(Bytes);
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);
    public override string ToString() => Hex;
}
