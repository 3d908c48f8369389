using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TorrentLab.PortMapping;

/// <summary>The router in front of us: the IPv4 default gateway, our address on its link, and the interface's name.
/// NAT-PMP and PCP speak to the gateway alone; SSDP searches on its interface alone (never on another interface of the
/// machine), so nothing is sent beyond the link that leads out.</summary>
internal sealed record Gateway(IPAddress Address, IPAddress Local, string Interface)
{
    /// <summary>The machine's first IPv4 default gateway on an interface that is up, with our address in the gateway's
    /// prefix on that interface; null when there is none (no network, or only IPv6).</summary>
    public static Gateway? FindDefault()
    {
        NetworkInterface[] interfaces;
        try { interfaces = NetworkInterface.GetAllNetworkInterfaces(); }
        catch (NetworkInformationException) { return null; }
        foreach (var nic in interfaces)
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            IPInterfaceProperties properties;
            try { properties = nic.GetIPProperties(); }
            catch (NetworkInformationException) { continue; }
            foreach (var gateway in properties.GatewayAddresses.Select(g => g.Address))
            {
                if (gateway.AddressFamily != AddressFamily.InterNetwork || gateway.Equals(IPAddress.Any)) continue;
                var local = properties.UnicastAddresses
                    .Where(u => u.Address.AddressFamily == AddressFamily.InterNetwork)
                    .FirstOrDefault(u => SamePrefix(u.Address, gateway, u.PrefixLength));
                if (local is not null) return new Gateway(gateway, local.Address, nic.Name);
            }
        }
        return null;
    }

    private static bool SamePrefix(IPAddress a, IPAddress b, int bits)
    {
        var (x, y) = (a.GetAddressBytes(), b.GetAddressBytes());
        for (var i = 0; i < x.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : 0xFF << (8 - bits) & 0xFF;
            if ((x[i] & mask) != (y[i] & mask)) return false;
        }
        return true;
    }

    /// <summary>RFC 6886 section 3: "This protocol SHOULD only be used when the client determines that its primary
    /// IPv4 address is in one of the private IPv4 address ranges defined in "Address Allocation for Private Internets"
    /// [RFC1918]." A public address needs no mapping (shared address space, 100.64/10, counts as private: a carrier's
    /// NAT may speak PCP).</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork) return false;
        var b = address.GetAddressBytes();
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xC0) == 64);
    }

    /// <summary>An external address worth telling others: a global IPv4 address (not private, shared, loopback,
    /// link-local, multicast, reserved or unspecified). A gateway behind another NAT reports its private one.</summary>
    public static bool IsGlobal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork || IsPrivate(address)) return false;
        var b = address.GetAddressBytes();
        return b[0] is not (0 or 127) && b[0] < 224 && !(b[0] == 169 && b[1] == 254);
    }
}
