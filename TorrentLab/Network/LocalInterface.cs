using System.Net;

namespace TorrentLab.Network;

/// <summary>One unicast address of one network interface of the host: the interface's name and index (of the
/// address's family), the address and its prefix length, whether the interface is up (not merely of unknown state),
/// carries multicast, and is the loopback.</summary>
internal sealed record LocalInterface(string Name, int Index, IPAddress Address, int PrefixLength, bool Up, bool Multicast, bool Loopback);
