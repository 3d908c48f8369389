using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>Which peer addresses may be dialled at all, wherever they came from (tracker, PEX, the command line).</summary>
public enum PeerScope
{
    /// <summary>Any unicast address (the default of a normal client).</summary>
    Any,
    /// <summary>Loopback and private ranges only (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7): a LAN or lab swarm.</summary>
    Private,
    /// <summary>Loopback only (127/8, ::1): tests and classroom swarms on one machine.</summary>
    Loopback,
}

/// <summary>Decides whether an address handed to us by someone else (a tracker, a peer's PEX message) may be dialled.</summary>
/// <remarks>Addresses that can never be a peer are always dropped: unspecified (0.0.0.0, ::), broadcast
/// (255.255.255.255), multicast (224/4, ff00::/8), link-local (169.254/16, fe80::/10), port 0, and NAT64 addresses
/// (64:ff9b::/96) of any of them. A hostile tracker or
/// peer could otherwise make us send packets to a whole subnet or to a router's link-local services. The
/// <see cref="PeerScope"/> narrows it further.</remarks>
internal static class PeerAddressPolicy
{
    /// <summary>True when <paramref name="endpoint"/> may be dialled under <paramref name="scope"/>.</summary>
    public static bool MayDial(IPEndPoint endpoint, PeerScope scope = PeerScope.Any) =>
        endpoint.Port is > 0 and <= IPEndPoint.MaxPort && MayUse(endpoint.Address, scope);

    /// <summary>True when <paramref name="address"/> is a unicast address inside <paramref name="scope"/>.</summary>
    public static bool MayUse(IPAddress address, PeerScope scope = PeerScope.Any)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (Nat64Embedded(address) is { } embedded) address = embedded;
        if (!IsUnicast(address)) return false;
        return scope switch
        {
            PeerScope.Loopback => IPAddress.IsLoopback(address),
            PeerScope.Private => IPAddress.IsLoopback(address) || IsPrivate(address),
            _ => true,
        };
    }

    /// <summary>The IPv4 address inside a NAT64 address of the well-known prefix 64:ff9b::/96 (RFC 6052), which a NAT64
    /// gateway turns back into that IPv4 address: [64:ff9b::a9fe:a9fe] reaches 169.254.169.254, so it is judged as
    /// that. Null for any other address.</summary>
    private static IPAddress? Nat64Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return null;
        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        ReadOnlySpan<byte> prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
        return v6[..12].SequenceEqual(prefix) ? new IPAddress(v6[12..]) : null;
    }

    private static bool IsUnicast(IPAddress address)
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

    private static bool IsPrivate(IPAddress address)
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
}
