using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TorrentLab.Proxy;

/// <summary>A SOCKS5 server's reply to a request (RFC 1928, section 6): its code and the address it bound (for
/// CONNECT, the proxy's own end of the connection; for UDP ASSOCIATE, where datagrams are to be relayed), as an
/// address or a domain name.</summary>
internal sealed record Socks5Reply(byte Code, IPAddress? BoundAddress, string? BoundHost, int BoundPort)
{
    public bool Succeeded => Code == Socks5Messages.Succeeded;
}

/// <summary>A datagram relayed by a SOCKS5 server (RFC 1928, section 7): the address it came from or goes to, and its
/// data (a slice of the datagram read).</summary>
internal readonly record struct Socks5Datagram(IPEndPoint? Remote, string? Host, int Port, ReadOnlyMemory<byte> Data);

/// <summary>A SOCKS5 message out of shape (the proxy's, or one a caller would make); the message says which in one line.</summary>
internal sealed class Socks5Exception(string message) : TorrentLabException(message);

/// <summary>SOCKS5's messages byte for byte: RFC 1928 (method negotiation, requests and replies, the UDP relay's
/// header) and RFC 1929 (username/password authentication). Ports are in network byte order.</summary>
internal static class Socks5Messages
{
    public const byte Version = 5;

    // RFC 1928 3: "The values currently defined for METHOD are: o X'00' NO AUTHENTICATION REQUIRED ... o X'02'
    // USERNAME/PASSWORD ... o X'FF' NO ACCEPTABLE METHODS".
    public const byte NoAuthentication = 0x00;
    public const byte UsernamePassword = 0x02;
    public const byte NoAcceptableMethods = 0xFF;

    // RFC 1928 4: "CMD o CONNECT X'01' o BIND X'02' o UDP ASSOCIATE X'03'".
    public const byte Connect = 0x01;
    public const byte UdpAssociate = 0x03;

    // RFC 1928 4: "ATYP address type of following address o IP V4 address: X'01' o DOMAINNAME: X'03' o IP V6 address: X'04'".
    public const byte AddressIPv4 = 0x01;
    public const byte AddressDomain = 0x03;
    public const byte AddressIPv6 = 0x04;

    // RFC 1928 6, the reply field.
    public const byte Succeeded = 0x00;

    /// <summary>The version of RFC 1929's subnegotiation: "The VER field contains the current version of the
    /// subnegotiation, which is X'01'".</summary>
    public const byte AuthVersion = 0x01;

    /// <summary>The version identifier/method selection message (RFC 1928 3): the methods we offer.</summary>
    //   +----+----------+----------+
    //   |VER | NMETHODS | METHODS  |
    //   +----+----------+----------+
    //   | 1  |    1     | 1 to 255 |
    //   +----+----------+----------+
    public static byte[] Greeting(bool withPassword) =>
        withPassword ? [Version, 2, NoAuthentication, UsernamePassword] : [Version, 1, NoAuthentication];

    /// <summary>Reads the server's method selection (2 bytes: VER, METHOD).</summary>
    /// <exception cref="Socks5Exception">Not version 5.</exception>
    //   +----+--------+
    //   |VER | METHOD |
    //   +----+--------+
    //   | 1  |   1    |
    //   +----+--------+
    public static byte ReadMethod(ReadOnlySpan<byte> reply)
    {
        if (reply.Length != 2) throw new Socks5Exception($"the proxy's method selection is {reply.Length} bytes, not 2");
        if (reply[0] != Version) throw new Socks5Exception($"the proxy answered version {reply[0]}, not SOCKS5");
        return reply[1];
    }

    /// <summary>RFC 1929's username/password request: "+----+------+----------+------+----------+ |VER | ULEN | UNAME
    /// | PLEN | PASSWD |", each of 1 to 255 bytes (UTF-8 here).</summary>
    /// <exception cref="ArgumentException">A name or password empty or longer than 255 bytes.</exception>
    public static byte[] PasswordRequest(string user, string password)
    {
        var (name, secret) = (Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(password));
        if (name.Length is 0 or > 255) throw new ArgumentException("a SOCKS5 user name is 1 to 255 bytes", nameof(user));
        if (secret.Length is 0 or > 255) throw new ArgumentException("a SOCKS5 password is 1 to 255 bytes", nameof(password));
        return [AuthVersion, (byte)name.Length, .. name, (byte)secret.Length, .. secret];
    }

    /// <summary>RFC 1929's reply: "A STATUS field of X'00' indicates success. If the server returns a `failure' (STATUS
    /// value other than X'00') status, it MUST close the connection."</summary>
    /// <exception cref="Socks5Exception">Out of shape.</exception>
    public static bool ReadPasswordReply(ReadOnlySpan<byte> reply)
    {
        if (reply.Length != 2 || reply[0] != AuthVersion) throw new Socks5Exception("the proxy's answer to the user name and password is out of shape");
        return reply[1] == 0;
    }

    /// <summary>A request (RFC 1928 4) for <paramref name="command"/> with an address as its destination (UDP
    /// ASSOCIATE names where our datagrams will come from; all zeros when unknown).</summary>
    //   +----+-----+-------+------+----------+----------+
    //   |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
    //   +----+-----+-------+------+----------+----------+
    //   | 1  |  1  | X'00' |  1   | Variable |    2     |
    //   +----+-----+-------+------+----------+----------+
    public static byte[] Request(byte command, IPEndPoint destination)
    {
        var address = Plain(destination.Address);
        var bytes = address.GetAddressBytes();
        var request = new byte[4 + bytes.Length + 2];
        request[0] = Version;
        request[1] = command;
        request[3] = bytes.Length == 4 ? AddressIPv4 : AddressIPv6;
        bytes.CopyTo(request, 4);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4 + bytes.Length), (ushort)destination.Port);
        return request;
    }

    /// <summary>A request naming its destination by domain name (the proxy resolves it: "the address field contains a
    /// fully-qualified domain name. The first octet of the address field contains the number of octets of name that
    /// follow, there is no terminating NUL octet").</summary>
    /// <exception cref="ArgumentException">An empty name, or one longer than 255 bytes.</exception>
    public static byte[] Request(byte command, string host, int port)
    {
        var name = Encoding.ASCII.GetBytes(host);
        if (name.Length is 0 or > 255) throw new ArgumentException("a SOCKS5 domain name is 1 to 255 bytes", nameof(host));
        var request = new byte[5 + name.Length + 2];
        request[0] = Version;
        request[1] = command;
        request[3] = AddressDomain;
        request[4] = (byte)name.Length;
        name.CopyTo(request, 5);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(5 + name.Length), (ushort)port);
        return request;
    }

    /// <summary>How many bytes the reply starting with <paramref name="head"/> (its first 5 bytes) has in all: 4, the
    /// address (4, 16, or 1 + its length for a name) and 2 for the port.</summary>
    /// <exception cref="Socks5Exception">Not version 5, or an unknown address type.</exception>
    public static int ReplyLength(ReadOnlySpan<byte> head)
    {
        if (head.Length < 5) throw new ArgumentException("give the reply's first 5 bytes", nameof(head));
        if (head[0] != Version) throw new Socks5Exception($"the proxy answered version {head[0]}, not SOCKS5");
        return head[3] switch
        {
            AddressIPv4 => 4 + 4 + 2,
            AddressIPv6 => 4 + 16 + 2,
            AddressDomain => 4 + 1 + head[4] + 2,
            _ => throw new Socks5Exception($"the proxy's reply has address type {head[3]}"),
        };
    }

    /// <summary>Reads a reply (RFC 1928 6), whole: "+----+-----+-------+------+----------+----------+ |VER | REP |
    /// RSV | ATYP | BND.ADDR | BND.PORT |".</summary>
    /// <exception cref="Socks5Exception">Out of shape.</exception>
    public static Socks5Reply ReadReply(ReadOnlySpan<byte> reply)
    {
        if (reply.Length < 5 || ReplyLength(reply) != reply.Length) throw new Socks5Exception($"the proxy's reply is {reply.Length} bytes, out of shape");
        var (address, host, port) = ReadAddress(reply[3..], out _);
        return new Socks5Reply(reply[1], address, host, port);
    }

    /// <summary>The meaning of a reply code (RFC 1928 6), for the one line that says why.</summary>
    public static string Describe(byte code) => code switch
    {
        0x00 => "succeeded",
        0x01 => "general SOCKS server failure",
        0x02 => "connection not allowed by ruleset",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => $"reply code {code}",
    };

    /// <summary>The socket error a reply code stands for, so a dial through the proxy fails as a direct one would.</summary>
    public static SocketError ErrorOf(byte code) => code switch
    {
        0x03 => SocketError.NetworkUnreachable,
        0x04 => SocketError.HostUnreachable,
        0x05 => SocketError.ConnectionRefused,
        0x06 => SocketError.TimedOut,
        0x02 => SocketError.AccessDenied,
        _ => SocketError.SocketError,
    };

    /// <summary>A datagram for the relay (RFC 1928 7): the header, then the data. We never fragment: "Implementation of
    /// fragmentation is optional; an implementation that does not support fragmentation MUST drop any datagram whose
    /// FRAG field is other than X'00'."</summary>
    //   +----+------+------+----------+----------+----------+
    //   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
    //   +----+------+------+----------+----------+----------+
    //   | 2  |  1   |  1   | Variable |    2     | Variable |
    //   +----+------+------+----------+----------+----------+
    public static byte[] UdpDatagram(IPEndPoint to, ReadOnlySpan<byte> data)
    {
        var address = Plain(to.Address).GetAddressBytes();
        var datagram = new byte[4 + address.Length + 2 + data.Length];
        datagram[3] = address.Length == 4 ? AddressIPv4 : AddressIPv6;
        address.CopyTo(datagram, 4);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4 + address.Length), (ushort)to.Port);
        data.CopyTo(datagram.AsSpan(6 + address.Length));
        return datagram;
    }

    /// <summary>A datagram for the relay naming its destination by domain name (ATYP X'03', the first octet of DST.ADDR
    /// being the name's length): the proxy resolves it, so the name is never looked up here. RFC 1928 7 allows it: the
    /// header's DST.ADDR is an address "as described in section 4", which includes the domain name.</summary>
    /// <exception cref="ArgumentException">An empty name, one longer than 255 bytes, or not ASCII (an IDN goes as its
    /// punycode).</exception>
    //   +----+------+------+-----+-------------+----------+----------+
    //   |RSV | FRAG | ATYP | LEN |    NAME     | DST.PORT |   DATA   |
    //   +----+------+------+-----+-------------+----------+----------+
    //   | 2  |  1   | X'03'|  1  | 1 to 255    |    2     | Variable |
    //   +----+------+------+-----+-------------+----------+----------+
    public static byte[] UdpDatagram(string host, int port, ReadOnlySpan<byte> data)
    {
        var name = DomainName(host);
        var datagram = new byte[5 + name.Length + 2 + data.Length];
        datagram[3] = AddressDomain;
        datagram[4] = (byte)name.Length;
        name.CopyTo(datagram, 5);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(5 + name.Length), (ushort)port);
        data.CopyTo(datagram.AsSpan(7 + name.Length));
        return datagram;
    }

    /// <summary>Reads a relayed datagram; null for one out of shape or fragmented (dropped, as RFC 1928 7 says).</summary>
    public static Socks5Datagram? ReadUdpDatagram(ReadOnlyMemory<byte> datagram)
    {
        var span = datagram.Span;
        if (span.Length < 4 || span[0] != 0 || span[1] != 0 || span[2] != 0) return null;
        try
        {
            var (address, host, port) = ReadAddress(span[3..], out var used);
            return new Socks5Datagram(address is null ? null : new IPEndPoint(address, port), host, port, datagram[(3 + used)..]);
        }
        catch (Socks5Exception) { return null; }
    }

    /// <summary>ATYP, the address and the port, from <paramref name="field"/>'s start; <paramref name="used"/> says how
    /// many bytes they took.</summary>
    private static (IPAddress? Address, string? Host, int Port) ReadAddress(ReadOnlySpan<byte> field, out int used)
    {
        var length = field.IsEmpty ? -1 : field[0] switch
        {
            AddressIPv4 => 4,
            AddressIPv6 => 16,
            AddressDomain when field.Length > 1 => 1 + field[1],
            _ => -1,
        };
        if (length < 0 || field.Length < 1 + length + 2) throw new Socks5Exception("an address out of shape");
        used = 1 + length + 2;
        var port = BinaryPrimitives.ReadUInt16BigEndian(field[(1 + length)..]);
        return field[0] == AddressDomain
            ? (null, Encoding.ASCII.GetString(field.Slice(2, length - 1)), port)
            : (new IPAddress(field.Slice(1, length)), null, port);
    }

    /// <summary>A domain name's bytes: 1 to 255 of them, ASCII.</summary>
    /// <exception cref="ArgumentException">Otherwise.</exception>
    private static byte[] DomainName(string host)
    {
        if (!Ascii.IsValid(host)) throw new ArgumentException($"a SOCKS5 domain name is ASCII (an IDN goes as its punycode), got '{host}'", nameof(host));
        var name = Encoding.ASCII.GetBytes(host);
        if (name.Length is 0 or > 255) throw new ArgumentException("a SOCKS5 domain name is 1 to 255 bytes", nameof(host));
        return name;
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
