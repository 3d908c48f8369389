using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>Lets an API call (and a scrape of <c>/metrics</c>) through only with the server's token or one of its API
/// keys (<see cref="ServerCredentials"/>): <c>Authorization: Bearer &lt;token&gt;</c>, <c>X-Api-Key</c>, or
/// <c>?token=</c> on the WebSocket (browsers cannot set headers on one), or for <c>/metrics</c> the password of HTTP
/// Basic. The page and its files are public: they hold no data, and the page asks for the token itself. An address
/// that presents a wrong token too often is banned for a while (<see cref="LoginThrottle"/>): 403 to everything it
/// sends under <c>/api</c>.</summary>
public sealed class TokenGate
{
    private readonly LoginThrottle _logins;
    private readonly ServerCredentials _credentials;

    internal TokenGate(ServerCredentials credentials, LoginThrottle logins) => (_credentials, _logins) = (credentials, logins);

    /// <summary>A fresh random token: 32 bytes, URL-safe base64 (43 characters).</summary>
    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // The qBittorrent API (/api/v2) checks its own credentials: a login cookie or this token (QBittorrentLogin).
        var path = context.Request.Path;
        var verdict = !_credentials.Open && ((path.StartsWithSegments("/api") && !path.StartsWithSegments("/api/v2")) || path.StartsWithSegments(ServerMetrics.Path))
            ? Check(context) : Verdict.Allowed;
        if (verdict == Verdict.Banned)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new ApiError(LoginThrottle.BannedText), WebJsonContext.Default.ApiError).ConfigureAwait(false);
            return;
        }
        if (verdict == Verdict.Refused)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsJsonAsync(new ApiError("a token or an API key is required: send 'Authorization: Bearer <token>' or 'X-Api-Key: <key>' (or ?token= on the WebSocket)"),
                WebJsonContext.Default.ApiError).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private enum Verdict { Allowed, Refused, Banned }

    private Verdict Check(HttpContext context)
    {
        var request = context.Request;
        // A scraper may send the token as a bearer token or as Prometheus' basic_auth password.
        var presented = Presented(request, basic: request.Path.StartsWithSegments(ServerMetrics.Path));
        if (presented is null && request.Path.StartsWithSegments("/api/live")) presented = request.Query["token"].ToString();
        if (presented is not { Length: > 0 }) return Verdict.Refused; // no credential: not a failed login
        var address = context.Connection.RemoteIpAddress;
        if (_logins.IsBanned(address, "REST API")) return Verdict.Banned;
        if (!_credentials.Accepts(presented))
        {
            _logins.Failed(address, "REST API");
            return Verdict.Refused;
        }
        _logins.Succeeded(address);
        return Verdict.Allowed;
    }

    /// <summary>The token or API key a request presents: an <c>X-Api-Key</c> header, or in its <c>Authorization</c> header a bearer token, or with
    /// <paramref name="basic"/> (the remote-control APIs, whose clients send HTTP Basic) the Basic password, any user
    /// name; null when it presents none or a Basic header that does not decode.</summary>
    internal static string? Presented(HttpRequest request, bool basic)
    {
        if (request.Headers["X-Api-Key"].ToString() is { Length: > 0 } apiKey) return apiKey.Trim(); // the *arr apps' header
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (!basic || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            return pair.IndexOf(':') is var colon and >= 0 ? pair[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="presented"/> is the token. Constant time: a wrong token takes as long to
    /// refuse whatever its first differing byte.</summary>
    internal static bool Matches(string? presented, byte[] token) =>
        presented is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), token);
}
