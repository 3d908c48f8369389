using System.Net;
using TorrentLab.Dht;
using TorrentLab.Utp;

namespace TorrentLab.Swarm;

/// <summary>The DHT's side of the session's one UDP socket (the peer listener's uTP socket, on the peer port number,
/// BEP 5: the DHT "listens" on the port of the peer): it sends for the DHT node and hands it every KRPC datagram.</summary>
/// <remarks>The socket is bound in one place, <see cref="PeerListener"/>. Protocols sharing the port tell their
/// datagrams apart by the first byte: uTP's are taken by <see cref="UtpSocket"/>, the rest reach
/// <see cref="UtpSocket.OtherDatagrams"/>, where a KRPC message (a bencoded dictionary, 'd', <see cref="DhtNode.IsKrpc"/>)
/// goes to the DHT and anything else is counted in <see cref="OtherDatagrams"/>.</remarks>
internal sealed class UdpEndpoint : IDatagramSender, IAsyncDisposable
{
    private readonly UtpSocket _socket;
    private long _other;

    private UdpEndpoint(UtpSocket socket) => _socket = socket;

    /// <summary>The bound address.</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Receives every KRPC datagram; null drops them (before the DHT node exists).</summary>
    public Action<ReadOnlyMemory<byte>, IPEndPoint>? Krpc { get; set; }

    /// <summary>Datagrams that were neither uTP nor KRPC.</summary>
    public long OtherDatagrams => Interlocked.Read(ref _other);

    /// <summary>Takes the non-uTP datagrams of <paramref name="socket"/> (the listener keeps owning the socket).</summary>
    public static UdpEndpoint Over(UtpSocket socket)
    {
        var endpoint = new UdpEndpoint(socket);
        socket.OtherDatagrams = endpoint.Dispatch;
        return endpoint;
    }

    private void Dispatch(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        if (DhtNode.IsKrpc(datagram.Span) && Krpc is { } krpc) krpc(datagram, from);
        else Interlocked.Increment(ref _other);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
    {
        _socket.SendDatagram(datagram.Span, to);
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops taking datagrams; the socket itself closes with the listener.</summary>
    public ValueTask DisposeAsync()
    {
        _socket.OtherDatagrams = null;
        return ValueTask.CompletedTask;
    }
}
