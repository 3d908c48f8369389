namespace TorrentLab.PortMapping;

/// <summary>The transport a mapping forwards, by its IANA protocol number (PCP's own field; NAT-PMP and UPnP name it
/// their way).</summary>
internal enum IpProtocol : byte
{
    Tcp = 6,
    Udp = 17,
}

/// <summary>One mapping a router granted: external port to our internal port, for <see cref="Lifetime"/>
/// (<see cref="TimeSpan.Zero"/>: until deleted, a router that takes only permanent leases); <see cref="Via"/> is the
/// protocol that made it (and deletes it), <see cref="ExternalAddress"/> the router's external address when the answer
/// names it (PCP's), else null.</summary>
internal sealed record GrantedMapping(IpProtocol Protocol, int InternalPort, int ExternalPort, TimeSpan Lifetime, string Via,
    System.Net.IPAddress? ExternalAddress = null)
{
    public override string ToString() => $"{(Protocol == IpProtocol.Tcp ? "TCP" : "UDP")} {ExternalPort} -> {InternalPort}";
}
