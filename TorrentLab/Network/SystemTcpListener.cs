using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>A listening TCP socket of the kernel's.</summary>
internal sealed class SystemTcpListener(Socket socket) : ITcpListener
{
    public IPEndPoint LocalEndPoint { get; } = (IPEndPoint)socket.LocalEndPoint!;

    public async Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct)
    {
        Socket accepted;
        try
        {
            accepted = await socket.AcceptAsync(ct).ConfigureAwait(false);
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

    public void Dispose() => socket.Dispose();
}
