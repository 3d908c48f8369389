using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>The kernel's network: real sockets, the system's resolver, the machine's interfaces.</summary>
internal sealed class SystemNetwork : INetwork
{
    /// <summary>The one instance: what a session uses unless told otherwise, and what code without a session uses.</summary>
    public static SystemNetwork Instance { get; } = new();

    private SystemNetwork() { }

    private static volatile bool _closed;

    /// <summary>From now on, nothing in this process reaches the kernel's network (every call throws): a simulation's
    /// process closes it at its start, so a default left somewhere cannot send a real packet.</summary>
    internal static void CloseForThisProcess() => _closed = true;

    private static void ThrowIfClosed()
    {
        if (_closed) throw new InvalidOperationException("this process runs a simulation: the kernel's network is not used");
    }

    public bool SupportsIPv6 => Socket.OSSupportsIPv6;

    public bool KeepsHttpConnections => true;

    public Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct) => ConnectAsync(remote, null, null, ct);

    /// <summary><see cref="ConnectAsync(IPEndPoint, CancellationToken)"/> from <paramref name="local"/> (port 0), the
    /// socket first handed to <paramref name="prepare"/> (an interface binding: <see cref="BoundNetwork"/>).</summary>
    internal async Task<Stream> ConnectAsync(IPEndPoint remote, IPAddress? local, Action<Socket>? prepare, CancellationToken ct)
    {
        ThrowIfClosed();
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            prepare?.Invoke(socket);
            if (local is not null) socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(remote, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false) => Listen(local, backlog, reuseAddress, null);

    /// <summary><see cref="Listen(IPEndPoint, int, bool)"/>, the socket first handed to <paramref name="prepare"/>.</summary>
    internal ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress, Action<Socket>? prepare)
    {
        ThrowIfClosed();
        var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            prepare?.Invoke(socket);
            // "::" takes IPv4 peers too; a specific IPv6 address (::1) stays IPv6 only, as the caller asked.
            if (local.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            // On Linux SO_REUSEADDR lets a TCP port be bound while its old connections are in TIME_WAIT, never by two
            // listeners at once.
            if (reuseAddress) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(local);
            socket.Listen(backlog);
            return new SystemTcpListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options) => BindUdp(local, options, null);

    /// <summary><see cref="BindUdp(IPEndPoint, UdpPortOptions)"/>, the socket first handed to <paramref name="prepare"/>.</summary>
    internal IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options, Action<Socket>? prepare)
    {
        ThrowIfClosed();
        return SystemUdpPort.Bind(local, options, prepare);
    }

    public IMulticastPort JoinMulticast(IPEndPoint group)
    {
        ThrowIfClosed();
        return SystemMulticastPort.Join(group, Interfaces());
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        ThrowIfClosed();
        return Dns.GetHostAddressesAsync(host, ct);
    }

    public IReadOnlyList<LocalInterface> Interfaces()
    {
        var found = new List<LocalInterface>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)) continue;
                var properties = nic.GetIPProperties();
                foreach (var unicast in properties.UnicastAddresses)
                {
                    var family = unicast.Address.AddressFamily;
                    if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                    int index;
                    try { index = family == AddressFamily.InterNetworkV6 ? properties.GetIPv6Properties().Index : properties.GetIPv4Properties().Index; }
                    catch (NetworkInformationException) { index = -1; } // no index for this family: never a multicast interface
                    found.Add(new LocalInterface(nic.Name, index, unicast.Address, unicast.PrefixLength,
                        nic.OperationalStatus == OperationalStatus.Up, nic.SupportsMulticast && index >= 0,
                        nic.NetworkInterfaceType == NetworkInterfaceType.Loopback));
                }
            }
        }
        catch (NetworkInformationException) { }
        return found;
    }
}
