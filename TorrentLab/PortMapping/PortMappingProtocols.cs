namespace TorrentLab.PortMapping;

/// <summary>The protocols a session may use to ask the router in front of it to forward its peer port
/// (<c>--port-mapping</c>, <c>--port-mapping-protocols</c>): none by default, as libtorrent, Transmission and qBittorrent
/// speak them when asked.</summary>
[Flags]
public enum PortMappingProtocols
{
    /// <summary>No port mapping: peers outside reach us only through a port forwarded by hand.</summary>
    None = 0,

    /// <summary>UPnP IGD: SSDP discovery on the local network, then <c>AddPortMapping</c> over SOAP/HTTP.</summary>
    Upnp = 1,

    /// <summary>NAT-PMP (RFC 6886), to the default gateway's UDP port 5351; also the fallback of a PCP request that
    /// the gateway answers with "unsupported version".</summary>
    NatPmp = 2,

    /// <summary>PCP (RFC 6887), NAT-PMP's successor on the same port: tried first when both are allowed.</summary>
    Pcp = 4,

    /// <summary>All three, as libtorrent does (UPnP beside PCP, falling back to NAT-PMP).</summary>
    All = Upnp | NatPmp | Pcp,
}
