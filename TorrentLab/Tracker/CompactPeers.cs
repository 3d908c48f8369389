using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>The compact peer formats: 6 bytes per IPv4 peer (BEP 23) and 18 bytes per IPv6 peer (BEP 7).</summary>
internal static class CompactPeers
{
    // BEP 23: "the peer list is replaced by a peers string with 6 bytes per peer.
    // The first four bytes are the host (in network byte order), the last two bytes are the port (again in network byte order)."
    //   <ipv4 4><port 2 BE>
    public const int IPv4Size = 6;

    // BEP 7: "peers6 ... a string with 18 bytes per peer": <ipv6 16><port 2 BE>
    public const int IPv6Size = 18;

    /// <summary>Decodes a compact list; <paramref name="key"/> names it in the error.</summary>
    /// <exception cref="TrackerException">The length is not a multiple of the entry size.</exception>
    public static List<IPEndPoint> Decode(ReadOnlySpan<byte> data, AddressFamily family, string key)
    {
        var size = family == AddressFamily.InterNetworkV6 ? IPv6Size : IPv4Size;
        if (data.Length % size != 0)
            throw new TrackerException($"'{key}' is {data.Length} bytes, not a multiple of {size}: the peer list is truncated or corrupt");
        var peers = new List<IPEndPoint>(data.Length / size);
        for (var offset = 0; offset < data.Length; offset += size)
        {
            peers.Add(ReadOne(data.Slice(offset, size)));
        }
        return peers;
    }

    /// <summary>Encodes peers of one family; peers of the other family are skipped.</summary>
    public static byte[] Encode(IEnumerable<IPEndPoint> peers, AddressFamily family)
    {
        var size = family == AddressFamily.InterNetworkV6 ? IPv6Size : IPv4Size;
        var chosen = peers.Where(p => p.AddressFamily == family).ToList();
        var bytes = new byte[chosen.Count * size];
        for (var i = 0; i < chosen.Count; i++)
        {
            WriteOne(chosen[i], bytes.AsSpan(i * size, size));
        }
        return bytes;
    }

    /// <summary>Reads one record, 6 or 18 bytes: the address is all but the last two bytes, the port those two.</summary>
    public static IPEndPoint ReadOne(ReadOnlySpan<byte> record) =>
        new(new IPAddress(record[..^2]), BinaryPrimitives.ReadUInt16BigEndian(record[^2..]));

    /// <summary>Writes one record into <paramref name="record"/>, 6 bytes for IPv4 (a v4-mapped IPv6 address included)
    /// or 18 for IPv6.</summary>
    public static void WriteOne(IPEndPoint peer, Span<byte> record)
    {
        var address = peer.Address.IsIPv4MappedToIPv6 && record.Length == IPv4Size ? peer.Address.MapToIPv4() : peer.Address;
        address.TryWriteBytes(record, out _);
        BinaryPrimitives.WriteUInt16BigEndian(record[^2..], (ushort)peer.Port);
    }
}
