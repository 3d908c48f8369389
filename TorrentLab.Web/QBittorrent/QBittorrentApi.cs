using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>The subset of qBittorrent's WebUI API v2 (<c>/api/v2/...</c>, as qBittorrent 4.6 speaks it, webapiVersion
/// 2.9.3) that media managers and phone apps use, over this server's torrents.</summary>
/// <remarks>
/// <code>
/// POST /api/v2/auth/login  username=any&amp;password=&lt;token&gt;   -> 200 "Ok." + Set-Cookie: SID=&lt;random&gt;
/// GET  /api/v2/torrents/info?filter=downloading                 -> [{"hash": ..., "state": "downloading", ...}]
/// POST /api/v2/torrents/pause  hashes=&lt;h1&gt;|&lt;h2&gt;|all          -> 200
/// </code>
/// Credentials: a server without a token lets every request in (as qBittorrent's "bypass authentication for clients
/// on localhost"), and the login still hands out a cookie, which clients expect. With a token, the login takes it as
/// the password (any user name) and the <c>SID</c> cookie it sets, or the token as a bearer token or Basic password,
/// must come with every other request; without, 403 as qBittorrent answers. The host and origin checks of the rest
/// of the API run first (<see cref="RequestGuard"/>). Answers are qBittorrent's: plain text "Ok."/"Fails." or JSON.
/// </remarks>
internal sealed partial class QBittorrentApi
{
    public const string Prefix = "/api/v2";
    private const string AppVersion = "v4.6.0";
    private const string WebApiVersion = "2.9.3"; // qBittorrent 4.6's: clients then use pause/resume (2.11 renamed them stop/start)
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromHours(1); // qBittorrent's default web UI session timeout
    private const int MaxSessions = 1000; // logins kept at once; the oldest is forgotten beyond this

    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;
    private readonly byte[]? _token;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);

    private QBittorrentApi(TorrentManager torrents, WebServerOptions options, string? token)
    {
        _torrents = torrents;
        _options = options;
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
    }

    /// <summary>Maps the routes; they are left out of the OpenAPI document, as qBittorrent's wiki documents them.</summary>
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options, string? token)
    {
        var api = new QBittorrentApi(torrents, options, token);
        app.Map(Prefix + "/{area}/{action}", api.HandleAsync).ExcludeFromDescription();
    }

    private async Task HandleAsync(HttpContext context, string area, string action)
    {
        var route = $"{area}/{action}";
        try
        {
            if (route == "auth/login")
            {
                await LoginAsync(context).ConfigureAwait(false);
                return;
            }
            if (!Authorized(context.Request))
            {
                await TextAsync(context, "Forbidden", StatusCodes.Status403Forbidden).ConfigureAwait(false);
                return;
            }
            var input = await QBittorrentInput.ReadAsync(context.Request, _options.MaxTorrentBytes, context.RequestAborted).ConfigureAwait(false);
            await DispatchAsync(context, route, input).ConfigureAwait(false);
        }
        catch (WebApiException e) when (!context.Response.HasStarted)
        {
            // qBittorrent answers a refused request with its status and one plain line.
            await TextAsync(context, e.Message, e.StatusCode).ConfigureAwait(false);
        }
    }

    /// <summary>One arm per route of the subset: the API's table of contents.</summary>
    private Task DispatchAsync(HttpContext context, string route, QBittorrentInput input) => route switch
    {
        "auth/logout" => LogoutAsync(context),
        "app/version" => TextAsync(context, AppVersion),
        "app/webapiVersion" => TextAsync(context, WebApiVersion),
        "app/buildInfo" => JsonAsync(context, WriteBuildInfo),
        "app/preferences" => JsonAsync(context, WritePreferences),
        "app/defaultSavePath" => TextAsync(context, _torrents.Downloads),
        "torrents/info" => JsonAsync(context, w => WriteInfo(w, input)),
        "torrents/properties" => JsonAsync(context, w => WriteProperties(w, Torrent(input))),
        "torrents/files" => JsonAsync(context, w => WriteFiles(w, Torrent(input))),
        "torrents/trackers" => JsonAsync(context, w => WriteTrackers(w, Torrent(input))),
        "torrents/add" => AddAsync(context, input),
        "torrents/pause" or "torrents/stop" => ForEachAsync(context, input, t => _torrents.PauseAsync(t)),
        "torrents/resume" or "torrents/start" => ForEachAsync(context, input, t => _torrents.StartAsync(t, context.RequestAborted)),
        "torrents/recheck" => ForEachAsync(context, input, t => _torrents.RecheckAsync(t, context.RequestAborted, resume: false)),
        "torrents/delete" => DeleteAsync(context, input),
        "torrents/setCategory" => SetCategoryAsync(context, input),
        "torrents/createCategory" => CreateCategoryAsync(context, input),
        "torrents/categories" => JsonAsync(context, WriteCategories),
        "torrents/tags" => JsonAsync(context, w => { w.WriteStartArray(); w.WriteEndArray(); }),
        "torrents/filePrio" => FilePriorityAsync(context, input),
        "torrents/setLocation" => SetLocationAsync(context, input),
        "torrents/addTrackers" => EditTrackersAsync(context, input, AddTrackers),
        "torrents/removeTrackers" => EditTrackersAsync(context, input, RemoveTrackers),
        "torrents/editTracker" => EditTrackersAsync(context, input, EditTracker),
        "torrents/setDownloadLimit" => ForEachAsync(context, input, t => SetLimit(t.DownloadLimit, input)),
        "torrents/setUploadLimit" => ForEachAsync(context, input, t => SetLimit(t.UploadLimit, input)),
        "transfer/info" => JsonAsync(context, WriteTransfer),
        "transfer/setDownloadLimit" => OkAfter(context, () => _torrents.SetGlobalLimits(LimitOf(input), null)),
        "transfer/setUploadLimit" => OkAfter(context, () => _torrents.SetGlobalLimits(null, LimitOf(input))),
        "transfer/downloadLimit" => TextAsync(context, _torrents.GlobalDownloadLimit.BytesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        "transfer/uploadLimit" => TextAsync(context, _torrents.GlobalUploadLimit.BytesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        "sync/maindata" => JsonAsync(context, WriteMainData),
        _ => throw new WebApiException(404, $"{route} is not part of the qBittorrent API subset TorrentLab serves (docs/web.md lists it)"),
    };

    private async Task LoginAsync(HttpContext context)
    {
        var input = await QBittorrentInput.ReadAsync(context.Request, 0, context.RequestAborted).ConfigureAwait(false);
        var password = input["password"] ?? "";
        if (_token is not null && !TokenGate.Matches(password, _token))
        {
            _options.Log?.Invoke("refused a qBittorrent API login: wrong password (the server's token is the password)");
            await TextAsync(context, "Fails.").ConfigureAwait(false);
            return;
        }
        var sid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        ForgetExpired();
        _sessions[sid] = DateTimeOffset.UtcNow;
        context.Response.Cookies.Append("SID", sid, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        await TextAsync(context, "Ok.").ConfigureAwait(false);
    }

    private Task LogoutAsync(HttpContext context)
    {
        if (context.Request.Cookies["SID"] is { } sid) _sessions.TryRemove(sid, out _);
        context.Response.Cookies.Delete("SID");
        return TextAsync(context, "");
    }

    private bool Authorized(HttpRequest request)
    {
        if (_token is null) return true;
        if (request.Cookies["SID"] is { Length: > 0 } sid && _sessions.TryGetValue(sid, out var seen))
        {
            if (DateTimeOffset.UtcNow - seen < SessionTimeout)
            {
                _sessions[sid] = DateTimeOffset.UtcNow;
                return true;
            }
            _sessions.TryRemove(sid, out _);
        }
        // Or the token itself: as a bearer token (qBittorrent 5.2's API keys) or as the Basic password (5.2 takes Basic too).
        return TokenGate.Matches(TokenGate.Presented(request, basic: true), _token);
    }

    private void ForgetExpired()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (sid, seen) in _sessions)
            if (now - seen >= SessionTimeout) _sessions.TryRemove(sid, out _);
        while (_sessions.Count >= MaxSessions && _sessions.OrderBy(s => s.Value).FirstOrDefault() is { Key: { } oldest }) _sessions.TryRemove(oldest, out _);
    }

    private static async Task TextAsync(HttpContext context, string text, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=UTF-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task JsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task OkAfter(HttpContext context, Action action)
    {
        action();
        return TextAsync(context, "");
    }

    private Task SetLimit(TorrentLab.Downloads.RateLimit limit, QBittorrentInput input)
    {
        _torrents.SetLimit(limit, LimitOf(input));
        return Task.CompletedTask;
    }

    private static long LimitOf(QBittorrentInput input)
    {
        var text = input["limit"] ?? throw new WebApiException(400, "give 'limit': bytes per second, 0 or -1 for unlimited");
        if (!long.TryParse(text, out var value) || value < -1) throw new WebApiException(400, $"'limit' must be bytes per second, 0 or -1 for unlimited, got '{UntrustedText.Clean(text, 20)}'");
        return Math.Max(0, value);
    }
}
