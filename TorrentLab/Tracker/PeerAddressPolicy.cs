using System.Net;
using TorrentLab.Network;

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

    /// <summary>True when <paramref name="address"/> is a unicast address inside <paramref name="scope"/> (judged as
    /// <see cref="AddressKinds"/> says, an IPv4-mapped or NAT64 address as the IPv4 address it reaches).</summary>
    public static bool MayUse(IPAddress address, PeerScope scope = PeerScope.Any)
    {
        address = AddressKinds.Plain(address);
        if (!AddressKinds.IsUnicast(address)) return false;
        return scope switch
        {
            PeerScope.Loopback => IPAddress.IsLoopback(address),
            PeerScope.Private => IPAddress.IsLoopback(address) || AddressKinds.IsPrivate(address),
            _ => true,
        };
    }
}
