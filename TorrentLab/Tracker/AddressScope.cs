using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>How far an address reaches: from this machine only to the whole internet. A peer or node on the internet
/// that names a loopback or LAN address is naming a service of ours or of our LAN, never a peer it could know of;
/// the holepunch relay (BEP 55) and the DHT lookup (BEP 5) compare the scope of what is named with the scope of who
/// named it.</summary>
internal enum AddressScope
{
    /// <summary>127/8, ::1: this machine.</summary>
    Loopback,
    /// <summary>169.254/16, fe80::/10: this link.</summary>
    LinkLocal,
    /// <summary>10/8, 172.16/12, 192.168/16, fc00::/7 (RFC 1918, RFC 4193): a private network.</summary>
    Private,
    /// <summary>100.64/10 (RFC 6598): an operator's carrier-grade NAT, shared by its customers.</summary>
    SharedNat,
    /// <summary>Everything else: the internet.</summary>
    Global,
}

/// <summary>The scope of an address, and how scopes compare.</summary>
internal static class AddressScopes
{
    /// <summary>The scope of <paramref name="address"/>; an IPv4-mapped or NAT64 (64:ff9b::/96) address is judged by
    /// the IPv4 address inside it.</summary>
    public static AddressScope Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> v6 = stackalloc byte[16];
            address.TryWriteBytes(v6, out _);
            ReadOnlySpan<byte> nat64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
            if (v6[..12].SequenceEqual(nat64)) return Of(new IPAddress(v6[12..]));
            if (IPAddress.IsLoopback(address)) return AddressScope.Loopback;
            if (address.IsIPv6LinkLocal) return AddressScope.LinkLocal;
            return (v6[0] & 0xFE) == 0xFC ? AddressScope.Private : AddressScope.Global;
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        if (b[0] == 127) return AddressScope.Loopback;
        if (b[0] == 169 && b[1] == 254) return AddressScope.LinkLocal;
        if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)) return AddressScope.Private;
        if (b[0] == 100 && (b[1] & 0xC0) == 64) return AddressScope.SharedNat;
        return AddressScope.Global;
    }

    /// <summary>How many hosts can reach an address of this scope, as a rank: loopback 0, link-local 1, private and
    /// carrier-grade NAT 2 (both one operator's network), global 3.</summary>
    public static int Reach(this AddressScope scope) => scope switch
    {
        AddressScope.Loopback => 0,
        AddressScope.LinkLocal => 1,
        AddressScope.Private or AddressScope.SharedNat => 2,
        _ => 3,
    };

    /// <summary>True when <paramref name="named"/>, named by a host at <paramref name="namer"/>, reaches no fewer hosts
    /// than the namer: a global node may name global nodes only; a LAN node may name LAN and global nodes.</summary>
    public static bool NoNarrowerThan(IPAddress named, IPAddress namer) => Of(named).Reach() >= Of(namer).Reach();
}
