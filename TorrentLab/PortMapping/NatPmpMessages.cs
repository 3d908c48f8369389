using System.Buffers.Binary;
using System.Net;

namespace TorrentLab.PortMapping;

/// <summary>A NAT-PMP answer (RFC 6886), whichever request it answers: the external address (opcode 128) or a mapping
/// (129 for UDP, 130 for TCP), with 128 plus the request's opcode, its result code (0 for success), and its "Seconds
/// Since Start of Epoch" (the gateway's time since its mapping table was last reset). Fields an answer does not carry
/// are zero.</summary>
internal readonly record struct NatPmpAnswer(byte Opcode, ushort ResultCode, uint Epoch, IPAddress? ExternalAddress = null,
    ushort InternalPort = 0, ushort ExternalPort = 0, uint Lifetime = 0);

/// <summary>NAT-PMP's datagrams, byte for byte (RFC 6886, section 3): "All numeric quantities in NAT-PMP larger than a
/// single byte ... are transmitted in the traditional IETF network byte order", and the external address "in the
/// natural byte order, with no byte swapping".</summary>
internal static class NatPmpMessages
{
    /// <summary>UDP port 5351 of the default gateway: "a NAT-PMP client sends its request packet to port 5351 of its
    /// configured gateway address".</summary>
    public const int ServerPort = 5351;

    public const byte Version = 0;
    public const byte OpExternalAddress = 0;
    public const byte OpMapUdp = 1;
    public const byte OpMapTcp = 2;

    /// <summary>Opcodes from 128 are responses: 128 plus the request's.</summary>
    public const byte ResponseBit = 128;

    // RFC 6886 3.5, result codes.
    public const ushort Success = 0;
    public const ushort UnsupportedVersion = 1;
    public const ushort NotAuthorized = 2;
    public const ushort NetworkFailure = 3;
    public const ushort OutOfResources = 4;
    public const ushort UnsupportedOpcode = 5;

    /// <summary>The request for the gateway's external address (RFC 6886 3.2), two bytes:</summary>
    //    0                   1
    //    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    //   | Vers = 0      | OP = 0        |
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    public static byte[] ExternalAddressRequest() => [Version, OpExternalAddress];

    /// <summary>A mapping request (RFC 6886 3.3); lifetime 0 deletes the mapping (3.4), and then "The Suggested
    /// External Port MUST be set to zero by the client on sending".</summary>
    //    0                   1                   2                   3
    //    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    //   | Vers = 0      | OP = x        | Reserved                      |
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    //   | Internal Port                 | Suggested External Port       |
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    //   | Requested Port Mapping Lifetime in Seconds                    |
    //   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    public static byte[] MapRequest(IpProtocol protocol, ushort internalPort, ushort suggestedExternalPort, uint lifetime)
    {
        var datagram = new byte[12];
        datagram[0] = Version;
        datagram[1] = Opcode(protocol);
        // "The Reserved field MUST be set to zero on transmission" (bytes 2-3 are already zero).
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(6), lifetime == 0 ? (ushort)0 : suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(8), lifetime);
        return datagram;
    }

    /// <summary>The mapping opcode of a transport: "1 - Map UDP, 2 - Map TCP".</summary>
    public static byte Opcode(IpProtocol protocol) => protocol == IpProtocol.Udp ? OpMapUdp : OpMapTcp;

    /// <summary>Reads a gateway's answer; null for a datagram that is not a NAT-PMP response of a known shape (the
    /// caller ignores it and waits on).</summary>
    /// <remarks>The external-address answer (12 bytes; "If the result code is non-zero, the value of the External IPv4
    /// Address field is undefined (MUST be set to zero on transmission, and MUST be ignored on reception)"):
    /// <code>
    ///   | Vers = 0      | OP = 128 + 0  | Result Code (net byte order)  |
    ///   | Seconds Since Start of Epoch (in network byte order)          |
    ///   | External IPv4 Address (a.b.c.d)                               |
    /// </code>
    /// The mapping answer (16 bytes; "The 'x' in the OP field MUST match what the client requested"):
    /// <code>
    ///   | Vers = 0      | OP = 128 + x  | Result Code                   |
    ///   | Seconds Since Start of Epoch                                  |
    ///   | Internal Port                 | Mapped External Port          |
    ///   | Port Mapping Lifetime in Seconds                              |
    /// </code>
    /// And "Unsupported Version", what an old gateway answers a PCP request with (8 bytes, opcode 0, result 1).</remarks>
    public static NatPmpAnswer? ReadAnswer(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 8 || datagram[0] != Version) return null;
        var opcode = datagram[1];
        var result = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        if (opcode == OpExternalAddress && result == UnsupportedVersion) return new NatPmpAnswer(opcode, result, epoch);
        switch (opcode)
        {
            case ResponseBit + OpExternalAddress:
                if (datagram.Length < 12) return null;
                return new NatPmpAnswer(opcode, result, epoch, result == Success ? new IPAddress(datagram.Slice(8, 4)) : null);
            case ResponseBit + OpMapUdp or ResponseBit + OpMapTcp:
                if (datagram.Length < 16) return null;
                return new NatPmpAnswer(opcode, result, epoch, null, BinaryPrimitives.ReadUInt16BigEndian(datagram[8..]),
                    BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]), BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]));
            default:
                return null;
        }
    }

    /// <summary>True for a gateway's "Unsupported Version" answer (RFC 6886 3.5: "If the version in the request is
    /// not zero, then the NAT-PMP server MUST return the following "Unsupported Version" error response"): what a
    /// NAT-PMP-only gateway answers a PCP request with, version 0 and result code 1.</summary>
    public static bool IsUnsupportedVersion(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 4 && datagram[0] == Version && BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) == UnsupportedVersion;

    /// <summary>The meaning of a result code, for the log. "Clients MUST be able to properly handle result codes not
    /// defined in this document. Undefined results codes MUST be treated as fatal errors of the request."</summary>
    public static string Describe(ushort result) => result switch
    {
        Success => "success",
        UnsupportedVersion => "unsupported version",
        NotAuthorized => "not authorized/refused",
        NetworkFailure => "network failure",
        OutOfResources => "out of resources",
        UnsupportedOpcode => "unsupported opcode",
        _ => $"result code {result}",
    };
}
