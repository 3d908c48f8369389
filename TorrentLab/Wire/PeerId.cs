using System.Text;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

/// <summary>A 20-byte peer id. Ours follows BEP 20's Azureus style: <c>-TZvvvv-</c> then 12 random bytes.</summary>
public readonly record struct PeerId
{
    public const int Length = 20; // BEP 3: "peer_id: A string of length 20"

    // BEP 20: '-', two client letters, four version digits, '-'. TZ = TorrentLab, 0100 = 0.1.0. Not TL: that is
    // Tribler's in the published tables (libtorrent showed us as "Tribler 0.1.0"); libtorrent shows TZ as "TZ 0.1.0".
    private const string Prefix = "-TZ0100-";

    private readonly byte[] _bytes;

    public PeerId(ReadOnlySpan<byte> bytes) => _bytes = FixedBytes.Copy(bytes, Length, "a peer id");

    /// <summary>A fresh id for this session: the BEP 20 prefix and 12 random printable bytes.</summary>
    public static PeerId CreateOurs() => CreateOurs(Randomness.SecretInt32);

    /// <summary>An id like <see cref="CreateOurs()"/> drawn from <paramref name="random"/>: the same seed gives the same id
    /// (the lab's synthetic peers, so a seeded run shows the same peer ids).</summary>
    internal static PeerId CreateOurs(Random random) => CreateOurs(random.Next);

    /// <summary>The BEP 20 prefix, then 12 printable bytes chosen by <paramref name="below"/> (a number below its argument).</summary>
    private static PeerId CreateOurs(Func<int, int> below)
    {
        var bytes = new byte[Length];
        Encoding.ASCII.GetBytes(Prefix, bytes);
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (var i = Prefix.Length; i < Length; i++) bytes[i] = (byte)alphabet[below(alphabet.Length)];
        return new PeerId(bytes);
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>40 lowercase hex digits, as the classroom <c>handshake</c> stage prints it.</summary>
    public string Hex => FixedBytes.Hex(_bytes, Length);

    public bool Equals(PeerId other) => Bytes.SequenceEqual(other.Bytes);
    public override int GetHashCode() => FixedBytes.HashCode(_bytes, 12); // past the client prefix: the random part
    public override string ToString() => Hex;

    /// <summary>The client this id names by BEP 20's conventions ("libtorrent 2.0.8.0"), a hint, never an identity.</summary>
    public string Client => PeerClients.Describe(Bytes);

    /// <summary>The client a peer id given as 40 hex digits names (as the wire trace shows it), or "unknown".</summary>
    public static string ClientOfHex(string hex) => PeerClients.DescribeHex(hex);
}
