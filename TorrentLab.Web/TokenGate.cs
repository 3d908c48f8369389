using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>Lets an API call through only with the server's token: <c>Authorization: Bearer &lt;token&gt;</c>, or
/// <c>?token=</c> on the WebSocket (browsers cannot set headers on one). The page and its files are public: they
/// hold no data, and the page asks for the token itself.</summary>
public sealed class TokenGate(string? token)
{
    private readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <summary>A fresh random token: 32 bytes, URL-safe base64 (43 characters).</summary>
    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // The qBittorrent API (/api/v2) checks its own credentials: a login cookie or this token (QBittorrentApi).
        if (_token is not null && context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments("/api/v2")
            && !Allowed(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsJsonAsync(new ApiError("a token is required: send 'Authorization: Bearer <token>' (or ?token= on the WebSocket)"),
                WebJsonContext.Default.ApiError).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private bool Allowed(HttpRequest request)
    {
        string? presented = null;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) presented = header["Bearer ".Length..].Trim();
        else if (request.Path.StartsWithSegments("/api/live")) presented = request.Query["token"].ToString();
        // Constant time: a wrong token takes as long to refuse whatever its first differing byte.
        return presented is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);
    }
}
