using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Cli.Commands;

/// <summary>A peer or node address on the command line: <c>1.2.3.4:6881</c>, <c>[::1]:6881</c> or
/// <c>host:6881</c>. The port is required (1..65535); a host name is resolved once, IPv4 first.</summary>
internal static class PeerAddress
{
    /// <summary>Null when <paramref name="text"/> has the shape of an address with a port, else the usage error.</summary>
    public static string? Check(string text, string what) =>
        Split(text) is null ? $"{what} expects HOST:PORT (e.g. 127.0.0.1:6881, [::1]:6881, localhost:6881) with a port in 1..65535, got '{text}'" : null;

    /// <summary>The endpoint named by <paramref name="text"/>, resolving a host name.</summary>
    /// <exception cref="UsageException">The text is not HOST:PORT, or the host name does not resolve.</exception>
    public static IPEndPoint Resolve(string text, string what)
    {
        var (host, port) = Split(text) ?? throw new UsageException(Check(text, what)!);
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new UsageException($"{what}: cannot resolve '{host}' ({e.SocketErrorCode})");
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new UsageException($"{what}: '{host}' has no address");
        return new IPEndPoint(chosen, port);
    }

    /// <summary>Host (brackets removed) and port, or null when there is no port or the shape is wrong.</summary>
    private static (string Host, int Port)? Split(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port)
            || port is < 1 or > 65535)
            return null;
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            return IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? (host[1..^1], port) : null;
        if (host.Contains(':')) return null; // an IPv6 address needs brackets before its port
        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown ? (host, port) : null;
    }
}
