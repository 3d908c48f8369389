using System.Net;
using System.Text;

namespace TorrentLab.PortMapping;

/// <summary>A device's answer to our search: the URL of its device description (an http URL naming an IP address), the
/// ST it answered (the device type searched for), and its SERVER header.</summary>
internal sealed record SsdpAnswer(Uri Location, string SearchTarget, string? Server);

/// <summary>SSDP, UPnP's discovery (UPnP Device Architecture 1.1, section 1.3.2): an HTTP-shaped search sent by UDP to
/// the multicast group, answered by unicast HTTP-shaped responses.</summary>
internal static class SsdpMessages
{
    /// <summary>"239.255.255.250:1900", SSDP's IPv4 group.</summary>
    public static readonly IPEndPoint Group = new(IPAddress.Parse("239.255.255.250"), 1900);

    /// <summary>What we search for: an Internet Gateway Device. A device of version 2 answers a search for version 1
    /// too (UDA 1.1: a device answers for the versions it is compatible with).</summary>
    public const string InternetGatewayDevice = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";

    /// <summary>Seconds a device may wait before it answers (MX), which UDA says "shall be greater than or equal to 1
    /// and should be less than 5 inclusive".</summary>
    public const int MaxWaitSeconds = 2;

    /// <summary>The longest answer read (a real one is a few hundred bytes).</summary>
    public const int MaxAnswerBytes = 4096;

    /// <summary>An M-SEARCH request for <paramref name="searchTarget"/>:</summary>
    //   M-SEARCH * HTTP/1.1
    //   HOST: 239.255.255.250:1900
    //   MAN: "ssdp:discover"
    //   MX: 2
    //   ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1
    //   (an empty line)
    // UDA 1.0 on MAN: "Unlike the NTS and ST headers, the value of the MAN header is enclosed in double quotes; it
    // defines the scope (namespace) of the extension. Must be "ssdp:discover"."
    public static byte[] Search(string searchTarget = InternetGatewayDevice, int maxWaitSeconds = MaxWaitSeconds) =>
        Encoding.ASCII.GetBytes($"M-SEARCH * HTTP/1.1\r\nHOST: {Group}\r\nMAN: \"ssdp:discover\"\r\nMX: {maxWaitSeconds}\r\nST: {searchTarget}\r\n\r\n");

    /// <summary>Reads a search answer: <c>HTTP/1.1 200 OK</c> with <c>LOCATION</c> and <c>ST</c> headers (names in any
    /// case, as HTTP's). Null for anything else: another device's NOTIFY, a search from a neighbour, junk, or a
    /// location that is not an http URL naming an IP address (we never resolve a name a datagram gives).</summary>
    public static SsdpAnswer? ReadAnswer(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length is 0 or > MaxAnswerBytes) return null;
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(datagram); }
        catch (DecoderFallbackException) { return null; }
        var lines = text.Split('\n');
        var status = lines[0].TrimEnd('\r').Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || status[1] != "200") return null;
        string? location = null, st = null, server = null;
        foreach (var raw in lines.Skip(1))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) break;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            switch (line[..colon].Trim().ToUpperInvariant())
            {
                case "LOCATION": location = value; break;
                case "ST": st = value; break;
                case "SERVER": server = value; break;
            }
        }
        if (location is null || st is null) return null;
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.HostNameType != UriHostNameType.IPv4)
            return null;
        return new SsdpAnswer(uri, st, server);
    }
}
