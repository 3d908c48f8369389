using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

/// <summary>BEP 6's canonical allowed fast set: the pieces a peer at a given address may fetch while we choke it.</summary>
/// <remarks>
/// The BEP's algorithm, step by step:
/// <code>
/// x = 0xFFFFFF00 &amp; ip            (the peer's IPv4 address, last byte masked: one set per /24)
/// x.append(infohash)
/// while |a| &lt; k:
///     x = SHA1(x)
///     for i in [0:5] and |a| &lt; k:
///         index = uint32_big_endian(x[4*i : 4*i+4]) % piece_count
///         if index not in a: a.add(index)
/// </code>
/// Deriving the set from address and info hash makes it the same on every connection from that /24, so reconnecting
/// gains nothing. BEP 6 defines it for IPv4 only: IPv6 peers (not IPv4-mapped) get no set from us.
/// </remarks>
internal static class AllowedFastSet
{
    /// <summary>The set size we offer: 10, the size BEP 6 suggests.</summary>
    public const int DefaultSize = 10;

    /// <summary>The first <paramref name="k"/> pieces of the set, in the order the algorithm finds them.</summary>
    public static IReadOnlyList<int> Generate(IPAddress address, InfoHash infoHash, int pieceCount, int k = DefaultSize)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetwork || pieceCount <= 0) return [];
        k = Math.Min(k, pieceCount); // never loop for more distinct pieces than exist
        var x = new byte[4 + InfoHash.Length];
        address.TryWriteBytes(x, out _);
        x[3] = 0;                    // 0xFFFFFF00 & ip
        infoHash.Bytes.CopyTo(x.AsSpan(4));
        var set = new List<int>(k);
        while (set.Count < k)
        {
            x = SHA1.HashData(x);
            for (var i = 0; i < 5 && set.Count < k; i++)
            {
                var index = (int)(BinaryPrimitives.ReadUInt32BigEndian(x.AsSpan(4 * i)) % (uint)pieceCount);
                if (!set.Contains(index)) set.Add(index);
            }
        }
        return set;
    }
}
