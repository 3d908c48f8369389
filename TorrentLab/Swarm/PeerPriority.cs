using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace TorrentLab.Swarm;

/// <summary>BEP 40, canonical peer priority: a number both ends of a connection compute alike from their two
/// addresses, so that every peer of a swarm ranks connections the same way. The swarm dials the known addresses of
/// highest priority first (<see cref="PeerBook.TakeNext"/>). A full swarm making room does not use it: it drops the peer
/// least useful to us, with the per-address rules of <c>PeerAdmission.RoomFor</c>.</summary>
/// <remarks>
/// <code>
/// priority = crc32-c(sort(masked_client_ip, masked_peer_ip))      the two masked addresses, lowest first
///          = crc32-c(sort(client_port, peer_port))                 when the addresses are the same (16-bit, big-endian)
/// IPv4 mask: FF.FF.55.55; FF.FF.FF.55 within one /16; FF.FF.FF.FF within one /24
/// IPv6 mask: FFFF:FFFF:FFFF:5555:5555:5555:5555:5555, a further byte of FF for each further /8 the two share
/// </code>
/// BEP 40 gives IPv6 as above; libtorrent masks the first 64 bits only (<c>FFFF:FFFF:5555:5555</c>, the lower half
/// whole) and compares /32 and /48. IPv6 priorities may differ between the two; IPv4 ones, the common case, agree.
/// </remarks>
internal static class PeerPriority
{
    /// <summary>The priority of a connection between <paramref name="self"/> (our address as the peer sees it) and
    /// <paramref name="peer"/>; the same whichever side computes it. An IPv4-mapped address counts as IPv4; an IPv4
    /// and an IPv6 address are compared as two IPv6 addresses.</summary>
    public static uint Of(IPEndPoint self, IPEndPoint peer)
    {
        var a = Plain(self.Address);
        var b = Plain(peer.Address);
        Span<byte> bytes = stackalloc byte[32];
        if (a.Equals(b))
        {
            // "If the IP addresses are the same, the port numbers (16-bit integers) should be used instead."
            var (low, high) = self.Port <= peer.Port ? (self.Port, peer.Port) : (peer.Port, self.Port);
            BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)low);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)high);
            return Crc32C(bytes[..4]);
        }
        if (a.AddressFamily != b.AddressFamily) (a, b) = (a.MapToIPv6(), b.MapToIPv6());
        var length = a.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        var left = bytes[..length];
        var right = bytes.Slice(length, length);
        a.TryWriteBytes(left, out _);
        b.TryWriteBytes(right, out _);
        // Whole bytes kept: 2 of 4 (IPv4) or 6 of 16 (IPv6), one more for each further byte both share.
        var keep = length == 4 ? 2 : 6;
        while (keep < length && left[..keep].SequenceEqual(right[..keep])) keep++;
        for (var i = keep; i < length; i++)
        {
            left[i] &= 0x55;
            right[i] &= 0x55;
        }
        if (left.SequenceCompareTo(right) > 0)
        {
            Span<byte> swap = stackalloc byte[16];
            left.CopyTo(swap);
            right.CopyTo(left);
            swap[..length].CopyTo(right);
        }
        return Crc32C(bytes[..(2 * length)]);
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>CRC-32C (Castagnoli), as BEP 40 names it: initial value and final xor all ones.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
