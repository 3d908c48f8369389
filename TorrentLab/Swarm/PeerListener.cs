using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Swarm;

/// <summary>Accepts incoming TCP connections on the session's port and hands each socket to the session.</summary>
/// <remarks>BEP 3 suggests ports 6881-6889: when the requested port is taken and <c>fallback</c> is allowed, the next
/// ones in that range are tried, then any free port. The handshake itself is read by the session
/// (<c>PeerConnection.AcceptAsync</c>), which accepts only torrents it serves.</remarks>
internal sealed class PeerListener : IDisposable
{
    private readonly Socket _socket;

    private PeerListener(Socket socket)
    {
        _socket = socket;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The address and port we listen on.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds and listens.</summary>
    /// <exception cref="SwarmException">The port is taken (and no fallback was allowed or found).</exception>
    public static PeerListener Start(IPAddress address, int port, bool fallback)
    {
        IEnumerable<int> ports = [port];
        if (fallback && port != 0) ports = ports.Concat(Enumerable.Range(6881, 9).Where(p => p != port)).Append(0);
        SocketException? last = null;
        foreach (var candidate in ports)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(address, candidate));
                socket.Listen(128);
                return new PeerListener(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw new SwarmException($"cannot listen on {address}:{port} for incoming peers ({last?.SocketErrorCode})", last);
    }

    /// <summary>Accepts until cancelled or disposed, calling <paramref name="onAccepted"/> for each socket.</summary>
    public async Task RunAsync(Action<Socket> onAccepted, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the peer gave up before we accepted: nothing to do
            }
            onAccepted(socket);
        }
    }

    public void Dispose() => _socket.Dispose();
}
