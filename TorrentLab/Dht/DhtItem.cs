using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Dht;

/// <summary>A BEP 44 item stored in the DHT: an immutable value, found under the SHA-1 of its bencoded form, or a
/// mutable one, signed with an Ed25519 key and found under the SHA-1 of the key and an optional salt.</summary>
/// <remarks>Layouts (BEP 44):
/// <code>
///   immutable target = SHA-1(&lt;bencoded v&gt;)
///   mutable target   = SHA-1(&lt;k 32&gt; &lt;salt 0..64&gt;)
///   signed bytes     = [4:salt &lt;len&gt;:&lt;salt&gt;] 3:seqi&lt;seq&gt;e 1:v &lt;bencoded v&gt;   (the salt part only when there is a salt)
/// </code></remarks>
public sealed record DhtItem
{
    /// <summary>BEP 44: "Storing nodes MAY reject put requests where the bencoded form of v is longer than 1000 bytes."</summary>
    public const int MaxValueLength = 1000;

    /// <summary>BEP 44: the salt is at most 64 bytes (error 207 "salt (salt field) too big").</summary>
    public const int MaxSaltLength = 64;

    /// <summary>The value <c>v</c>, bencoded (any bencoded value: a string, an integer, a list, a dictionary).</summary>
    public required byte[] Value { get; init; }

    /// <summary>Mutable items: the Ed25519 public key <c>k</c> (32 bytes); null for an immutable item.</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>Mutable items: the optional <c>salt</c> (empty for none), so one key can publish several items.</summary>
    public byte[] Salt { get; init; } = [];

    /// <summary>Mutable items: the sequence number <c>seq</c>; a storing node keeps the highest it was given.</summary>
    public long Sequence { get; init; }

    /// <summary>Mutable items: the Ed25519 signature <c>sig</c> (64 bytes) of <see cref="SignedBytes"/>.</summary>
    public byte[]? Signature { get; init; }

    /// <summary>Whether the item is mutable (signed, with a key and a sequence number).</summary>
    public bool IsMutable => PublicKey is not null;

    /// <summary>Where the item is stored in the DHT: the id its closest nodes are close to.</summary>
    public NodeId Target => IsMutable ? MutableTarget(PublicKey!, Salt) : ImmutableTarget(Value);

    /// <summary>BEP 44: an immutable item's target is the SHA-1 of its bencoded value.</summary>
    public static NodeId ImmutableTarget(ReadOnlySpan<byte> bencodedValue) => new(SHA1.HashData(bencodedValue));

    /// <summary>BEP 44: a mutable item's target is the SHA-1 of its public key followed by its salt.</summary>
    public static NodeId MutableTarget(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt) => new(SHA1.HashData([.. publicKey, .. salt]));

    /// <summary>An immutable item holding <paramref name="bencodedValue"/>.</summary>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not canonical bencode.</exception>
    public static DhtItem Immutable(byte[] bencodedValue)
    {
        CheckValue(bencodedValue);
        return new DhtItem { Value = bencodedValue };
    }

    /// <summary>A mutable item holding <paramref name="bencodedValue"/>, signed with the Ed25519 secret
    /// <paramref name="seed"/> at sequence number <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not canonical bencode, the salt over 64
    /// bytes, the seed not 32 bytes.</exception>
    public static DhtItem SignMutable(ReadOnlySpan<byte> seed, byte[] bencodedValue, long sequence, byte[]? salt = null)
    {
        CheckValue(bencodedValue);
        salt ??= [];
        if (salt.Length > MaxSaltLength) throw new ArgumentException($"a salt is at most {MaxSaltLength} bytes, got {salt.Length}", nameof(salt));
        return new DhtItem
        {
            Value = bencodedValue, PublicKey = Ed25519.PublicKey(seed), Salt = salt, Sequence = sequence,
            Signature = Ed25519.Sign(seed, SignedBytes(salt, sequence, bencodedValue)),
        };
    }

    /// <summary>What a mutable item's signature covers (BEP 44): "the bencoded representation of the salt, sequence
    /// number and value, with the keys and values concatenated", the outer dictionary's 'd' and 'e' left out.</summary>
    public static byte[] SignedBytes(ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> bencodedValue)
    {
        var head = Encoding.ASCII.GetBytes(salt.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"4:salt{salt.Length}:") : "");
        var seq = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"3:seqi{sequence}e1:v"));
        return [.. head, .. salt, .. seq, .. bencodedValue];
    }

    /// <summary>Whether the item is what it claims: an immutable one whose value hashes to <paramref name="target"/>,
    /// or a mutable one whose key and salt hash to it and whose signature checks.</summary>
    public bool IsValidFor(NodeId target)
    {
        if (Value.Length > MaxValueLength || Target != target) return false;
        return !IsMutable || IsSignatureValid();
    }

    /// <summary>Whether a mutable item's signature is its key's signature of its salt, sequence number and value.</summary>
    public bool IsSignatureValid() =>
        PublicKey is { } key && Signature is { } sig && Ed25519.Verify(key, SignedBytes(Salt, Sequence, Value), sig);

    /// <summary>The value, decoded (for printing or reading it).</summary>
    public BValue DecodedValue() => BencodeDecoder.Decode(Value);

    private static void CheckValue(byte[] bencodedValue)
    {
        if (bencodedValue.Length > MaxValueLength)
            throw new ArgumentException($"a DHT item's bencoded value is at most {MaxValueLength} bytes, got {bencodedValue.Length}", nameof(bencodedValue));
        try
        {
            BencodeDecoder.Decode(bencodedValue);
        }
        catch (BencodeException e)
        {
            throw new ArgumentException($"a DHT item's value must be canonical bencode: {e.Message}", nameof(bencodedValue), e);
        }
    }
}
