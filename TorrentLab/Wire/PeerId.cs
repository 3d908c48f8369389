using System.Security.Cryptography;
using System.Text;

namespace TorrentLab.Wire;

/// <summary>A 20-byte peer id. Ours follows BEP 20's Azureus style: <c>-TLvvvv-</c> then 12 random bytes.</summary>
public readonly struct PeerId : IEquatable<PeerId>
{
    public const int Length = 20; // BEP 3: "peer_id: A string of length 20"

    // BEP 20: '-', two client letters, four version digits, '-'. TL = TorrentLab, 0100 = 0.1.0.
    private const string Prefix = "-TL0100-";

    private readonly byte[] _bytes;

    public PeerId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException($"a peer id is {Length} bytes, got {bytes.Length}", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    /// <summary>A fresh id for this session: the BEP 20 prefix and 12 random printable bytes.</summary>
    public static PeerId CreateOurs()
    {
        var bytes = new byte[Length];
        Encoding.ASCII.GetBytes(Prefix, bytes);
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (var i = Prefix.Length; i < Length; i++) bytes[i] = (byte)alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        return new PeerId(bytes);
    }

    /// <summary>An id like <see cref="CreateOurs()"/> drawn from <paramref name="random"/>: the same seed gives the same id
    /// (the lab's synthetic peers, so a seeded run shows the same peer ids).</summary>
    internal static PeerId CreateOurs(Random random)
    {
        var bytes = new byte[Length];
        Encoding.ASCII.GetBytes(Prefix, bytes);
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (var i = Prefix.Length; i < Length; i++) bytes[i] = (byte)alphabet[random.Next(alphabet.Length)];
        return new PeerId(bytes);
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>40 lowercase hex digits, as the classroom <c>handshake</c> stage prints it.</summary>
    public string Hex => Convert.ToHexStringLower(_bytes ?? new byte[Length]);

    public bool Equals(PeerId other) => Bytes.SequenceEqual(other.Bytes);
    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);
    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 12);
    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);
    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);
    public override string ToString() => Hex;

    /// <summary>The client this id names by BEP 20's conventions ("libtorrent 2.0.8.0"), a hint, never an identity.</summary>
    public string Client => PeerClients.Describe(Bytes);

    /// <summary>The client a peer id given as 40 hex digits names (as the wire trace shows it), or "unknown".</summary>
    public static string ClientOfHex(string hex) => PeerClients.DescribeHex(hex);
}
