using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>One multicast group's socket of the kernel's: bound to the group's port (shared with other programs), a
/// member of the group on every interface that is up, not the loopback and multicast-capable, and sending each
/// datagram once per such interface.</summary>
/// <remarks>BEP 14 asks for an announce "on each interface on which it is listening for bittorrent connections"; the
/// session listens on every interface by default, so every multicast-capable one is used. The multicast TTL stays at
/// the system's default of 1: BEP 14 suggests raising it, but an announce that stays on its link is the cautious choice
/// for a library whose users run it anywhere. Loopback (<c>lo</c>) has no multicast on Linux and is skipped.</remarks>
internal sealed class SystemMulticastPort : IMulticastPort
{
    private readonly Socket _socket;
    private readonly IReadOnlyList<(int Index, IPAddress Address)> _interfaces;
    private readonly CancellationTokenSource _stop = new();

    private SystemMulticastPort(Socket socket, IPEndPoint group, IReadOnlyList<(int, IPAddress)> interfaces, IReadOnlyList<string> names)
    {
        _socket = socket;
        Group = group;
        _interfaces = interfaces;
        InterfaceNames = names;
    }

    public IPEndPoint Group { get; }

    public IReadOnlyList<string> InterfaceNames { get; }

    /// <summary>Opens the socket for <paramref name="group"/> and joins it on every usable interface of
    /// <paramref name="interfaces"/> (the first address of the group's family on each).</summary>
    /// <exception cref="SocketException">The port cannot be bound, or no interface could join the group.</exception>
    public static SystemMulticastPort Join(IPEndPoint group, IReadOnlyList<LocalInterface> interfaces)
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
            var candidates = interfaces.Where(i => i.Multicast && !i.Loopback && i.Address.AddressFamily == group.AddressFamily)
                .DistinctBy(i => i.Name);
            foreach (var candidate in candidates)
            {
                try
                {
                    if (v6) socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group.Address, candidate.Index));
                    else socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group.Address, candidate.Address));
                    joined.Add((candidate.Index, candidate.Address));
                    names.Add($"{candidate.Name} ({candidate.Address})");
                }
                catch (SocketException) { } // an interface that went down or refuses the group: the others still serve
            }
            if (joined.Count == 0) throw new SocketException((int)SocketError.AddressNotAvailable);
            return new SystemMulticastPort(socket, group, joined, names);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, int maxDatagram) => _ = ReceiveAsync(onDatagram, maxDatagram, _stop.Token);

    private async Task ReceiveAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, int maxDatagram, CancellationToken ct)
    {
        var buffer = new byte[maxDatagram];
        EndPoint any = new IPEndPoint(Group.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset) { continue; }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            onDatagram(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
