using System.Net;

namespace TorrentLab.Dht;

/// <summary>A node as the DHT names it: its id and the UDP address it answers on (BEP 5 "compact node info").</summary>
public sealed record NodeContact(NodeId Id, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Id.Hex[..8]}@{EndPoint}";
}
