using System.Net;

namespace TorrentLab.Network;

/// <summary>Everything the engine does with the network, in one place: TCP streams out and in, UDP ports (uTP, the
/// DHT, UDP trackers), the multicast group of local service discovery, name resolution and the machine's interfaces.
/// <see cref="SystemNetwork"/> is the kernel's sockets; a simulated network is the other implementation, and a proxy
/// is a decorator of either.</summary>
/// <remarks>
/// <para>A session reaches it through <c>SessionSettings.Network</c>, and so does everything the session and its
/// torrents open (the peer listener, the dialler, uTP, the DHT, local service discovery, HTTP and UDP trackers, web
/// seeds, magnet fetches); HTTP goes through <see cref="ConnectAsync"/> from a <c>SocketsHttpHandler</c>'s connect
/// callback. Code without a session uses <see cref="SystemNetwork.Instance"/>.</para>
/// <para>Failures are the kernel's words, whoever implements it: a <see cref="System.Net.Sockets.SocketException"/>
/// with its error code (refused, unreachable, address in use), so a caller handles one kind of failure.</para>
/// </remarks>
internal interface INetwork
{
    /// <summary>Opens a TCP connection to <paramref name="remote"/> (Nagle off: requests are small and must not wait).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">Refused or unreachable.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled first.</exception>
    Task<Stream> ConnectAsync(IPEndPoint remote, CancellationToken ct);

    /// <summary>Binds <paramref name="local"/> for TCP and listens (port 0 picks a free one; <c>::</c> takes IPv4
    /// peers too, named as the IPv4 addresses they are). With <paramref name="reuseAddress"/>, a port whose old
    /// connections still linger (TIME_WAIT) can be bound again at once (a server restarted on its fixed port); two
    /// listeners still cannot share one.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is taken or not ours.</exception>
    ITcpListener Listen(IPEndPoint local, int backlog, bool reuseAddress = false);

    /// <summary>Binds a UDP port at <paramref name="local"/> (port 0 picks a free one).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is taken or not ours.</exception>
    IUdpPort BindUdp(IPEndPoint local, UdpPortOptions options);

    /// <summary>Joins the multicast <paramref name="group"/> on every interface that can, bound to its port, shared with
    /// other programs (BEP 14's local service discovery).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The port cannot be bound, or no interface joined.</exception>
    IMulticastPort JoinMulticast(IPEndPoint group);

    /// <summary>The addresses of a host name.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The name does not resolve.</exception>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);

    /// <summary>The interfaces that are up, with one unicast address and prefix each (local service discovery sends on
    /// the multicast-capable ones and hears only senders on them).</summary>
    IReadOnlyList<LocalInterface> Interfaces();

    /// <summary>Whether IPv6 sockets can be made at all (a machine may have it off).</summary>
    bool SupportsIPv6 { get; }

    /// <summary>Whether an HTTP client may keep connections open between requests. <c>SocketsHttpHandler</c> ages its
    /// pooled connections on the system's clock, which a simulated network cannot move: there every request opens a
    /// connection of its own, so a run depends on nothing but its own clock.</summary>
    bool KeepsHttpConnections { get; }
}
