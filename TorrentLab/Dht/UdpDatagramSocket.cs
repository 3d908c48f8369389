using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Dht;

/// <summary>The default runner of a DHT node: one UDP socket of its own, a receive loop that hands every datagram to
/// the node, and the node's outgoing datagrams.</summary>
internal sealed class UdpDatagramSocket : IDatagramSender, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>Binds <paramref name="local"/> (port 0 picks a free one).</summary>
    /// <exception cref="SocketException">The address is in use or not ours.</exception>
    public UdpDatagramSocket(IPEndPoint local)
    {
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // BEP 32: an IPv6 node serves the IPv6 DHT only, so "::" takes no IPv4 datagram (and leaves the IPv4 port of
        // the same number to the IPv4 node of a dual-stack host).
        if (local.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = false;
        if (OperatingSystem.IsWindows()) _socket.IOControl(-1744830452 /* SIO_UDP_CONNRESET */, [0, 0, 0, 0], null); // ICMP errors must not end the receive loop
        _socket.Bind(local);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts handing received datagrams to <paramref name="receive"/>, one at a time.</summary>
    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> receive) => _loop = ReceiveLoopAsync(receive, _stop.Token);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
    {
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, to, ct).ConfigureAwait(false);
        }
        catch (SocketException) { }        // unreachable network or host: the query times out like a lost datagram
        catch (ObjectDisposedException) { } // stopped while sending
    }

    private async Task ReceiveLoopAsync(Action<ReadOnlyMemory<byte>, IPEndPoint> receive, CancellationToken ct)
    {
        var buffer = new byte[KrpcCodec.MaxDatagram + 1]; // one byte over the limit, so an oversized datagram is seen as one
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // e.g. a port-unreachable report for an earlier send
            // The node copies what it keeps, so the buffer is reused for the next datagram.
            receive(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
