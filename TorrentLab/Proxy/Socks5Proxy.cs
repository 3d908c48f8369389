using System.Net;
using System.Text;

namespace TorrentLab.Proxy;

/// <summary>A SOCKS5 proxy (RFC 1928) every connection of a session goes through: peers and web seeds and HTTP trackers
/// by CONNECT, uTP, the DHT and UDP trackers by UDP ASSOCIATE, with a user name and password (RFC 1929) when given.</summary>
/// <remarks>With <see cref="Only"/> nothing goes direct: no incoming connection is accepted, no datagram is taken from
/// anyone but the proxy's relay, and what the proxy cannot carry (UDP, when it refuses UDP ASSOCIATE) is not done.
/// Without it, incoming connections are still accepted on the peer port, and datagrams the proxy cannot carry go
/// direct.</remarks>
public sealed record Socks5Proxy
{
    /// <summary>A proxy at <paramref name="host"/> (a name or an address literal) and <paramref name="port"/>.</summary>
    /// <exception cref="ArgumentException">No host, or a port outside 1-65535.</exception>
    public Socks5Proxy(string host, int port)
    {
        if (string.IsNullOrWhiteSpace(host)) throw new ArgumentException("give the proxy's host", nameof(host));
        if (port is < 1 or > 65535) throw new ArgumentException($"a proxy's port is 1 to 65535, got {port}", nameof(port));
        Host = host.Trim('[', ']');
        Port = port;
    }

    /// <summary>The proxy's host name or address.</summary>
    public string Host { get; }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary>The user name for RFC 1929's authentication (1 to 255 bytes in UTF-8, with <see cref="Password"/>); null
    /// offers no authentication.</summary>
    public string? UserName { get; init; }

    /// <summary>The password that goes with <see cref="UserName"/>.</summary>
    public string? Password { get; init; }

    /// <summary>Nothing goes direct (<c>--proxy-only</c>): no incoming connections, no local service discovery, no port
    /// mapping, and no UDP unless the proxy relays it.</summary>
    public bool Only { get; init; }

    /// <summary>Reads <c>socks5://[user:password@]host:port</c> (also <c>socks5h://</c>; the user name and password
    /// percent-encoded where they hold <c>:</c> or <c>@</c>).</summary>
    /// <exception cref="FormatException">Not such a URL; the message says what is wrong, without the password.</exception>
    public static Socks5Proxy Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("socks5" or "socks5h"))
            throw new FormatException($"expected socks5://[user:password@]host:port, got '{Redacted(url)}'");
        if (uri.IsDefaultPort || uri.Port is < 1 or > 65535 || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("" or "/"))
            throw new FormatException($"expected socks5://[user:password@]host:port with a port, got '{Redacted(url)}'");
        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            if (colon <= 0 || colon == uri.UserInfo.Length - 1)
                throw new FormatException($"a proxy's credentials are user:password, both given, in '{Redacted(url)}'");
            user = Uri.UnescapeDataString(uri.UserInfo[..colon]);
            password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            if (Encoding.UTF8.GetByteCount(user) > 255 || Encoding.UTF8.GetByteCount(password) > 255)
                throw new FormatException("a SOCKS5 user name and password are 255 bytes at most each (RFC 1929)");
        }
        return new Socks5Proxy(uri.Host, uri.Port) { UserName = user, Password = password };
    }

    /// <summary>The URL, with the password left out (for logs and settings pages).</summary>
    public override string ToString()
    {
        var host = IPAddress.TryParse(Host, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host;
        var user = UserName is null ? "" : $"{Uri.EscapeDataString(UserName)}:***@";
        return $"socks5://{user}{host}:{Port}";
    }

    /// <summary>A URL as given, with whatever stands between "//" and "@" hidden.</summary>
    private static string Redacted(string url)
    {
        var start = url.IndexOf("//", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        return start >= 0 && at > start ? url[..(start + 2)] + "***" + url[at..] : url;
    }
}
