using System.Globalization;
using System.Net;
using System.Text;
using TorrentLab.Metainfo;

namespace TorrentLab.Lsd;

/// <summary>One local service discovery announce (BEP 14): "I take part in these swarms, on this port", multicast to the
/// neighbours of the local network.</summary>
/// <remarks>
/// The datagram, HTTP-like text in ASCII (BEP 14, "Protocol"):
/// <code>
/// BT-SEARCH * HTTP/1.1\r\n
/// Host: &lt;239.192.152.143:6771 | [ff15::efc0:988f]:6771&gt;\r\n
/// Port: &lt;our peer port, base 10&gt;\r\n
/// Infohash: &lt;40 hex digits&gt;\r\n        (one or more, consecutive)
/// cookie: &lt;opaque, optional&gt;\r\n
/// \r\n
/// \r\n
/// </code>
/// The sender's address is not in the text: the receiver takes it from the datagram's source.
/// </remarks>
/// <param name="Port">The peer port the sender listens on.</param>
/// <param name="InfoHashes">The torrents announced.</param>
/// <param name="Cookie">An opaque token that lets the sender recognise its own announce looped back; null when absent.</param>
internal sealed record LsdAnnounce(int Port, IReadOnlyList<InfoHash> InfoHashes, string? Cookie)
{
    /// <summary>BEP 14: the IPv4 group, "239.192.152.143:6771 (org-local)".</summary>
    public static readonly IPEndPoint GroupV4 = new(IPAddress.Parse("239.192.152.143"), 6771);

    /// <summary>BEP 14: the IPv6 group, "[ff15::efc0:988f]:6771 (site-local)".</summary>
    public static readonly IPEndPoint GroupV6 = new(IPAddress.Parse("ff15::efc0:988f"), 6771);

    /// <summary>BEP 14: "When sending multiple infohashes the packet length should not exceed 1400 bytes to avoid
    /// MTU/fragmentation problems." We send no more, and read no datagram longer than this either.</summary>
    public const int MaxLength = 1400;

    private const string RequestLine = "BT-SEARCH * HTTP/1.1";

    /// <summary>The Host header's value for a group: <c>239.192.152.143:6771</c> or <c>[ff15::efc0:988f]:6771</c>
    /// (RFC 2732 brackets).</summary>
    public static string HostOf(IPEndPoint group) => group.ToString();

    /// <summary>How many info hashes fit an announce to <paramref name="group"/> within <see cref="MaxLength"/>.</summary>
    public static int Capacity(IPEndPoint group, string? cookie)
    {
        const int perHash = 52; // "Infohash: " + 40 hex digits + CRLF
        return Math.Max(0, (MaxLength - Format(group, 65535, [], cookie).Length) / perHash);
    }

    /// <summary>The datagram announcing <paramref name="infoHashes"/> on <paramref name="port"/> to <paramref name="group"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not 1..65535.</exception>
    public static byte[] Format(IPEndPoint group, int port, IReadOnlyList<InfoHash> infoHashes, string? cookie)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var text = new StringBuilder();
        text.Append(RequestLine).Append("\r\n");
        text.Append("Host: ").Append(HostOf(group)).Append("\r\n");
        text.Append("Port: ").Append(port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var hash in infoHashes) text.Append("Infohash: ").Append(hash.Hex).Append("\r\n");
        if (cookie is not null) text.Append("cookie: ").Append(cookie).Append("\r\n");
        text.Append("\r\n\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>Reads an announce.</summary>
    /// <exception cref="LsdException">The datagram is longer than <see cref="MaxLength"/>, is not a BT-SEARCH request,
    /// has no valid Port (1..65535, base 10), no Infohash, or an Infohash that is not 40 hex digits. (The length bound
    /// also bounds the hashes: 1400 bytes hold at most 27 Infohash lines.)</exception>
    public static LsdAnnounce Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxLength)
            throw new LsdException($"expected an announce of at most {MaxLength} bytes, got {datagram.Length}") { Offset = MaxLength };
        int? port = null;
        string? cookie = null;
        var hashes = new List<InfoHash>();
        var offset = 0;
        var first = true;
        while (offset < datagram.Length)
        {
            var end = datagram[offset..].IndexOf("\r\n"u8);
            var line = end < 0 ? datagram[offset..] : datagram.Slice(offset, end);
            var at = offset;
            offset += end < 0 ? datagram.Length - offset : end + 2;
            if (first)
            {
                if (!line.SequenceEqual(Encoding.ASCII.GetBytes(RequestLine)))
                    throw new LsdException($"expected '{RequestLine}' at byte 0, got '{Printable(line)}'") { Offset = 0 };
                first = false;
                continue;
            }
            if (line.IsEmpty) { offset = at; break; } // the blank line ends the headers
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) throw new LsdException($"expected 'Name: value' at byte {at}, got '{Printable(line)}'") { Offset = at };
            var name = Encoding.ASCII.GetString(line[..colon]).Trim();
            var value = Encoding.ASCII.GetString(line[(colon + 1)..]).Trim();
            // HTTP header names are case-insensitive (libtorrent and BEP 14 itself write "cookie" in lower case).
            switch (name.ToLowerInvariant())
            {
                case "port":
                    if (value.Length is 0 or > 5 || !value.All(char.IsAsciiDigit) || int.Parse(value, CultureInfo.InvariantCulture) is < 1 or > 65535)
                        throw new LsdException($"expected a port 1..65535 at byte {at}, got '{Printable(line)}'") { Offset = at };
                    port = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "infohash":
                    if (value.Length != 40 || !value.All(char.IsAsciiHexDigit))
                        throw new LsdException($"expected 40 hex digits of an info hash at byte {at}, got '{Printable(line)}'") { Offset = at };
                    hashes.Add(InfoHash.FromHex(value));
                    break;
                case "cookie":
                    cookie = value;
                    break;
                default:
                    break; // BEP 14: "any additional headers that not understood by a client should be ignored"
            }
        }
        if (first) throw new LsdException($"expected '{RequestLine}', got an empty datagram") { Offset = 0 };
        if (port is null) throw new LsdException("expected a Port header, found none") { Offset = offset };
        if (hashes.Count == 0) throw new LsdException("expected at least one Infohash header, found none") { Offset = offset };
        return new LsdAnnounce(port.Value, hashes, cookie);
    }

    /// <summary>A line as text safe to log: at most 60 characters, other than printable ASCII shown as '?'.</summary>
    private static string Printable(ReadOnlySpan<byte> line)
    {
        var text = new StringBuilder();
        foreach (var b in line[..Math.Min(line.Length, 60)]) text.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        return text.ToString();
    }
}
