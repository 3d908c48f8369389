using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TorrentLab.Lsd;

/// <summary>One local service discovery group's socket (BEP 14): bound to the group's port, a member of the group on
/// every interface that is up and multicast-capable, and sending each announce once per such interface.</summary>
/// <remarks>BEP 14 asks for an announce "on each interface on which it is listening for bittorrent connections"; the
/// session listens on every interface by default, so every multicast-capable one is used. The multicast TTL stays at
/// the system's default of 1: BEP 14 suggests raising it, but an announce that stays on its link is the cautious choice
/// for a library whose users run it anywhere. Loopback (<c>lo</c>) has no multicast on Linux and is skipped.</remarks>
internal sealed class LsdSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly IReadOnlyList<(int Index, IPAddress Address)> _interfaces;

    private LsdSocket(Socket socket, IPEndPoint group, IReadOnlyList<(int, IPAddress)> interfaces)
    {
        _socket = socket;
        Group = group;
        _interfaces = interfaces;
    }

    /// <summary>The group announces go to.</summary>
    public IPEndPoint Group { get; }

    /// <summary>The interfaces joined, by name and index, for a log line.</summary>
    public IReadOnlyList<string> InterfaceNames { get; private init; } = [];

    /// <summary>Opens the socket for <paramref name="group"/> and joins it on every usable interface.</summary>
    /// <exception cref="SocketException">The port cannot be bound, or no interface could join the group.</exception>
    public static LsdSocket Open(IPEndPoint group)
    {
        var v6 = group.AddressFamily == AddressFamily.InterNetworkV6;
        var socket = new Socket(group.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Other clients on this host listen on 6771 too: the port is shared, as every LSD implementation does.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (v6) socket.DualMode = false;
            socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, group.Port));
            var joined = new List<(int, IPAddress)>();
            var names = new List<string>();
            foreach (var (name, index, address) in Candidates(group.AddressFamily))
            {
                try
                {
                    if (v6) socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group.Address, index));
                    else socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group.Address, address));
                    joined.Add((index, address));
                    names.Add($"{name} ({address})");
                }
                catch (SocketException) { } // an interface that went down or refuses the group: the others still serve
            }
            if (joined.Count == 0) throw new SocketException((int)SocketError.AddressNotAvailable);
            return new LsdSocket(socket, group, joined) { InterfaceNames = names };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Interfaces that are up, multicast-capable and have an address of the family.</summary>
    private static IEnumerable<(string Name, int Index, IPAddress Address)> Candidates(AddressFamily family)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) || !nic.SupportsMulticast) continue;
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            var properties = nic.GetIPProperties();
            var address = properties.UnicastAddresses.Select(u => u.Address).FirstOrDefault(a => a.AddressFamily == family);
            if (address is null) continue;
            int index;
            try { index = family == AddressFamily.InterNetworkV6 ? properties.GetIPv6Properties().Index : properties.GetIPv4Properties().Index; }
            catch (NetworkInformationException) { continue; }
            yield return (nic.Name, index, address);
        }
    }

    /// <summary>Sends <paramref name="datagram"/> to the group once on each interface joined; returns how many sends
    /// succeeded (an interface that went away is skipped).</summary>
    public async Task<int> SendAsync(byte[] datagram, CancellationToken ct)
    {
        var sent = 0;
        foreach (var (index, address) in _interfaces)
        {
            try
            {
                if (Group.AddressFamily == AddressFamily.InterNetworkV6)
                    _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, index);
                else
                    _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, address.GetAddressBytes());
                await _socket.SendToAsync(datagram, SocketFlags.None, Group, ct).ConfigureAwait(false);
                sent++;
            }
            catch (SocketException) { }
        }
        return sent;
    }

    /// <summary>Hands every datagram received to <paramref name="onDatagram"/> (with its source) until cancelled;
    /// datagrams longer than <see cref="LsdAnnounce.MaxLength"/> arrive truncated to one byte more, so the parser refuses them.</summary>
    public async Task ReceiveAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, CancellationToken ct)
    {
        var buffer = new byte[LsdAnnounce.MaxLength + 1];
        EndPoint any = new IPEndPoint(Group.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset) { continue; }
            catch (ObjectDisposedException) { return; }
            onDatagram(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
        }
    }

    public void Dispose() => _socket.Dispose();
}
