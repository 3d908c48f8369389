using System.Net;
using System.Net.Sockets;
using TorrentLab.Downloads;
using TorrentLab.Network;
using TorrentLab.Utp;

namespace TorrentLab.Swarm;

/// <summary>Accepts incoming peers on the session's port number, on one or more local addresses: TCP connections on
/// the TCP port and uTP connections on the UDP port of the same number, each handed to the session as a stream.</summary>
/// <remarks>
/// <para>BEP 3 suggests ports 6881-6889: when the requested port is taken and <c>fallback</c> is allowed, the next
/// ones in that range are tried, then any free port; a port counts as free only when TCP and UDP both bind it, so
/// peers that learn it (from the tracker, PEX or the extension handshake's <c>p</c>) reach us over either. Every
/// address listens on that one port (the one we announce). <c>::</c> is dual-stack for TCP (IPv4 peers arrive as
/// IPv4-mapped addresses and are named as IPv4); on a machine without IPv6 it falls back to <c>0.0.0.0</c>. The
/// handshake itself is read by the session (<c>PeerConnection.AcceptAsync</c>), which accepts only torrents it serves.</para>
/// <para>The UDP port belongs to <see cref="Utp"/>, bound on the first address (<c>::</c> reads as <c>0.0.0.0</c> there:
/// uTP and the DHT speak IPv4 unless an IPv6 address is bound): it is bound whatever the transport (uTP connections
/// are refused with ST_RESET when TCP only is asked for), and every datagram that is not uTP goes to its
/// <see cref="UtpSocket.OtherDatagrams"/>, where a DHT node sharing the port plugs in (KRPC datagrams start with 'd')
/// and sends with <see cref="UtpSocket.SendDatagram"/>.</para>
/// </remarks>
internal sealed class PeerListener : IAsyncDisposable
{
    /// <summary>Tries at port 0 to find a number free for both TCP and UDP (the kernel picks TCP's, UDP may hold it).</summary>
    private const int AnyPortTries = 8;

    private readonly ITcpListener[] _tcp;

    private PeerListener(ITcpListener[] tcp, UtpSocket? utp)
    {
        _tcp = tcp;
        Utp = utp;
        EndPoints = tcp.Length > 0 ? [.. tcp.Select(s => s.LocalEndPoint)] : [utp!.LocalEndPoint];
    }

    /// <summary>The first address and port we listen on.</summary>
    public IPEndPoint EndPoint => EndPoints[0];

    /// <summary>Every address we listen on (all on the same port number).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>The one UDP socket on our port: uTP connections in and out, and other datagrams (the DHT's) passed on;
    /// null only when TCP alone was asked for and the UDP port could not be bound.</summary>
    public UtpSocket? Utp { get; }

    /// <summary>Binds and listens on one address of the kernel's network.</summary>
    /// <exception cref="SwarmException">The port is taken (and no fallback was allowed or found).</exception>
    public static PeerListener Start(IPAddress address, int port, bool fallback, PeerTransport transport) =>
        Start(SystemNetwork.Instance, [address], port, fallback, transport);

    /// <summary>Binds and listens on every address of the kernel's network (see the overload with a network).</summary>
    /// <exception cref="SwarmException">A port is taken (and no fallback was allowed or found), or no address given.</exception>
    public static PeerListener Start(IReadOnlyList<IPAddress> addresses, int port, bool fallback, PeerTransport transport) =>
        Start(SystemNetwork.Instance, addresses, port, fallback, transport);

    /// <summary>Binds and listens on every address of <paramref name="network"/>, on one port number: the first address
    /// picks it (with the fallback) for TCP and UDP, the others must get the same one for TCP.</summary>
    /// <exception cref="SwarmException">A port is taken (and no fallback was allowed or found), or no address given.</exception>
    public static PeerListener Start(INetwork network, IReadOnlyList<IPAddress> addresses, int port, bool fallback, PeerTransport transport,
        UtpOptions? utp = null)
    {
        if (addresses.Count == 0) throw new SwarmException("no local address to listen on");
        var chosen = addresses.Select(a => a.Equals(IPAddress.IPv6Any) && !network.SupportsIPv6 ? IPAddress.Any : a).Distinct().ToList();
        // A number picked by the first address may be taken on another: when any number will do, pick again.
        for (var tries = 1; ; tries++)
        {
            try
            {
                return StartOn(network, chosen, port, fallback, transport, utp);
            }
            catch (SwarmException) when (port == 0 && chosen.Count > 1 && tries < AnyPortTries) { }
        }
    }

    private static PeerListener StartOn(INetwork network, List<IPAddress> chosen, int port, bool fallback, PeerTransport transport, UtpOptions? utpOptions)
    {
        var (first, utp) = BindFirst(network, chosen[0], port, fallback, transport, utpOptions);
        var sockets = new List<ITcpListener>();
        if (first is not null) sockets.Add(first);
        var bound = first is not null ? first.LocalEndPoint.Port : utp!.LocalEndPoint.Port;
        try
        {
            if (transport != PeerTransport.Utp)
                foreach (var address in chosen.Skip(1))
                    sockets.Add(TryBindTcp(network, address, bound, out var error)
                        ?? throw new SwarmException($"cannot listen on {Show(address, bound)} for incoming peers ({error?.SocketErrorCode})", error));
        }
        catch
        {
            foreach (var socket in sockets) socket.Dispose();
            utp?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return new PeerListener([.. sockets], utp);
    }

    private static (ITcpListener? Tcp, UtpSocket? Utp) BindFirst(INetwork network, IPAddress address, int port, bool fallback,
        PeerTransport transport, UtpOptions? utpOptions)
    {
        IEnumerable<int> ports = [port];
        if (fallback && port != 0) ports = ports.Concat(Enumerable.Range(6881, 9).Where(p => p != port)).Append(0);
        if (ports.Last() == 0) ports = ports.Concat(Enumerable.Repeat(0, AnyPortTries - 1));
        var udpAddress = address.Equals(IPAddress.IPv6Any) ? IPAddress.Any : address;
        SocketException? last = null;
        foreach (var candidate in ports)
        {
            ITcpListener? tcp = null;
            try
            {
                var number = candidate;
                if (transport != PeerTransport.Utp)
                {
                    tcp = TryBindTcp(network, address, candidate, out last);
                    if (tcp is null) continue;
                    number = tcp.LocalEndPoint.Port;
                }
                UtpSocket? utp;
                try
                {
                    utp = UtpSocket.Bind(network, new IPEndPoint(udpAddress, number), utpOptions);
                }
                catch (SocketException) when (transport == PeerTransport.Tcp)
                {
                    utp = null; // TCP alone was asked for: the UDP port is a convenience for the DHT, not a need
                }
                if (transport != PeerTransport.Tcp) utp!.Listen();
                return (tcp, utp);
            }
            catch (SocketException e)
            {
                tcp?.Dispose();
                last = e;
            }
        }
        var what = transport == PeerTransport.Utp ? "UDP (uTP)" : "TCP and UDP (uTP)";
        throw new SwarmException($"cannot listen on {Show(address, port)} ({what}) for incoming peers ({last?.SocketErrorCode})", last);
    }

    private static ITcpListener? TryBindTcp(INetwork network, IPAddress address, int port, out SocketException? error)
    {
        try
        {
            var listener = network.Listen(new IPEndPoint(address, port), 128);
            error = null;
            return listener;
        }
        catch (SocketException e)
        {
            error = e;
            return null;
        }
    }

    private static string Show(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    /// <summary>Accepts until cancelled or disposed, calling <paramref name="onAccepted"/> with each connection's stream
    /// and the peer's address.</summary>
    public Task RunAsync(Action<Stream, IPEndPoint> onAccepted, CancellationToken ct) =>
        Task.WhenAll(_tcp.Select(listener => AcceptAllAsync(listener.AcceptAsync, onAccepted, ct))
            .Append(Utp is { } utp ? AcceptAllAsync(token => AcceptUtpAsync(utp, token), onAccepted, ct) : Task.CompletedTask));

    /// <summary>Takes connections from <paramref name="acceptOne"/> until cancelled or until its socket is disposed; a
    /// null from it is a connection lost before we could look at it.</summary>
    private static async Task AcceptAllAsync(Func<CancellationToken, Task<(Stream Stream, IPEndPoint Remote)?>> acceptOne,
        Action<Stream, IPEndPoint> onAccepted, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            (Stream Stream, IPEndPoint Remote)? accepted;
            try
            {
                accepted = await acceptOne(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            if (accepted is { } peer) onAccepted(peer.Stream, peer.Remote);
        }
    }

    /// <summary>The next uTP connection.</summary>
    private static async Task<(Stream Stream, IPEndPoint Remote)?> AcceptUtpAsync(UtpSocket utp, CancellationToken ct)
    {
        var stream = await utp.AcceptAsync(ct).ConfigureAwait(false);
        return (stream, stream.RemoteEndPoint);
    }

    /// <summary>Stops taking new TCP connections; uTP stays up for the connections that run on it until disposed.</summary>
    public void StopAccepting()
    {
        foreach (var listener in _tcp) listener.Dispose();
    }

    /// <summary>Closes both sockets: uTP connections still open end.</summary>
    public async ValueTask DisposeAsync()
    {
        StopAccepting();
        if (Utp is not null) await Utp.DisposeAsync().ConfigureAwait(false);
    }
}
