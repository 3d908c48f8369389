using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Dht;

/// <summary>The compact contact formats of the DHT: nodes (BEP 5: 26 bytes; BEP 32: 38 bytes over IPv6) and peers
/// (6 or 18 bytes).</summary>
internal static class CompactNodes
{
    // BEP 5: "Contact information for nodes is encoded as a 26-byte string. Also known as "Compact node info" the
    // 20-byte Node ID in network byte order has the compact IP-address/port info concatenated to the end."
    //   <node id 20><ipv4 4><port 2 BE>
    public const int IPv4NodeSize = 26;

    // BEP 32: nodes6 "contains a list of IPv6 nodes in compact format" of 38 bytes each.
    //   <node id 20><ipv6 16><port 2 BE>
    public const int IPv6NodeSize = 38;

    // BEP 5: "Contact information for peers is encoded as a 6-byte string": the tracker's compact peer (BEP 23),
    // <ipv4 4><port 2 BE>, and over IPv6 (BEP 32) <ipv6 16><port 2 BE>.
    public const int IPv4PeerSize = Tracker.CompactPeers.IPv4Size;
    public const int IPv6PeerSize = Tracker.CompactPeers.IPv6Size;

    /// <summary>Decodes a <c>nodes</c> (26-byte) or <c>nodes6</c> (38-byte) string.</summary>
    /// <exception cref="DhtException">The length is not a multiple of the record size, or a port is 0.</exception>
    public static List<NodeContact> DecodeNodes(ReadOnlySpan<byte> data, AddressFamily family, string key)
    {
        var size = family == AddressFamily.InterNetworkV6 ? IPv6NodeSize : IPv4NodeSize;
        if (data.Length % size != 0)
            throw new DhtException($"'{key}' is {data.Length} bytes, not a multiple of {size}");
        var nodes = new List<NodeContact>(data.Length / size);
        for (var offset = 0; offset < data.Length; offset += size)
        {
            var record = data.Slice(offset, size);
            var endPoint = ReadEndPoint(record[NodeId.Length..], $"node {offset / size} of '{key}'");
            nodes.Add(new NodeContact(new NodeId(record[..NodeId.Length]), endPoint));
        }
        return nodes;
    }

    /// <summary>Encodes nodes of one family; nodes of the other family are skipped.</summary>
    public static byte[] EncodeNodes(IEnumerable<NodeContact> nodes, AddressFamily family)
    {
        var size = family == AddressFamily.InterNetworkV6 ? IPv6NodeSize : IPv4NodeSize;
        var chosen = nodes.Where(n => n.EndPoint.AddressFamily == family).ToList();
        var bytes = new byte[chosen.Count * size];
        for (var i = 0; i < chosen.Count; i++)
        {
            var record = bytes.AsSpan(i * size, size);
            chosen[i].Id.Bytes.CopyTo(record);
            WriteEndPoint(chosen[i].EndPoint, record[NodeId.Length..]);
        }
        return bytes;
    }

    /// <summary>Decodes one compact peer (6 or 18 bytes).</summary>
    /// <exception cref="DhtException">Another length, or port 0.</exception>
    public static IPEndPoint DecodePeer(ReadOnlySpan<byte> data, string where)
    {
        if (data.Length is not (IPv4PeerSize or IPv6PeerSize))
            throw new DhtException($"{where} is {data.Length} bytes, expected {IPv4PeerSize} (IPv4) or {IPv6PeerSize} (IPv6)");
        return ReadEndPoint(data, where);
    }

    /// <summary>Encodes one compact peer: 6 bytes for IPv4, 18 for IPv6.</summary>
    public static byte[] EncodePeer(IPEndPoint peer)
    {
        var bytes = new byte[peer.AddressFamily == AddressFamily.InterNetworkV6 ? IPv6PeerSize : IPv4PeerSize];
        WriteEndPoint(peer, bytes);
        return bytes;
    }

    private static IPEndPoint ReadEndPoint(ReadOnlySpan<byte> record, string where)
    {
        var endPoint = Tracker.CompactPeers.ReadOne(record);
        // A node or peer at port 0 cannot be reached: the record is corrupt.
        if (endPoint.Port == 0) throw new DhtException($"{where} has port 0 (ports are 1..65535)");
        return endPoint;
    }

    private static void WriteEndPoint(IPEndPoint endPoint, Span<byte> record) => Tracker.CompactPeers.WriteOne(endPoint, record);
}
