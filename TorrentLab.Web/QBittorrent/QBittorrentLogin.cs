using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

/// <summary>The qBittorrent API's credentials: auth/login and auth/logout, the <c>SID</c> sessions the login hands out,
/// and the check every other request passes (a live session, or the server's token itself).</summary>
internal sealed class QBittorrentLogin
{
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromHours(1); // qBittorrent's default web UI session timeout
    private const int MaxSessions = 1000; // logins kept at once; the oldest is forgotten beyond this

    private readonly ServerCredentials _credentials;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);

    private readonly LoginThrottle _logins;
    private readonly TimeProvider _clock;

    public QBittorrentLogin(ServerCredentials credentials, LoginThrottle logins, TimeProvider clock)
    {
        _logins = logins;
        _clock = clock;
        _credentials = credentials;
    }

    /// <summary>Whether every request is let in: the server has no token.</summary>
    public bool Open => _credentials.Open;

    public async Task LoginAsync(HttpContext context, QBittorrentInput input)
    {
        var password = input["password"] ?? "";
        var address = context.Connection.RemoteIpAddress;
        if (!_credentials.Open)
        {
            // qBittorrent: the failure that reaches the count bans the address; from then on every login from it, the
            // right password included, is a 403 until the ban ends.
            if (_logins.IsBanned(address, "qBittorrent API"))
            {
                await TextAsync(context, LoginThrottle.BannedText, StatusCodes.Status403Forbidden).ConfigureAwait(false);
                return;
            }
            if (!_credentials.Accepts(password))
            {
                _logins.Failed(address, "qBittorrent API, wrong password: the server's token is the password");
                await TextAsync(context, "Fails.").ConfigureAwait(false);
                return;
            }
            _logins.Succeeded(address);
        }
        var sid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ForgetExpired();
        _sessions[sid] = _clock.GetUtcNow();
        context.Response.Cookies.Append("SID", sid, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = CookiePath(context) });
        await TextAsync(context, "Ok.").ConfigureAwait(false);
    }

    /// <summary>The login cookie's path: the server's base path behind a reverse proxy (<c>serve --base-path</c>), else '/'.</summary>
    private static string CookiePath(HttpContext context) => context.Request.PathBase.HasValue ? context.Request.PathBase.Value! : "/";

    public Task LogoutAsync(HttpContext context)
    {
        if (context.Request.Cookies["SID"] is { } sid) _sessions.TryRemove(sid, out _);
        context.Response.Cookies.Delete("SID", new CookieOptions { Path = CookiePath(context) });
        return TextAsync(context, "");
    }

    public bool Authorized(HttpContext context)
    {
        if (_credentials.Open) return true;
        var request = context.Request;
        var now = _clock.GetUtcNow();
        if (request.Cookies["SID"] is { Length: > 0 } sid && _sessions.TryGetValue(sid, out var seen))
        {
            if (now - seen < SessionTimeout)
            {
                _sessions[sid] = now;
                return true;
            }
            _sessions.TryRemove(sid, out _);
        }
        // Or the token itself: as a bearer token (qBittorrent 5.2's API keys) or as the Basic password (5.2 takes Basic
        // too); a wrong one counts towards a ban, and a banned address is refused even the right one.
        var presented = TokenGate.Presented(request, basic: true);
        if (presented is not { Length: > 0 }) return false;
        var address = context.Connection.RemoteIpAddress;
        if (_logins.IsBanned(address, "qBittorrent API")) return false;
        if (!_credentials.Accepts(presented))
        {
            _logins.Failed(address, "qBittorrent API");
            return false;
        }
        _logins.Succeeded(address);
        return true;
    }

    private void ForgetExpired()
    {
        var now = _clock.GetUtcNow();
        foreach (var (sid, seen) in _sessions)
            if (now - seen >= SessionTimeout) _sessions.TryRemove(sid, out _);
        while (_sessions.Count >= MaxSessions && _sessions.OrderBy(s => s.Value).FirstOrDefault() is { Key: { } oldest }) _sessions.TryRemove(oldest, out _);
    }
}
