using System.Net;
using System.Net.Sockets;
using TorrentLab.Network;
using TorrentLab.Proxy;
using TorrentLab.Tracker;

namespace TorrentLab.Client;

/// <summary>Why a .torrent named by URL was not fetched: a refused URL or address, an HTTP error, too large.</summary>
public sealed class TorrentUrlException(string message, bool refused, Exception? inner = null) : TorrentLabException(message, inner)
{
    /// <summary>The URL itself was refused (scheme, address): the user's input, not the remote server, is at fault.</summary>
    public bool Refused { get; } = refused;
}

/// <summary>Fetches a .torrent file over HTTP or HTTPS with a size cap and a time limit. Users add real URLs (any host
/// name, any unicast address, loopback included), but every address a connection is made to, including after DNS and
/// after a redirect, must pass <see cref="PeerAddressPolicy.MayUse"/>: unspecified, broadcast, multicast and link-local
/// targets (a router's or a cloud's metadata services) are refused.</summary>
internal static class TorrentUrl
{
    private const int MaxRedirects = 5;

    // One handler for the process (no session: the kernel's network); the connect callback checks each resolved
    // address before dialling it.
    private static readonly HttpClient Http = CreateClient(SystemNetwork.Instance);

    private static HttpClient CreateClient(INetwork network)
    {
        var handler = NetworkHttp.Handler(network, TimeSpan.FromMinutes(1), (context, ct) => ConnectAsync(network, context, ct));
        handler.AllowAutoRedirect = false; // followed by hand below, http/https only
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The body at <paramref name="url"/>, at most <paramref name="maxBytes"/> bytes, within <paramref name="timeout"/>.</summary>
    /// <exception cref="TorrentUrlException">Refused, unreachable, not 200, or too large.</exception>
    public static Task<byte[]> FetchAsync(string url, long maxBytes, TimeSpan timeout, CancellationToken ct) =>
        FetchAsync(SystemNetwork.Instance, url, maxBytes, timeout, ct);

    // A client per network other than the kernel's (a proxy's, a bound interface's), kept while the network lives.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<INetwork, HttpClient> Clients = new();

    /// <summary>As <see cref="FetchAsync(string, long, TimeSpan, CancellationToken)"/>, over <paramref name="network"/>
    /// (through a proxy, the host's name is the proxy's to resolve).</summary>
    public static async Task<byte[]> FetchAsync(INetwork network, string url, long maxBytes, TimeSpan timeout, CancellationToken ct)
    {
        var http = ClientOf(network);
        var uri = Check(url);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            for (var hops = 0; ; hops++)
            {
                using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hops >= MaxRedirects) throw new TorrentUrlException($"{Shown(uri)}: more than {MaxRedirects} redirects", refused: false);
                    uri = Check(new Uri(uri, location).ToString());
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new TorrentUrlException($"{Shown(uri)}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", refused: false);
                if (response.Content.Headers.ContentLength > maxBytes) throw TooLarge(uri, maxBytes);
                return await ReadCappedAsync(response.Content, uri, maxBytes, limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TorrentUrlException($"{Shown(url)}: no answer within {timeout.TotalSeconds:0} s", refused: false);
        }
        catch (HttpRequestException e) when (e.InnerException is TorrentUrlException refused)
        {
            throw refused;
        }
        catch (HttpRequestException e)
        {
            throw new TorrentUrlException($"{Shown(url)}: {e.Message}", refused: false, e);
        }
    }

    /// <summary>Sends <paramref name="request"/> over <paramref name="network"/> under the same address rule, following
    /// no redirect: the answer whatever its status.</summary>
    /// <exception cref="TorrentUrlException">Refused, or no answer.</exception>
    public static async Task<HttpResponseMessage> SendAsync(INetwork network, HttpRequestMessage request, CancellationToken ct)
    {
        var url = request.RequestUri?.ToString() ?? "";
        request.RequestUri = Check(url);
        try
        {
            return await ClientOf(network).SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is TorrentUrlException refused)
        {
            throw refused;
        }
        catch (HttpRequestException e)
        {
            throw new TorrentUrlException($"{Shown(url)}: {e.Message}", refused: false, e);
        }
    }

    private static HttpClient ClientOf(INetwork network) => network == SystemNetwork.Instance ? Http : Clients.GetValue(network, CreateClient);

    /// <summary>An absolute http or https URL whose host, when an address literal, may be used.</summary>
    private static Uri Check(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new TorrentUrlException($"'{UntrustedText.Clean(url, 120)}' is not an http or https URL", refused: true);
        if (uri.UserInfo.Length > 0) throw new TorrentUrlException($"{Shown(uri)}: a URL with a user name or password is not fetched", refused: true);
        if (IPAddress.TryParse(uri.IdnHost, out var address)) Refuse(address, uri.IdnHost);
        return uri;
    }

    private static void Refuse(IPAddress address, string host)
    {
        if (!PeerAddressPolicy.MayUse(address))
            throw new TorrentUrlException($"{UntrustedText.Clean(host, 64)} is {address} (unspecified, broadcast, multicast or link-local): not fetched", refused: true);
    }

    /// <summary>Resolves the host and dials the first address that may be used; refuses when none may.</summary>
    private static async ValueTask<Stream> ConnectAsync(INetwork network, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        if (network is Socks5Network proxied && !IPAddress.TryParse(host, out _))
            return await proxied.ConnectAsync(host, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await network.ResolveAsync(host, ct).ConfigureAwait(false);
        foreach (var address in addresses) Refuse(address, host);
        if (addresses.Length == 0) throw new TorrentUrlException($"{UntrustedText.Clean(host, 64)}: no address", refused: false);
        // Each address in turn, as the system's resolver ordered them; the last failure is the one reported.
        for (var i = 0; ; i++)
        {
            try
            {
                return await network.ConnectAsync(new IPEndPoint(addresses[i], context.DnsEndPoint.Port), ct).ConfigureAwait(false);
            }
            catch (SocketException) when (i < addresses.Length - 1) { }
        }
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, Uri uri, long maxBytes, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(uri, maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static TorrentUrlException TooLarge(Uri uri, long maxBytes) =>
        new($"{Shown(uri)}: larger than the limit of {maxBytes} bytes", refused: false);

    private static string Shown(Uri uri) => UntrustedText.Clean(uri.GetLeftPart(UriPartial.Path), 120);
    private static string Shown(string url) => UntrustedText.Clean(url, 120);
}
