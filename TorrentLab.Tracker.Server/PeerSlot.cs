using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>One tracked peer as a 72-byte value, stored in its torrent's array: no object per peer, so 20,000 peers
/// are one array per torrent rather than 80,000 small objects for the collector to walk.</summary>
/// <remarks><code>
/// &lt;peer id 20&gt;&lt;address 16: IPv4 in the first 4&gt;&lt;port 2&gt;&lt;is IPv6 1&gt;&lt;paused 1&gt;&lt;left 8&gt;&lt;seen 8, UTC ticks&gt;
/// &lt;live 1&gt;&lt;older 4&gt;&lt;newer 4&gt; (and padding)
/// </code></remarks>
internal struct PeerSlot
{
    public PeerIdBytes Id;
    public AddressBytes Address;
    public ushort Port;
    public bool IsIPv6;
    public bool Paused;   // BEP 21: its last announce said event=paused (a partial seed)
    public long Left;
    public long Seen;
    public bool Live;     // false: a hole left by a forgotten peer, until the array is compacted
    public int Older;     // the slot of the peer that last announced before this one, or -1
    public int Newer;     // the slot of the peer that last announced after this one, or -1

    public readonly bool IsPeer(ReadOnlySpan<byte> peerId) => ((ReadOnlySpan<byte>)Id).SequenceEqual(peerId);

    public readonly bool IsAt(in PeerAddress where) =>
        Port == where.Port && IsIPv6 == where.IsIPv6 && ((ReadOnlySpan<byte>)Address).SequenceEqual(where.Bytes);

    /// <summary>Whether it is of <paramref name="family"/>, the only kind a compact list of that family carries.</summary>
    public readonly bool IsOf(AddressFamily family) => IsIPv6 == (family == AddressFamily.InterNetworkV6);

    /// <summary>Writes the BEP 23 (IPv4, 6 bytes) or BEP 7 (IPv6, 18 bytes) compact entry: address, then port big-endian.</summary>
    public readonly int WriteCompact(Span<byte> destination)
    {
        var size = IsIPv6 ? 16 : 4;
        ((ReadOnlySpan<byte>)Address)[..size].CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[size..], Port);
        return size + 2;
    }

    public readonly IPEndPoint ToEndPoint() => new(new IPAddress(((ReadOnlySpan<byte>)Address)[..(IsIPv6 ? 16 : 4)]), Port);

    public readonly PeerId ToPeerId() => new(Id);
}

/// <summary>The 20 bytes of a peer id, inline.</summary>
[InlineArray(TorrentLab.Wire.PeerId.Length)]
internal struct PeerIdBytes
{
    private byte _first;
}

/// <summary>16 bytes of an IPv6 address (or 4 of an IPv4 one), inline.</summary>
[InlineArray(16)]
internal struct AddressBytes
{
    private byte _first;
}

/// <summary>Where a peer listens, without an object: an IPv4 address (an IPv4-mapped IPv6 one counts as IPv4) or an
/// IPv6 one, and a port.</summary>
internal readonly struct PeerAddress
{
    private readonly AddressBytes _bytes;

    public PeerAddress(ReadOnlySpan<byte> address, ushort port)
    {
        // ::ffff:a.b.c.d is the IPv4 peer a.b.c.d reaching a dual-stack socket: listed to others as IPv4.
        if (address.Length == 16 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF)
            address = address[12..];
        address.CopyTo(_bytes);
        IsIPv6 = address.Length == 16;
        Port = port;
    }

    public static PeerAddress Of(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(bytes, out var written);
        return new PeerAddress(bytes[..written], (ushort)endPoint.Port);
    }

    public bool IsIPv6 { get; }

    public ushort Port { get; }

    [UnscopedRef]
    public ReadOnlySpan<byte> Bytes => ((ReadOnlySpan<byte>)_bytes)[..(IsIPv6 ? 16 : 4)];

    public IPEndPoint ToEndPoint() => new(new IPAddress(Bytes), Port);

    public void CopyTo(ref PeerSlot slot)
    {
        Bytes.CopyTo(slot.Address);
        slot.IsIPv6 = IsIPv6;
        slot.Port = Port;
    }
}
