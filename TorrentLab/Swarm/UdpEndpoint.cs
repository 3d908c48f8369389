using System.Net;
using System.Net.Sockets;
using TorrentLab.Dht;

namespace TorrentLab.Swarm;

/// <summary>The session's one UDP socket, bound to the peer listener's port number (BEP 5: the DHT "listens" on the
/// port of the peer): it sends for the DHT node and hands it every KRPC datagram.</summary>
/// <remarks>The one place the engine binds UDP. Protocols sharing the port tell their datagrams apart by the first
/// byte (<see cref="DhtNode.IsKrpc"/>: a KRPC message is a bencoded dictionary, 'd'); whatever is not KRPC is counted
/// in <see cref="OtherDatagrams"/>, the slot where another UDP protocol (uTP) takes its datagrams.</remarks>
internal sealed class UdpEndpoint : IDatagramSender, IAsyncDisposable
{
    private readonly UdpDatagramSocket _socket;
    private long _other;

    private UdpEndpoint(UdpDatagramSocket socket) => _socket = socket;

    /// <summary>The bound address.</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Receives every KRPC datagram; null drops them (before the DHT node exists).</summary>
    public Action<ReadOnlyMemory<byte>, IPEndPoint>? Krpc { get; set; }

    /// <summary>Datagrams that were not KRPC.</summary>
    public long OtherDatagrams => Interlocked.Read(ref _other);

    /// <summary>Binds UDP on <paramref name="address"/>:<paramref name="port"/> and starts receiving.</summary>
    /// <exception cref="SocketException">The port is taken or the address is not ours.</exception>
    public static UdpEndpoint Bind(IPAddress address, int port)
    {
        var endpoint = new UdpEndpoint(new UdpDatagramSocket(new IPEndPoint(address, port)));
        endpoint._socket.Start(endpoint.Dispatch);
        return endpoint;
    }

    private void Dispatch(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        if (DhtNode.IsKrpc(datagram.Span) && Krpc is { } krpc) krpc(datagram, from);
        else Interlocked.Increment(ref _other);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct) => _socket.SendAsync(datagram, to, ct);

    public ValueTask DisposeAsync() => _socket.DisposeAsync();
}
