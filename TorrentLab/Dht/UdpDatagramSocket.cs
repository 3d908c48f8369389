using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Dht;

/// <summary>The default runner of a DHT node: one UDP port of its own, every datagram received handed to the node,
/// and the node's outgoing datagrams.</summary>
internal sealed class UdpDatagramSocket : IDatagramSender, IAsyncDisposable
{
    private readonly IUdpPort _port;

    /// <summary>Binds <paramref name="local"/> on <paramref name="network"/> (port 0 picks a free one).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address is in use or not ours.</exception>
    public UdpDatagramSocket(INetwork network, IPEndPoint local)
    {
        // One byte over the limit, so an oversized datagram is seen as one. BEP 32: an IPv6 node serves the IPv6 DHT
        // only, so "::" takes no IPv4 datagram (and leaves the IPv4 port of the same number to the IPv4 node of a
        // dual-stack host).
        _port = network.BindUdp(local, new UdpPortOptions { MaxDatagram = KrpcCodec.MaxDatagram + 1, IPv6Only = true });
        LocalEndPoint = _port.LocalEndPoint;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts handing received datagrams to <paramref name="receive"/>, one at a time (the node copies what
    /// it keeps).</summary>
    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> receive) => _port.Start(receive);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
    {
        _port.Send(datagram.Span, to); // a send that fails is a lost datagram: the query times out
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _port.Dispose();
        return ValueTask.CompletedTask;
    }
}
