using System.Net;
using System.Net.Sockets;
using TorrentLab.Downloads;
using TorrentLab.Utp;

namespace TorrentLab.Swarm;

/// <summary>Accepts incoming peers on the session's port number: TCP connections on the TCP port and uTP connections
/// on the UDP port of the same number, each handed to the session as a stream.</summary>
/// <remarks>
/// <para>BEP 3 suggests ports 6881-6889: when the requested port is taken and <c>fallback</c> is allowed, the next
/// ones in that range are tried, then any free port; a port counts as free only when TCP and UDP both bind it, so
/// peers that learn it (from the tracker, PEX or the extension handshake's <c>p</c>) reach us over either. The
/// handshake itself is read by the session (<c>PeerConnection.AcceptAsync</c>), which accepts only torrents it serves.</para>
/// <para>The UDP port belongs to <see cref="Utp"/>: it is bound whatever the transport (uTP connections are refused
/// with ST_RESET when TCP only is asked for), and every datagram that is not uTP goes to its
/// <see cref="UtpSocket.OtherDatagrams"/>, where a DHT node sharing the port plugs in (KRPC datagrams start with 'd')
/// and sends with <see cref="UtpSocket.SendDatagram"/>.</para>
/// </remarks>
internal sealed class PeerListener : IAsyncDisposable
{
    /// <summary>Tries at port 0 to find a number free for both TCP and UDP (the kernel picks TCP's, UDP may hold it).</summary>
    private const int AnyPortTries = 8;

    private readonly Socket? _tcp;

    private PeerListener(Socket? tcp, UtpSocket? utp, IPEndPoint endPoint)
    {
        _tcp = tcp;
        Utp = utp;
        EndPoint = endPoint;
    }

    /// <summary>The address and port we listen on.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The one UDP socket on our port: uTP connections in and out, and other datagrams (the DHT's) passed on;
    /// null only when TCP alone was asked for and the UDP port could not be bound.</summary>
    public UtpSocket? Utp { get; }

    /// <summary>Binds and listens on TCP and UDP at one port number.</summary>
    /// <exception cref="SwarmException">The port is taken (and no fallback was allowed or found).</exception>
    public static PeerListener Start(IPAddress address, int port, bool fallback, PeerTransport transport)
    {
        IEnumerable<int> ports = [port];
        if (fallback && port != 0) ports = ports.Concat(Enumerable.Range(6881, 9).Where(p => p != port)).Append(0);
        if (ports.Last() == 0) ports = ports.Concat(Enumerable.Repeat(0, AnyPortTries - 1));
        SocketException? last = null;
        foreach (var candidate in ports)
        {
            Socket? tcp = null;
            try
            {
                var number = candidate;
                if (transport != PeerTransport.Utp)
                {
                    tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    tcp.Bind(new IPEndPoint(address, candidate));
                    tcp.Listen(128);
                    number = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                }
                UtpSocket? utp;
                try
                {
                    utp = UtpSocket.Bind(new IPEndPoint(address, number));
                }
                catch (SocketException) when (transport == PeerTransport.Tcp)
                {
                    utp = null; // TCP alone was asked for: the UDP port is a convenience for the DHT, not a need
                }
                if (transport != PeerTransport.Tcp) utp!.Listen();
                return new PeerListener(tcp, utp, tcp?.LocalEndPoint as IPEndPoint ?? utp!.LocalEndPoint);
            }
            catch (SocketException e)
            {
                tcp?.Dispose();
                last = e;
            }
        }
        var what = transport == PeerTransport.Utp ? "UDP (uTP)" : "TCP and UDP (uTP)";
        throw new SwarmException($"cannot listen on {address}:{port} ({what}) for incoming peers ({last?.SocketErrorCode})", last);
    }

    /// <summary>Accepts until cancelled or disposed, calling <paramref name="onAccepted"/> with each connection's stream
    /// and the peer's address.</summary>
    public Task RunAsync(Action<Stream, IPEndPoint> onAccepted, CancellationToken ct) =>
        Task.WhenAll(AcceptTcpAsync(onAccepted, ct), AcceptUtpAsync(onAccepted, ct));

    private async Task AcceptTcpAsync(Action<Stream, IPEndPoint> onAccepted, CancellationToken ct)
    {
        if (_tcp is null) return;
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcp.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the peer gave up before we accepted: nothing to do
            }
            IPEndPoint remote;
            try
            {
                socket.NoDelay = true;   // requests are small and must not wait for Nagle's algorithm
                remote = (IPEndPoint)socket.RemoteEndPoint!;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                socket.Dispose();   // lost before we looked at it
                continue;
            }
            onAccepted(new NetworkStream(socket, ownsSocket: true), remote);
        }
    }

    private async Task AcceptUtpAsync(Action<Stream, IPEndPoint> onAccepted, CancellationToken ct)
    {
        if (Utp is null) return;
        while (!ct.IsCancellationRequested)
        {
            UtpStream stream;
            try
            {
                stream = await Utp.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            onAccepted(stream, stream.RemoteEndPoint);
        }
    }

    /// <summary>Stops taking new TCP connections; uTP stays up for the connections that run on it until disposed.</summary>
    public void StopAccepting() => _tcp?.Dispose();

    /// <summary>Closes both sockets: uTP connections still open end.</summary>
    public async ValueTask DisposeAsync()
    {
        _tcp?.Dispose();
        if (Utp is not null) await Utp.DisposeAsync().ConfigureAwait(false);
    }
}
