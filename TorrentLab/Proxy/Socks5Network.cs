using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;

namespace TorrentLab.Proxy;

/// <summary>A network whose connections go through a SOCKS5 proxy: a decorator of another network (the kernel's, or a
/// simulated one). TCP connections out are the proxy's CONNECT (RFC 1928 4); each UDP port talks through a UDP
/// ASSOCIATE of its own (<see cref="Socks5UdpPort"/>). With <see cref="Socks5Proxy.Only"/> it listens for nobody and
/// joins no multicast group; otherwise those go to the network beneath.</summary>
internal sealed class Socks5Network(INetwork inner, Socks5Proxy proxy, Action<string>? log = null, TimeProvider? time = null) : INetwork
{
    /// <summary>The network beneath, which carries our connections to the proxy.</summary>
    public INetwork Inner => inner;

    /// <summary>The proxy.</summary>
    public Socks5Proxy Proxy => proxy;

    internal Action<string>? Log => log;

    internal TimeProvider Time { get; } = time ?? TimeProvider.System;

    public bool SupportsIPv6 => inner.SupportsIPv6;

    public bool KeepsHttpConnections => inner.KeepsHttpConnections;

    /// <summary>A TCP stream to <paramref name="remote"/> through the proxy (CONNECT with the address).</summary>
    /// <exception cref="SocketException">The proxy is unreachable, refuses us, or cannot reach <paramref name="remote"/>.</exception>
    public Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct) =>
        RequestAsync(Socks5Messages.Request(Socks5Messages.Connect, remote), remote.ToString(), ct);

    /// <summary>A TCP stream to <paramref name="host"/> through the proxy, which resolves the name (CONNECT with a
    /// domain name), so the name is never looked up here.</summary>
    /// <exception cref="SocketException">The proxy is unreachable, refuses us, or cannot reach the host.</exception>
    public Task<Stream> ConnectAsync(string host, int port, CancellationToken ct) =>
        RequestAsync(Socks5Messages.Request(Socks5Messages.Connect, host, port), $"{host}:{port}", ct);

    private async Task<Stream> RequestAsync(byte[] request, string destination, CancellationToken ct)
    {
        var stream = await OpenAsync(ct).ConfigureAwait(false);
        try
        {
            var reply = await Socks5Handshake.RunAsync(stream, proxy, request, ct).ConfigureAwait(false);
            if (!reply.Succeeded)
                throw Socks5Handshake.Refused(Socks5Messages.ErrorOf(reply.Code),
                    $"the SOCKS5 proxy {proxy} could not connect to {destination}: {Socks5Messages.Describe(reply.Code)}");
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A TCP stream to the proxy itself, on the network beneath.</summary>
    /// <exception cref="SocketException">The proxy's name does not resolve, or it does not answer.</exception>
    internal async Task<Stream> OpenAsync(CancellationToken ct)
    {
        var at = await EndPointAsync(ct).ConfigureAwait(false);
        try
        {
            return await inner.ConnectAsync(at, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw Socks5Handshake.Refused(e.SocketErrorCode, $"cannot reach the SOCKS5 proxy {proxy} ({e.SocketErrorCode})");
        }
    }

    /// <summary>The proxy's address: its literal, or the first address its name resolves to beneath.</summary>
    internal async Task<IPEndPoint> EndPointAsync(CancellationToken ct)
    {
        if (IPAddress.TryParse(proxy.Host, out var literal)) return new IPEndPoint(literal, proxy.Port);
        var addresses = await inner.ResolveAsync(proxy.Host, ct).ConfigureAwait(false);
        return addresses.Length > 0 ? new IPEndPoint(addresses[0], proxy.Port)
            : throw Socks5Handshake.Refused(SocketError.HostNotFound, $"the SOCKS5 proxy's name '{proxy.Host}' has no address");
    }

    /// <summary>Without <see cref="Socks5Proxy.Only"/>, a listener of the network beneath (incoming peers come direct);
    /// with it, a port that accepts nothing (SOCKS5's BIND takes one connection from one known host, which a swarm's
    /// incoming peers are not).</summary>
    public ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false) =>
        proxy.Only ? new UnlistenedTcpPort(local) : inner.Listen(local, backlog, reuseAddress);

    /// <summary>A UDP port whose datagrams go through the proxy's relay (<see cref="Socks5UdpPort"/>).</summary>
    public IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options) => new Socks5UdpPort(this, inner.BindUdp(local, options));

    /// <summary>Multicast cannot go through a proxy: refused with <see cref="Socks5Proxy.Only"/>, else the network beneath's.</summary>
    /// <exception cref="SocketException">With <see cref="Socks5Proxy.Only"/>.</exception>
    public IMulticastPort JoinMulticast(IPEndPoint group) => proxy.Only
        ? throw Socks5Handshake.Refused(SocketError.AccessDenied, "local service discovery is multicast, which cannot go through the proxy (proxy only)")
        : inner.JoinMulticast(group);

    /// <summary>The resolver beneath; with <see cref="Socks5Proxy.Only"/>, none: the local resolver (and whoever
    /// watches its traffic) would learn which hosts we want. SOCKS5 has no command to resolve a name; instead TCP
    /// connections to a named host give the name to the proxy (<see cref="ConnectAsync(string, int, CancellationToken)"/>),
    /// and so do datagrams to one (<see cref="Socks5UdpPort.Send(ReadOnlySpan{byte}, string, int)"/>: UDP trackers).
    /// Only the proxy's own name is resolved beneath (<see cref="EndPointAsync"/>).</summary>
    /// <exception cref="SocketException">The name does not resolve; with <see cref="Socks5Proxy.Only"/>, always.</exception>
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => proxy.Only
        ? Task.FromException<IPAddress[]>(Socks5Handshake.Refused(SocketError.AccessDenied,
            $"'{host}' is not looked up: the local resolver would learn it (proxy only; only the proxy resolves names)"))
        : inner.ResolveAsync(host, ct);

    public IReadOnlyList<LocalInterface> Interfaces() => inner.Interfaces();
}
