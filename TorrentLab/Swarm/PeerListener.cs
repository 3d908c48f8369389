using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Swarm;

/// <summary>Accepts incoming TCP connections on the session's port, on one or more local addresses, and hands each
/// socket to the session.</summary>
/// <remarks>BEP 3 suggests ports 6881-6889: when the requested port is taken and <c>fallback</c> is allowed, the next
/// ones in that range are tried, then any free port. Every address listens on the same port (the one we announce).
/// <c>::</c> is dual-stack (IPv4 peers arrive as IPv4-mapped addresses); on a machine without IPv6 it falls back to
/// <c>0.0.0.0</c>. The handshake itself is read by the session (<c>PeerConnection.AcceptAsync</c>), which accepts only
/// torrents it serves.</remarks>
internal sealed class PeerListener : IDisposable
{
    private readonly Socket[] _sockets;

    private PeerListener(Socket[] sockets)
    {
        _sockets = sockets;
        EndPoints = [.. sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];
    }

    /// <summary>The first address and port we listen on.</summary>
    public IPEndPoint EndPoint => EndPoints[0];

    /// <summary>Every address we listen on (all on the same port).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>Binds and listens on one address.</summary>
    /// <exception cref="SwarmException">The port is taken (and no fallback was allowed or found).</exception>
    public static PeerListener Start(IPAddress address, int port, bool fallback) => Start([address], port, fallback);

    /// <summary>Binds and listens on every address, on one port: the first address picks it (with the fallback), the
    /// others must get the same one.</summary>
    /// <exception cref="SwarmException">A port is taken (and no fallback was allowed or found), or no address given.</exception>
    public static PeerListener Start(IReadOnlyList<IPAddress> addresses, int port, bool fallback)
    {
        if (addresses.Count == 0) throw new SwarmException("no local address to listen on");
        var chosen = addresses.Select(a => a.Equals(IPAddress.IPv6Any) && !Socket.OSSupportsIPv6 ? IPAddress.Any : a).Distinct().ToList();
        var sockets = new List<Socket> { BindFirst(chosen[0], port, fallback) };
        var bound = ((IPEndPoint)sockets[0].LocalEndPoint!).Port;
        try
        {
            foreach (var address in chosen.Skip(1))
            {
                sockets.Add(TryBind(address, bound, out var error)
                    ?? throw new SwarmException($"cannot listen on {Show(address, bound)} for incoming peers ({error?.SocketErrorCode})", error));
            }
        }
        catch
        {
            foreach (var socket in sockets) socket.Dispose();
            throw;
        }
        return new PeerListener([.. sockets]);
    }

    private static Socket BindFirst(IPAddress address, int port, bool fallback)
    {
        IEnumerable<int> ports = [port];
        if (fallback && port != 0) ports = ports.Concat(Enumerable.Range(6881, 9).Where(p => p != port)).Append(0);
        SocketException? last = null;
        foreach (var candidate in ports)
        {
            if (TryBind(address, candidate, out last) is { } socket) return socket;
        }
        throw new SwarmException($"cannot listen on {Show(address, port)} for incoming peers ({last?.SocketErrorCode})", last);
    }

    private static Socket? TryBind(IPAddress address, int port, out SocketException? error)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // "::" takes IPv4 peers too; a specific IPv6 address (::1) stays IPv6 only, as the user asked.
            if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(128);
            error = null;
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            error = e;
            return null;
        }
    }

    private static string Show(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    /// <summary>Accepts on every address until cancelled or disposed, calling <paramref name="onAccepted"/> for each socket.</summary>
    public Task RunAsync(Action<Socket> onAccepted, CancellationToken ct) =>
        Task.WhenAll(_sockets.Select(socket => AcceptLoopAsync(socket, onAccepted, ct)));

    private static async Task AcceptLoopAsync(Socket listener, Action<Socket> onAccepted, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(ct).ConfigureAwait(false);
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

    public void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
    }
}
