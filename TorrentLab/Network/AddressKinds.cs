using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>What kind of address an address is: unicast or not, loopback, private. The one place these ranges are
/// written down; the peer address policy (<c>Tracker.PeerAddressPolicy</c>) and the proxy's relay check
/// (<c>Proxy.Socks5UdpPort</c>) both judge by it.</summary>
internal static class AddressKinds
{
    /// <summary>The address as the network will treat it: an IPv4-mapped IPv6 address as its IPv4 address, and a NAT64
    /// address of the well-known prefix 64:ff9b::/96 (RFC 6052) as the IPv4 address inside, which a NAT64 gateway turns
    /// it back into ([64:ff9b::a9fe:a9fe] reaches 169.254.169.254).</summary>
    public static IPAddress Plain(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        ReadOnlySpan<byte> prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
        return v6[..12].SequenceEqual(prefix) ? new IPAddress(v6[12..]) : address;
    }

    /// <summary>True for an address one host can be reached at: not unspecified (0.0.0.0, 0/8, ::), multicast (224/4,
    /// ff00::/8), reserved or broadcast (240/4, 255.255.255.255), nor link-local (169.254/16, fe80::/10). Give it a
    /// <see cref="Plain"/> address.</summary>
    public static bool IsUnicast(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            if (b[0] == 0) return false;                                   // 0/8: "this network", 0.0.0.0 unspecified
            if (b[0] >= 224) return false;                                 // 224/4 multicast, 240/4 reserved, broadcast
            return !(b[0] == 169 && b[1] == 254);                          // 169.254/16 link-local
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return !address.Equals(IPAddress.IPv6Any) && !address.IsIPv6Multicast && !address.IsIPv6LinkLocal;
        }
        return false;
    }

    /// <summary>True for an address of a private network: 10/8, 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (carrier-grade
    /// NAT, RFC 6598) and fc00::/7 (unique local, RFC 4193). Loopback is not private here. Give it a
    /// <see cref="Plain"/> address.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> v6 = stackalloc byte[16];
            address.TryWriteBytes(v6, out _);
            return (v6[0] & 0xFE) == 0xFC; // fc00::/7 unique local
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] == 10
            || (b[0] == 172 && (b[1] & 0xF0) == 16)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && (b[1] & 0xC0) == 64); // 100.64/10 carrier-grade NAT
    }

    /// <summary>The kind of a <see cref="Plain"/> address in a few words, for a message that says why it was refused:
    /// "loopback", "private (LAN)", "link-local", "unspecified", "multicast", "reserved or broadcast", or "public".</summary>
    public static string Describe(IPAddress address)
    {
        if (IPAddress.IsLoopback(address)) return "loopback";
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any)) return "unspecified";
            if (address.IsIPv6Multicast) return "multicast";
            if (address.IsIPv6LinkLocal) return "link-local";
            return IsPrivate(address) ? "private (LAN)" : "public";
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] switch
        {
            0 => "unspecified",
            >= 240 => "reserved or broadcast",
            >= 224 => "multicast",
            169 when b[1] == 254 => "link-local",
            _ => IsPrivate(address) ? "private (LAN)" : "public",
        };
    }
}
