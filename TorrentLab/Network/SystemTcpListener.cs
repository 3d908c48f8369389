using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>A listening TCP socket of the kernel's.</summary>
internal sealed class SystemTcpListener(Socket socket) : ITcpListener
{
    public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

    private volatile bool _closed;

    public async Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct)
    {
        Socket accepted;
        try
        {
            accepted = await socket.AcceptAsync(ct).ConfigureAwait(false);
        }
        catch (SocketException) when (_closed)
        {
            // A pending accept ends with "invalid argument" when the listener is shut down, "aborted" when closed.
            throw new ObjectDisposedException(nameof(SystemTcpListener));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
        {
            return null; // the peer gave up before we accepted: nothing to do
        }
        IPEndPoint remote;
        try
        {
            accepted.NoDelay = true;   // requests are small and must not wait for Nagle's algorithm
            remote = (IPEndPoint)accepted.RemoteEndPoint!;
            // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: name them as the IPv4 peers they are.
            if (remote.Address.IsIPv4MappedToIPv6) remote = new IPEndPoint(remote.Address.MapToIPv4(), remote.Port);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            accepted.Dispose();   // lost before we looked at it
            return null;
        }
        return (new NetworkStream(accepted, ownsSocket: true), remote);
    }

    /// <summary>Stops listening, then closes the socket. A process started just before holds a copy of the socket
    /// until it execs (<see cref="SocketRelease"/>), and a copy of a listener keeps it listening: a new listener on the
    /// port would fail with "address already in use" meanwhile. A shutdown ends the listening itself, for every copy.</summary>
    public void Dispose()
    {
        _closed = true;
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { } // disposed before, or never listening
        socket.Dispose();
    }
}
