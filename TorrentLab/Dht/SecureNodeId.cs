using System.Net;
using System.Numerics;

namespace TorrentLab.Dht;

/// <summary>BEP 42, the DHT security extension: a node id tied to the node's external address, so that whoever wants
/// ids next to an info hash (to watch or hide its peers) needs addresses spread over the whole address space.</summary>
/// <remarks>BEP 42: the first 21 bits of the id are those of <c>crc32c((ip &amp; 0x030f3fff) | (r &lt;&lt; 29))</c> for an
/// IPv4 address (for IPv6, the high 64 bits masked with <c>0x0103070f1f3f7fff</c> and <c>r &lt;&lt; 61</c>), where
/// <c>r</c>, 0 to 7, is the low 3 bits of the id's last byte; the rest is random. Nodes on local networks (10/8,
/// 172.16/12, 192.168/16, 169.254/16, 127/8; for IPv6 loopback, link-local and unique-local) are exempt.</remarks>
internal static class SecureNodeId
{
    private static readonly byte[] V4Mask = [0x03, 0x0f, 0x3f, 0xff];
    private static readonly byte[] V6Mask = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

    /// <summary>A fresh id valid for <paramref name="address"/> (a random one for an exempt address).</summary>
    public static NodeId For(IPAddress address) =>
        IsExempt(address) ? NodeId.Random() : For(address, Randomness.Secret(NodeId.Length));

    /// <summary>The id for <paramref name="address"/> whose random parts come from <paramref name="random"/> (20
    /// bytes): its last byte is BEP 42's "rand", the first three take the address's hash. Tests use BEP 42's vectors.</summary>
    public static NodeId For(IPAddress address, ReadOnlySpan<byte> random)
    {
        if (random.Length != NodeId.Length) throw new ArgumentException($"{NodeId.Length} random bytes are needed", nameof(random));
        var crc = Hash(address, random[^1] & 7);
        Span<byte> id = stackalloc byte[NodeId.Length];
        random.CopyTo(id);
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)((byte)((crc >> 8) & 0xf8) | (random[2] & 0x07));
        return new NodeId(id);
    }

    /// <summary>True when <paramref name="id"/> is one BEP 42 allows at <paramref name="address"/>: its first 21 bits
    /// are the hash of the address with the "r" of its last byte, or the address is exempt.</summary>
    public static bool Matches(NodeId id, IPAddress address)
    {
        if (IsExempt(address)) return true;
        var bytes = id.Bytes;
        var crc = Hash(address, bytes[^1] & 7);
        return bytes[0] == (byte)(crc >> 24) && bytes[1] == (byte)(crc >> 16) && (bytes[2] & 0xf8) == ((crc >> 8) & 0xf8);
    }

    /// <summary>Addresses BEP 42 exempts from the check: local networks, loopback and self-assigned ones.</summary>
    public static bool IsExempt(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var length);
        if (length == 4)
            return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
        return address.IsIPv6LinkLocal || (b[0] & 0xfe) == 0xfc; // fe80::/10, fc00::/7
    }

    private static uint Hash(IPAddress address, int r)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> ip = stackalloc byte[16];
        address.TryWriteBytes(ip, out var length);
        var mask = length == 4 ? V4Mask : V6Mask;
        ip = ip[..mask.Length]; // IPv6: the high 64 bits
        for (var i = 0; i < ip.Length; i++) ip[i] &= mask[i];
        ip[0] |= (byte)(r << 5);
        return Crc32C(ip);
    }

    // CRC-32C (Castagnoli) as BEP 42 uses it: initial value and final XOR all ones, as in iSCSI and SSE 4.2's crc32.
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
