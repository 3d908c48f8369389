using System.Net;

namespace TorrentLab.Dht;

/// <summary>Where a DHT node's datagrams go out: its own UDP socket (<see cref="UdpDatagramSocket"/>) or a socket it
/// shares with other protocols, which hands the node every datagram that starts with 'd' (a bencoded dictionary).</summary>
public interface IDatagramSender
{
    /// <summary>Sends one datagram; a send that fails is the sender's to swallow (UDP promises nothing anyway).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct);
}
