using System.Buffers.Binary;
using System.Net;

namespace TorrentLab.PortMapping;

/// <summary>A PCP answer to a MAP request (RFC 6887, sections 7.2 and 11.1): its result code (0 for success), its
/// lifetime (on success the mapping's, in seconds; on an error, "how long clients should assume they'll get the same
/// error response from that PCP server if they repeat the same request"), the server's Epoch Time, and the MAP fields.</summary>
internal readonly record struct PcpMapAnswer(byte ResultCode, uint Lifetime, uint Epoch, byte[] Nonce, IpProtocol Protocol,
    ushort InternalPort, ushort ExternalPort, IPAddress ExternalAddress);

/// <summary>PCP's MAP datagrams, byte for byte (RFC 6887): the common header (section 7) and the MAP opcode's fields
/// (section 11.1). Every number is in network byte order; every address is 128 bits, "An IPv4 address is represented
/// using an IPv4-mapped IPv6 address".</summary>
internal static class PcpMessages
{
    /// <summary>"This document specifies protocol version 2." (version 1 belongs to an incompatible protocol: "PCP
    /// implementations MUST NOT use version number 1", RFC 6886 1.1).</summary>
    public const byte Version = 2;
    public const byte OpMap = 1;
    public const byte ResponseBit = 0x80;
    public const int NonceSize = 12;

    /// <summary>The common request header (24 bytes) and the MAP fields (36 bytes).</summary>
    public const int MapRequestSize = 60;

    /// <summary>The common response header (24 bytes) and the MAP fields (36 bytes).</summary>
    public const int MapAnswerSize = 60;

    // RFC 6887 7.4, result codes.
    public const byte Success = 0;
    public const byte UnsupportedVersion = 1;
    public const byte NotAuthorized = 2;
    public const byte MalformedRequest = 3;
    public const byte UnsupportedOpcode = 4;
    public const byte UnsupportedOption = 5;
    public const byte MalformedOption = 6;
    public const byte NetworkFailure = 7;
    public const byte NoResources = 8;
    public const byte UnsupportedProtocol = 9;
    public const byte UserExceededQuota = 10;
    public const byte CannotProvideExternal = 11;
    public const byte AddressMismatch = 12;
    public const byte ExcessiveRemotePeers = 13;

    /// <summary>A MAP request: the common header, then the MAP opcode's fields. A lifetime of 0 deletes the mapping
    /// named by the nonce, protocol and internal port.</summary>
    /// <remarks>The common request header (section 7.1): "Reserved: 16 reserved bits. MUST be zero on transmission
    /// and MUST be ignored on reception." "PCP Client's IP Address: The source IPv4 or IPv6 address in the IP header
    /// used by the PCP client when sending this PCP request."
    /// <code>
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |  Version = 2  |R|   Opcode    |         Reserved              |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                 Requested Lifetime (32 bits)                  |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |            PCP Client's IP Address (128 bits)                 |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// </code>
    /// The MAP fields (section 11.1, Figure 9): "Reserved: 24 reserved bits, MUST be sent as 0"; "Suggested External
    /// Port ... If the PCP client does not know the external port, or does not have a preference, it MUST use 0";
    /// likewise the suggested address, where "it MUST use the address-family-specific all-zeros address".
    /// <code>
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                 Mapping Nonce (96 bits)                       |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |   Protocol    |          Reserved (24 bits)                   |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |        Internal Port          |    Suggested External Port    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |           Suggested External IP Address (128 bits)            |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// </code></remarks>
    public static byte[] MapRequest(ReadOnlySpan<byte> nonce, IpProtocol protocol, ushort internalPort, ushort suggestedExternalPort,
        IPAddress? suggestedExternalAddress, uint lifetime, IPAddress client)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException($"a mapping nonce is {NonceSize} bytes", nameof(nonce));
        var datagram = new byte[MapRequestSize];
        var span = datagram.AsSpan();
        span[0] = Version;
        span[1] = OpMap; // R = 0: a request
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], lifetime);
        WriteAddress(span.Slice(8, 16), client);
        nonce.CopyTo(span.Slice(24, NonceSize));
        span[36] = (byte)protocol;
        BinaryPrimitives.WriteUInt16BigEndian(span[40..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(span[42..], suggestedExternalPort);
        WriteAddress(span.Slice(44, 16), suggestedExternalAddress ?? IPAddress.Any);
        return datagram;
    }

    /// <summary>Reads an answer to a MAP request; null for anything else (the caller ignores it and waits on).</summary>
    /// <remarks>The common response header (section 7.2, Figure 3): "Version: Responses from servers compliant with
    /// this specification MUST use version 2"; "R: ... All Responses MUST use 1"; the reserved fields "MUST be ignored
    /// when received".
    /// <code>
    /// |  Version = 2  |R|   Opcode    |   Reserved    |  Result Code  |
    /// |                      Lifetime (32 bits)                       |
    /// |                     Epoch Time (32 bits)                      |
    /// |                      Reserved (96 bits)                       |
    /// </code>
    /// then the MAP response fields (Figure 10): the nonce, protocol, 24 reserved bits and internal port copied from
    /// the request, then the "Assigned External Port" and "Assigned External IP Address" (on an error, the suggested
    /// ones copied from the request).
    /// <code>
    /// |                 Mapping Nonce (96 bits)                       |
    /// |   Protocol    |          Reserved (24 bits)                   |
    /// |        Internal Port          |    Assigned External Port     |
    /// |            Assigned External IP Address (128 bits)            |
    /// </code>
    /// A PCP message is at most 1100 bytes and a multiple of 4; options after the MAP fields are ignored here (we send
    /// none, so a server has none to answer).</remarks>
    public static PcpMapAnswer? ReadMapAnswer(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < MapAnswerSize || datagram.Length > 1100 || datagram.Length % 4 != 0) return null;
        if (datagram[0] != Version || datagram[1] != (ResponseBit | OpMap)) return null;
        var protocol = datagram[36];
        if (protocol is not ((byte)IpProtocol.Tcp or (byte)IpProtocol.Udp)) return null;
        return new PcpMapAnswer(datagram[3], BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]), BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]),
            datagram.Slice(24, NonceSize).ToArray(), (IpProtocol)protocol, BinaryPrimitives.ReadUInt16BigEndian(datagram[40..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[42..]), ReadAddress(datagram.Slice(44, 16)));
    }

    /// <summary>An address in PCP's 128-bit field: IPv6 as it is, IPv4 as <c>::ffff:a.b.c.d</c>.</summary>
    public static void WriteAddress(Span<byte> field, IPAddress address)
    {
        var mapped = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!mapped.TryWriteBytes(field, out var written) || written != 16) throw new ArgumentException($"cannot write {address} as 128 bits");
    }

    /// <summary>A 128-bit field as an address: an IPv4-mapped one as IPv4.</summary>
    public static IPAddress ReadAddress(ReadOnlySpan<byte> field)
    {
        var address = new IPAddress(field);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary>The meaning of a result code, for the log (section 7.4); an unknown one by its number.</summary>
    public static string Describe(byte result) => result switch
    {
        Success => "success",
        UnsupportedVersion => "UNSUPP_VERSION",
        NotAuthorized => "NOT_AUTHORIZED",
        MalformedRequest => "MALFORMED_REQUEST",
        UnsupportedOpcode => "UNSUPP_OPCODE",
        UnsupportedOption => "UNSUPP_OPTION",
        MalformedOption => "MALFORMED_OPTION",
        NetworkFailure => "NETWORK_FAILURE",
        NoResources => "NO_RESOURCES",
        UnsupportedProtocol => "UNSUPP_PROTOCOL",
        UserExceededQuota => "USER_EX_QUOTA",
        CannotProvideExternal => "CANNOT_PROVIDE_EXTERNAL",
        AddressMismatch => "ADDRESS_MISMATCH",
        ExcessiveRemotePeers => "EXCESSIVE_REMOTE_PEERS",
        _ => $"result code {result}",
    };
}
