using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Extensions;

/// <summary>BEP 55: what a ut_holepunch message asks or says.</summary>
internal enum HolepunchMessageType : byte
{
    Rendezvous = 0x00,   // initiator to relay: "introduce me to the peer at this endpoint"
    Connect = 0x01,      // relay to both sides: "dial the peer at this endpoint now"
    Error = 0x02,        // relay to initiator: the rendezvous could not be done, and why
}

/// <summary>BEP 55: why a relay refused a rendezvous (the <c>err_code</c> of an error message).</summary>
internal enum HolepunchError : uint
{
    None = 0,           // not an error message
    NoSuchPeer = 1,     // BEP 55: "The target endpoint is invalid."
    NotConnected = 2,   // BEP 55: "The relaying peer is not connected to the target peer."
    NoSupport = 3,      // BEP 55: "The target peer does not support the holepunch extension."
    NoSelf = 4,         // BEP 55: "The target endpoint belongs to the initiating peer."
}

/// <summary>One ut_holepunch message (BEP 55): a rendezvous request, a connect instruction, or an error.</summary>
/// <remarks>
/// <code>
/// &lt;len&gt;&lt;id=20&gt;&lt;their ut_holepunch id&gt;
///   &lt;msg_type 1&gt;     0x00 rendezvous, 0x01 connect, 0x02 error
///   &lt;addr_type 1&gt;    0x00 IPv4, 0x01 IPv6
///   &lt;addr 4 or 16&gt;   big-endian
///   &lt;port 2&gt;         big-endian
///   &lt;err_code 4&gt;     big-endian, error messages only
/// </code>
/// Unlike the other extensions this payload is binary, not bencoded. Bytes after the last field are ignored (as
/// libtorrent does), so a peer that always appends an error code is still understood.
/// </remarks>
internal sealed record HolepunchMessage(HolepunchMessageType Type, IPEndPoint EndPoint, HolepunchError Error = HolepunchError.None)
{
    private const byte AddrIPv4 = 0x00;   // BEP 55 addr_type
    private const byte AddrIPv6 = 0x01;

    /// <summary>Asks the relay to introduce us to <paramref name="target"/>.</summary>
    public static HolepunchMessage Rendezvous(IPEndPoint target) => new(HolepunchMessageType.Rendezvous, target);

    /// <summary>Tells a peer to dial <paramref name="peer"/> at once.</summary>
    public static HolepunchMessage Connect(IPEndPoint peer) => new(HolepunchMessageType.Connect, peer);

    /// <summary>Tells the initiator why its rendezvous for <paramref name="target"/> failed.</summary>
    public static HolepunchMessage Failed(IPEndPoint target, HolepunchError error) => new(HolepunchMessageType.Error, target, error);

    /// <summary>The payload after the extended id.</summary>
    /// <exception cref="InvalidOperationException">An error message without an error code, or a code on another type.</exception>
    public byte[] Encode()
    {
        if ((Type == HolepunchMessageType.Error) != (Error != HolepunchError.None))
            throw new InvalidOperationException($"ut_holepunch {Type} with error code {Error}: only error messages carry one, and they must");
        var address = EndPoint.Address.IsIPv4MappedToIPv6 ? EndPoint.Address.MapToIPv4() : EndPoint.Address;
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var buffer = new byte[2 + (v6 ? 16 : 4) + 2 + (Type == HolepunchMessageType.Error ? 4 : 0)];
        buffer[0] = (byte)Type;
        buffer[1] = v6 ? AddrIPv6 : AddrIPv4;
        address.TryWriteBytes(buffer.AsSpan(2), out var written);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2 + written), (ushort)EndPoint.Port);
        if (Type == HolepunchMessageType.Error) BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4 + written), (uint)Error);
        return buffer;
    }

    /// <summary>Decodes a ut_holepunch payload.</summary>
    /// <exception cref="ExtensionException">Too short for its address type, an unknown message or address type, or an
    /// error code outside 1..4; the message gives the byte offset.</exception>
    public static HolepunchMessage Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2) throw new ExtensionException($"ut_holepunch of {payload.Length} byte(s), expected at least 2 (msg_type, addr_type)");
        if (payload[0] > (byte)HolepunchMessageType.Error)
            throw new ExtensionException($"ut_holepunch: msg_type 0x{payload[0]:x2} at byte 0, expected 0x00 rendezvous, 0x01 connect or 0x02 error");
        var type = (HolepunchMessageType)payload[0];
        var addressLength = payload[1] switch
        {
            AddrIPv4 => 4,
            AddrIPv6 => 16,
            _ => throw new ExtensionException($"ut_holepunch: addr_type 0x{payload[1]:x2} at byte 1, expected 0x00 IPv4 or 0x01 IPv6"),
        };
        var needed = 2 + addressLength + 2 + (type == HolepunchMessageType.Error ? 4 : 0);
        if (payload.Length < needed)
            throw new ExtensionException($"ut_holepunch {type} of {payload.Length} bytes, expected {needed} for an {(addressLength == 4 ? "IPv4" : "IPv6")} endpoint");
        var endpoint = new IPEndPoint(new IPAddress(payload.Slice(2, addressLength)), BinaryPrimitives.ReadUInt16BigEndian(payload[(2 + addressLength)..]));
        if (type != HolepunchMessageType.Error) return new HolepunchMessage(type, endpoint);
        var code = BinaryPrimitives.ReadUInt32BigEndian(payload[(4 + addressLength)..]);
        if (code is < (uint)HolepunchError.NoSuchPeer or > (uint)HolepunchError.NoSelf)
            throw new ExtensionException($"ut_holepunch error: err_code {code} at byte {4 + addressLength}, expected 1..4");
        return new HolepunchMessage(type, endpoint, (HolepunchError)code);
    }

    /// <summary>The message as a trace shows it.</summary>
    public override string ToString() =>
        $"ut_holepunch {Type.ToString().ToLowerInvariant()} {EndPoint}" + (Error != HolepunchError.None ? $" ({Error})" : "");
}
