using System.Net;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>Refuses what a web page on another site could make a browser send: a request naming a host the server is
/// not (DNS rebinding), and a state-changing request or live connection from another origin (cross-site request
/// forgery, cross-site WebSocket hijacking). Also tells browsers never to frame or sniff our answers (clickjacking).</summary>
/// <remarks>
/// <para>Host: a page of <c>attacker.example</c> whose name the attacker re-points to 127.0.0.1 talks to us as
/// same-origin, but its requests still say <c>Host: attacker.example</c>. So only these names are answered:
/// <c>localhost</c>, <c>127.0.0.1</c>, <c>::1</c>, the address the server is bound to, the names in
/// <see cref="WebServerOptions.AllowedHosts"/>, and, when bound to every interface, any IP address (an address
/// literal cannot be re-pointed, so only a name can carry this attack).</para>
/// <para>Origin: every browser sends <c>Origin</c> on a cross-origin POST, on a form post and on a WebSocket handshake
/// (Fetch standard), and recent ones also send <c>Sec-Fetch-Site</c>. A request that may change state (any method but
/// GET, HEAD and OPTIONS, a GET of a route that changes state, and every request to <c>/api/live</c>: see
/// <see cref="MayChangeState(HttpContext)"/>) must carry no such header or a same-origin one: an
/// <c>Origin</c> (or, without one, a <c>Referer</c>) whose host and port are this request's <c>Host</c>, and a
/// <c>Sec-Fetch-Site</c> of <c>same-origin</c> or <c>none</c> (typed by the user). A request with none of them
/// comes from a program (curl, a script), which no web page can drive.</para>
/// </remarks>
internal sealed class RequestGuard
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<IPAddress> _addresses = [];
    private readonly bool _anyAddress;
    private readonly Action<string>? _log;

    public RequestGuard(WebServerOptions options)
    {
        _log = options.Log;
        foreach (var name in (string[])["localhost", "127.0.0.1", "::1", options.Host, .. options.AllowedHosts])
        {
            if (IPAddress.TryParse(name.Trim('[', ']'), out var address)) _addresses.Add(address);
            else _names.Add(name.TrimEnd('.'));
        }
        _anyAddress = _addresses.Contains(IPAddress.Any) || _addresses.Contains(IPAddress.IPv6Any);
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        // Every answer carries them, refusals (401, 403, 404, 405, 500) included: set when the head is sent, so a
        // handler that clears the response (a 500) cannot drop them.
        context.Response.OnStarting(AddSecurityHeaders, context);
        var refusal = HostRefusal(request.Host) ?? (MayChangeState(context) ? OriginRefusal(request) : null);
        if (refusal is not null)
        {
            _log?.Invoke($"refused {request.Method} {Shown(request.Path.Value ?? "")}: {refusal}");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new ApiError(refusal), WebJsonContext.Default.ApiError).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>The headers of every answer: no MIME sniffing (a JSON or text answer is never run as a script or
    /// style), no framing (clickjacking; X-Frame-Options for browsers older than CSP's frame-ancestors), no Referer
    /// to other sites, and, for an answer that sets no policy of its own (every one but the pages), a policy that
    /// lets it load nothing.</summary>
    private static Task AddSecurityHeaders(object state)
    {
        var context = (HttpContext)state;
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        // Transmission's web client (served from a folder, --transmission-web) runs its own scripts: no policy for it.
        if (headers.ContentSecurityPolicy.Count == 0 && !context.Request.Path.StartsWithSegments("/transmission/web"))
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        return Task.CompletedTask;
    }

    /// <summary>Null when the Host header names this server, else why not.</summary>
    internal string? HostRefusal(HostString host)
    {
        if (!host.HasValue) return "a Host header is required";
        var name = host.Host.Trim('[', ']');
        if (IPAddress.TryParse(name, out var address) && IsCanonical(name, address))
        {
            if (_anyAddress || _addresses.Contains(address)) return null;
        }
        else if (_names.Contains(name.TrimEnd('.'))) return null;
        return $"host '{Shown(host.Host)}' is not a name of this server (add it with --allowed-host)";
    }

    /// <summary>True when the request may change state, so must come from this server's page or from no page: every
    /// method but GET, HEAD and OPTIONS; a request that its endpoint declares a change whatever its method (the
    /// qBittorrent API's POST-only routes, <see cref="Web.ChangesState"/>); and the live WebSocket, whose handshake is
    /// a GET that opens a channel of commands.</summary>
    internal static bool MayChangeState(HttpContext context)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))) return true;
        if (request.Path.StartsWithSegments("/api/live")) return true;
        return context.GetEndpoint()?.Metadata.GetMetadata<Web.ChangesState>() is { } declared && declared.When(request);
    }

    /// <summary>Null when the request comes from this server's own page or from no page at all, else why not.</summary>
    internal static string? OriginRefusal(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
            return $"a request from another site (Sec-Fetch-Site: {Shown(site)}) may not change anything";
        var origin = request.Headers.Origin.ToString();
        var source = origin.Length > 0 ? origin : request.Headers.Referer.ToString();
        if (source.Length == 0) return null;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
            return null;
        return $"origin '{Shown(source)}' is not this server's page ({request.Host.Value}): a request from another site may not change anything";
    }

    // An address literal as a browser writes it: 127.0.0.1, not 127.1 or 0x7f.1 (which .NET also parses).
    private static bool IsCanonical(string name, IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || address.ToString() == name;

    // Header text in an answer and the log: printable ASCII, at most 100 characters.
    private static string Shown(string text)
    {
        var clean = new string([.. text.Take(100).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return text.Length > 100 ? clean + "..." : clean;
    }
}
