using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>What one network interface looks like at one moment: whether it exists, whether it is up, and the
/// addresses we may send from (IPv4, and IPv6 other than link-local, which would need a scope).</summary>
internal sealed record InterfaceSnapshot(bool Exists, bool Up, IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>An interface that is not there.</summary>
    public static InterfaceSnapshot Missing { get; } = new(false, false, []);

    /// <summary>Whether traffic may go out: up, with at least one address.</summary>
    public bool Usable => Exists && Up && Addresses.Count > 0;

    /// <summary>The first address of <paramref name="family"/>, or null.</summary>
    public IPAddress? AddressOf(AddressFamily family) => Usable ? Addresses.FirstOrDefault(a => a.AddressFamily == family) : null;

    /// <summary>Why nothing may go out, for a log line ("interface tun0 down"), or null when usable.</summary>
    public string? Why(string name) => Usable ? null
        : !Exists ? $"interface {name} not found"
        : !Up ? $"interface {name} down"
        : $"interface {name} has no address";

    /// <summary>Same existence, state and addresses (in order).</summary>
    public bool SameAs(InterfaceSnapshot other) =>
        Exists == other.Exists && Up == other.Up && Addresses.SequenceEqual(other.Addresses);

    /// <summary>The kernel's view of the interface named <paramref name="name"/> (exactly, as <c>ip link</c> names it).
    /// An interface whose state the kernel calls unknown (a tun device often is) counts as up.</summary>
    public static InterfaceSnapshot OfSystem(string name)
    {
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (!string.Equals(nic.Name, name, StringComparison.Ordinal)) continue;
                var up = nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown;
                var addresses = nic.GetIPProperties().UnicastAddresses.Select(u => u.Address)
                    .Where(a => a.AddressFamily == AddressFamily.InterNetwork
                        || a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
                    .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1) // IPv4 first: the one named in lines
                    .ToList();
                return new InterfaceSnapshot(true, up, addresses);
            }
        }
        catch (NetworkInformationException) { }
        return Missing;
    }
}
