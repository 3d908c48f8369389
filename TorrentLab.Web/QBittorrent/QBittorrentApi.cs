using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static TorrentLab.Web.QBittorrentAnswer;

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
/// must come with every other request (<see cref="QBittorrentLogin"/>); without, 403 as qBittorrent answers. The host
/// and origin checks of the rest of the API run first (<see cref="RequestGuard"/>). Answers are qBittorrent's: plain
/// text "Ok."/"Fails." or JSON (<see cref="QBittorrentAnswer"/>).
/// <para>Methods, as qbittorrent-nox 4.5.2 answers them: a route that only reads takes GET (its parameters in the
/// query string) or POST; a route that changes something takes POST only, its parameters from the body alone (the
/// query string of a POST is ignored, as qBittorrent ignores it), and a GET of it is a 405. So no link, image or
/// redirect can change anything, and a cross-site form post is refused by the guard's same-origin rule.</para>
/// </remarks>
internal sealed partial class QBittorrentApi
{
    public const string Prefix = "/api/v2";
    private const string AppVersion = "v4.6.0";
    private const string WebApiVersion = "2.9.3"; // qBittorrent 4.6's: clients then use pause/resume (2.11 renamed them stop/start)

    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;
    private readonly QBittorrentLogin _login;
    private readonly QBittorrentPreferences _preferences;
    private readonly QBittorrentRss _rss;
    private readonly QBittorrentAdd _add;
    private readonly QBittorrentTorrentList _list;

    private QBittorrentApi(TorrentManager torrents, WebServerOptions options, ServerCredentials credentials, LoginThrottle logins)
    {
        _torrents = torrents;
        _options = options;
        _login = new QBittorrentLogin(credentials, logins, options.Clock);
        _preferences = new QBittorrentPreferences(torrents, options, _login);
        _rss = new QBittorrentRss(torrents);
        _add = new QBittorrentAdd(torrents, options);
        _list = new QBittorrentTorrentList(torrents, options);
    }

    /// <summary>Maps the routes; they are left out of the OpenAPI document, as qBittorrent's wiki documents them. The
    /// endpoint tells <see cref="RequestGuard"/> which requests change state, so the same-origin rule covers them
    /// whatever their method.</summary>
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options, ServerCredentials credentials, LoginThrottle logins)
    {
        var api = new QBittorrentApi(torrents, options, credentials, logins);
        app.Map(Prefix + "/{area}/{action}", api.HandleAsync).ExcludeFromDescription()
            .WithMetadata(new ChangesState(request => ChangesStateAt(request.Path)));
    }

    /// <summary>True unless the path names a route that only reads (an unknown route changes nothing: it is a 404).</summary>
    private static bool ChangesStateAt(PathString path) =>
        path.StartsWithSegments(Prefix, out var rest) && Routes.TryGetValue(rest.Value?.TrimStart('/') ?? "", out var route) && route.Changes;

    private async Task HandleAsync(HttpContext context, string area, string action)
    {
        var name = $"{area}/{action}";
        try
        {
            if (!Routes.TryGetValue(name, out var route))
                throw new WebApiException(404, $"{name} is not part of the qBittorrent API subset TorrentLab serves (docs/web.md lists it)");
            if (name != "auth/login" && !_login.Authorized(context))
            {
                await TextAsync(context, "Forbidden", StatusCodes.Status403Forbidden).ConfigureAwait(false);
                return;
            }
            // qBittorrent 4.5 answers 405 to a GET of a route that changes something, and knows only GET and POST.
            var method = context.Request.Method;
            if (!(HttpMethods.IsPost(method) || (HttpMethods.IsGet(method) && !route.Changes)))
            {
                context.Response.Headers.Allow = route.Changes ? "POST" : "GET, POST";
                await TextAsync(context, "Method Not Allowed", StatusCodes.Status405MethodNotAllowed).ConfigureAwait(false);
                return;
            }
            var input = await QBittorrentInput.ReadAsync(context.Request, name == "auth/login" ? 0 : _options.MaxTorrentBytes, context.RequestAborted).ConfigureAwait(false);
            // What we accept, we honour: a parameter this route does not list is refused, not answered "Ok." and dropped.
            if (route.Parameters is { } table && ApiParameter.Unknown(input.Names, table) is { } unknown)
                throw new WebApiException(400, $"{name}: parameter '{UntrustedText.Clean(unknown, 40)}' is not supported by TorrentLab (docs/web.md lists the parameters each route takes)");
            await route.Handle(this, context, input).ConfigureAwait(false);
        }
        catch (WebApiException e) when (!context.Response.HasStarted)
        {
            // qBittorrent answers a refused request with its status and one plain line.
            await TextAsync(context, e.Message, e.StatusCode).ConfigureAwait(false);
        }
    }

    /// <summary>One route of the subset: whether it changes state (then POST only, and only from this server's own
    /// page or from no page), and what answers it.</summary>
    /// <param name="Changes">Whether it changes state.</param>
    /// <param name="Handle">What answers it.</param>
    /// <param name="Parameters">For a route that takes settings, the only parameters it takes, each applied or refused
    /// (<see cref="ApiParameter"/>); null for a route whose parameters only name torrents.</param>
    internal sealed record Route(bool Changes, Func<QBittorrentApi, HttpContext, QBittorrentInput, Task> Handle,
        IReadOnlyDictionary<string, ApiParameter>? Parameters = null);

    private static Route Reads(Func<QBittorrentApi, HttpContext, QBittorrentInput, Task> handle) => new(false, handle);

    private static Route Changes(Func<QBittorrentApi, HttpContext, QBittorrentInput, Task> handle) => new(true, handle);

    /// <summary>The routes of the subset, each declared a read (GET or POST, as qBittorrent 4.5 answers both) or a
    /// change (POST only): the API's table of contents, and the list the guard's tests walk.</summary>
    internal static readonly IReadOnlyDictionary<string, Route> Routes = new Dictionary<string, Route>(StringComparer.Ordinal)
    {
        ["auth/login"] = Changes((api, c, i) => api._login.LoginAsync(c, i)),
        ["auth/logout"] = Changes((api, c, _) => api._login.LogoutAsync(c)),
        ["app/version"] = Reads((_, c, _) => TextAsync(c, AppVersion)),
        ["app/webapiVersion"] = Reads((_, c, _) => TextAsync(c, WebApiVersion)),
        ["app/buildInfo"] = Reads((_, c, _) => JsonAsync(c, WriteBuildInfo)),
        ["app/preferences"] = Reads((api, c, _) => JsonAsync(c, w => api._preferences.Write(w, c))),
        ["app/defaultSavePath"] = Reads((api, c, _) => TextAsync(c, api._torrents.Downloads)),
        ["torrents/info"] = Reads((api, c, i) => RawJsonAsync(c, output => api._list.WriteInfo(output, i, api.Selected(i["hashes"])))),
        ["torrents/properties"] = Reads((api, c, i) => JsonAsync(c, w => api.WriteProperties(w, api.Torrent(i)))),
        ["torrents/files"] = Reads((api, c, i) => JsonAsync(c, w => WriteFiles(w, api.Torrent(i)))),
        ["torrents/trackers"] = Reads((api, c, i) => JsonAsync(c, w => WriteTrackers(w, api.Torrent(i)))),
        ["torrents/categories"] = Reads((api, c, _) => JsonAsync(c, api._list.WriteCategories)),
        ["torrents/tags"] = Reads((api, c, _) => JsonAsync(c, api.WriteTags)),
        ["torrents/createTags"] = Changes((api, c, i) => api.CreateTagsAsync(c, i)),
        ["torrents/deleteTags"] = Changes((api, c, i) => api.DeleteTagsAsync(c, i)),
        ["torrents/addTags"] = Changes((api, c, i) => api.EditTagsAsync(c, i, add: true)),
        ["torrents/removeTags"] = Changes((api, c, i) => api.EditTagsAsync(c, i, add: false)),
        ["torrents/webseeds"] = Reads((api, c, i) => JsonAsync(c, w => WriteWebSeeds(w, api.Torrent(i)))),
        ["torrents/pieceStates"] = Reads((api, c, i) => JsonAsync(c, w => api.WritePieceStates(w, api.Torrent(i)))),
        ["torrents/pieceHashes"] = Reads((api, c, i) => JsonAsync(c, w => WritePieceHashes(w, api.Torrent(i)))),
        ["torrents/downloadLimit"] = Reads((api, c, i) => JsonAsync(c, w => api.WriteLimits(w, i, download: true))),
        ["torrents/uploadLimit"] = Reads((api, c, i) => JsonAsync(c, w => api.WriteLimits(w, i, download: false))),
        ["torrents/topPrio"] = Changes((api, c, i) => api.MoveInQueueAsync(c, i, QueueMove.Top)),
        ["torrents/bottomPrio"] = Changes((api, c, i) => api.MoveInQueueAsync(c, i, QueueMove.Bottom)),
        ["torrents/increasePrio"] = Changes((api, c, i) => api.MoveInQueueAsync(c, i, QueueMove.Up)),
        ["torrents/decreasePrio"] = Changes((api, c, i) => api.MoveInQueueAsync(c, i, QueueMove.Down)),
        ["torrents/reannounce"] = Changes((api, c, i) => api.ReannounceAsync(c, i)),
        ["torrents/rename"] = Changes((api, c, i) => api.RenameAsync(c, i)),
        ["torrents/renameFile"] = Changes((api, c, i) => api.RenameFileAsync(c, i, folder: false)),
        ["torrents/renameFolder"] = Changes((api, c, i) => api.RenameFileAsync(c, i, folder: true)),
        ["torrents/addPeers"] = Changes((api, c, i) => api.AddPeersAsync(c, i)),
        ["torrents/export"] = Reads((api, c, i) => api.ExportAsync(c, i)),
        ["torrents/toggleSequentialDownload"] = Changes((api, c, i) => api.ToggleSequentialAsync(c, i)),
        ["torrents/setSuperSeeding"] = Changes((api, c, i) => api.SetSuperSeedingAsync(c, i)),
        ["torrents/setShareLimits"] = Changes((api, c, i) => api.SetShareLimitsAsync(c, i)),
        ["torrents/setAutoManagement"] = Changes((api, c, i) => api.SetAutoManagementAsync(c, i)),
        ["torrents/editCategory"] = Changes((api, c, i) => api.EditCategoryAsync(c, i)),
        ["torrents/removeCategories"] = Changes((api, c, i) => api.RemoveCategoriesAsync(c, i)),
        ["transfer/speedLimitsMode"] = Reads((api, c, _) => api.SpeedLimitsModeAsync(c)),
        ["transfer/toggleSpeedLimitsMode"] = Changes((api, c, _) => api.ToggleSpeedLimitsModeAsync(c)),
        ["transfer/setSpeedLimitsMode"] = Changes((api, c, i) => api.SetSpeedLimitsModeAsync(c, i)),
        ["app/setPreferences"] = Changes((api, c, i) => api._preferences.SetAsync(c, i)),
        ["sync/torrentPeers"] = Reads((api, c, i) => JsonAsync(c, w => api.WriteTorrentPeers(w, api.Torrent(i)))),
        ["torrents/add"] = Changes((api, c, i) => api._add.AddAsync(c, i)) with { Parameters = QBittorrentAdd.Parameters },
        ["torrents/pause"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api._torrents.PauseAsync(t))),
        ["torrents/stop"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api._torrents.PauseAsync(t))),
        ["torrents/resume"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api._torrents.StartAsync(t, c.RequestAborted))),
        ["torrents/start"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api._torrents.StartAsync(t, c.RequestAborted))),
        ["torrents/recheck"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api._torrents.RecheckAsync(t, c.RequestAborted, resume: false))),
        ["torrents/delete"] = Changes((api, c, i) => api.DeleteAsync(c, i)),
        ["torrents/setCategory"] = Changes((api, c, i) => api.SetCategoryAsync(c, i)),
        ["torrents/createCategory"] = Changes((api, c, i) => api.CreateCategoryAsync(c, i)),
        ["torrents/filePrio"] = Changes((api, c, i) => api.FilePriorityAsync(c, i)),
        ["torrents/setLocation"] = Changes((api, c, i) => api.SetLocationAsync(c, i)),
        ["torrents/addTrackers"] = Changes((api, c, i) => api.EditTrackersAsync(c, i, AddTrackers)),
        ["torrents/removeTrackers"] = Changes((api, c, i) => api.EditTrackersAsync(c, i, RemoveTrackers)),
        ["torrents/editTracker"] = Changes((api, c, i) => api.EditTrackersAsync(c, i, EditTracker)),
        ["torrents/setDownloadLimit"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api.SetLimit(t.DownloadLimit, i))),
        ["torrents/setUploadLimit"] = Changes((api, c, i) => api.ForEachAsync(c, i, t => api.SetLimit(t.UploadLimit, i))),
        ["transfer/info"] = Reads((api, c, _) => JsonAsync(c, api._list.WriteTransfer)),
        ["transfer/downloadLimit"] = Reads((api, c, _) => TextAsync(c, api._torrents.Limits.Download.BytesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["transfer/uploadLimit"] = Reads((api, c, _) => TextAsync(c, api._torrents.Limits.Upload.BytesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        ["transfer/setDownloadLimit"] = Changes((api, c, i) => OkAfter(c, () => api._torrents.Limits.SetNormal(LimitOf(i), null))),
        ["transfer/setUploadLimit"] = Changes((api, c, i) => OkAfter(c, () => api._torrents.Limits.SetNormal(null, LimitOf(i)))),
        ["sync/maindata"] = Reads((api, c, i) => JsonAsync(c, w => api._list.WriteMainData(w, i))),
        ["rss/addFeed"] = Changes((api, c, i) => api._rss.AddFeedAsync(c, i)),
        ["rss/removeItem"] = Changes((api, c, i) => api._rss.RemoveFeedAsync(c, i)),
        ["rss/refreshItem"] = Changes((api, c, i) => api._rss.RefreshFeedAsync(c, i)),
        ["rss/items"] = Reads((api, c, i) => JsonAsync(c, w => api._rss.WriteFeeds(w, i))),
        ["rss/setRule"] = Changes((api, c, i) => api._rss.SetRuleAsync(c, i)),
        ["rss/removeRule"] = Changes((api, c, i) => api._rss.RemoveRuleAsync(c, i)),
        ["rss/rules"] = Reads((api, c, _) => JsonAsync(c, api._rss.WriteRules)),
        ["rss/matchingArticles"] = Reads((api, c, i) => JsonAsync(c, w => api._rss.WriteMatching(w, i))),
    };

    /// <summary>app/buildInfo: qBittorrent's library versions, with TorrentLab's in libtorrent's place.</summary>
    private static void WriteBuildInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("qt", "");
        w.WriteString("libtorrent", $"TorrentLab {typeof(QBittorrentApi).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        w.WriteString("boost", "");
        w.WriteString("openssl", "");
        w.WriteString("zlib", "");
        w.WriteNumber("bitness", IntPtr.Size * 8);
        w.WriteEndObject();
    }

    private static Task OkAfter(HttpContext context, Action action)
    {
        action();
        return TextAsync(context, "");
    }

    private Task SetLimit(TorrentLab.Downloads.RateLimit limit, QBittorrentInput input)
    {
        _torrents.Adjust.SetLimit(limit, LimitOf(input));
        return Task.CompletedTask;
    }

    private static long LimitOf(QBittorrentInput input)
    {
        var text = input["limit"] ?? throw new WebApiException(400, "give 'limit': bytes per second, 0 or -1 for unlimited");
        if (!long.TryParse(text, out var value) || value < -1) throw new WebApiException(400, $"'limit' must be bytes per second, 0 or -1 for unlimited, got '{UntrustedText.Clean(text, 20)}'");
        return Math.Max(0, value);
    }
}
