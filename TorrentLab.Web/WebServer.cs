using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Client;
using TorrentLab.Storage;

namespace TorrentLab.Web;

/// <summary>The web interface: Kestrel serving the REST API (<c>/api</c>), the live WebSocket (<c>/api/live</c>), the
/// OpenAPI document (<c>/openapi/v1.json</c>) and its page (<c>/docs</c>), and the torrent page (<c>/</c>).</summary>
public sealed class WebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TorrentManager _torrents;
    private readonly LiveHub _live;

    private WebServer(WebApplication app, TorrentManager torrents, LiveHub live, string url, string? token)
    {
        _app = app;
        _torrents = torrents;
        _live = live;
        Url = url;
        Token = token;
    }

    /// <summary>Where the server listens: <c>http://127.0.0.1:8080</c> (the real port when 0 was asked).</summary>
    public string Url { get; }

    /// <summary>The token clients must present, or null when none is required.</summary>
    public string? Token { get; }

    /// <summary>The session's peer port (TCP and UDP), which every torrent announces.</summary>
    public int PeerPort => _torrents.Session.Port;

    /// <summary>The router is asked to forward the peer port (port mapping is on).</summary>
    public bool PortMapping => _torrents.Settings.PortMapping is { Count: > 0 };

    /// <summary>Reads the saved settings again (SIGHUP) and applies what can change while running: the queue size, the
    /// seeding defaults, the blocklist, the watch folder; the rest waits for the next start, which each line says.</summary>
    /// <returns>One line per change, for the log.</returns>
    public Task<IReadOnlyList<string>> ReloadAsync(CancellationToken ct = default) => _torrents.ReloadAsync(ct);

    /// <summary>The live updates hub (tests look at what it holds).</summary>
    internal LiveHub Live => _live;

    /// <summary>Every route the server maps (for tests that must cover each one).</summary>
    internal IEnumerable<Endpoint> Endpoints => ((IEndpointRouteBuilder)_app).DataSources.SelectMany(source => source.Endpoints);

    /// <summary>The torrents and the limits in force (for tests).</summary>
    internal TorrentManager Torrents => _torrents;

    /// <summary>Loads the saved torrents (resuming those that were running) and starts listening.</summary>
    /// <exception cref="ArgumentException">An option is invalid (e.g. a non-loopback host without a token).</exception>
    /// <exception cref="IOException">The port is taken or the downloads folder cannot be used.</exception>
    public static async Task<WebServer> StartAsync(WebServerOptions options, CancellationToken ct = default)
    {
        options.Validate();
        var token = options.RequiresToken ? options.Token : null;
        // The content root is the program's folder, not the current one, and configuration files are not watched: by
        // default the host watches appsettings.json with a recursive watch on the current folder (689 inotify watches
        // when started in /tmp; a home folder's whole tree), and serve reads no configuration file.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        // The CLI prints its own lines; ASP.NET Core's logs only for developers of TorrentLab (as CliErrors does).
        if (Environment.GetEnvironmentVariable("TORRENTLAB_DEBUG") != "1") builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (options.Host == "localhost") kestrel.ListenLocalhost(options.Port);
            else kestrel.Listen(IPAddress.Parse(options.Host.Trim('[', ']')), options.Port);
        });
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, WebJsonContext.Default));
        // A query or body that does not bind (start=yes) throws, so ErrorsAsJsonAsync answers it as JSON, not an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        ApiDocumentation.AddTo(builder.Services, typeof(WebServer).Assembly.GetName().Version?.ToString(3) ?? "0");
        var app = builder.Build();

        TorrentManager torrents;
        ApiKeys keys;
        try
        {
            keys = ApiKeys.Open(Path.Combine(DataPlaces.FullPath(options.Downloads), TorrentClient.StateFolder, "web"), options.Clock);
            torrents = TorrentManager.Open(options);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var live = new LiveHub(torrents, options.Log, options.LiveRequestsPerSecond);
        if (options.BasePath is { } basePath) UseBasePath(app, basePath);
        app.Use(new RequestGuard(options).InvokeAsync);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        var logins = new LoginThrottle(options.MaxLoginFailures, options.LoginBanDuration, options.Clock, options.Log);
        var credentials = new ServerCredentials(token, keys);
        app.Use(new TokenGate(credentials, logins).InvokeAsync);
        app.Use((context, next) => ErrorsAsJsonAsync(context, next, options.Log));
        TorrentApi.Map(app, torrents, options);
        LimitsApi.Map(app, torrents);
        TransmissionRpc.Map(app, torrents, options, credentials, logins);
        if (options.TransmissionWeb is { } web) MapTransmissionWeb(app, web);
        QBittorrentApi.Map(app, torrents, options, credentials, logins);
        ServerMetrics.Map(app, torrents, options);
        ApiKeysApi.Map(app, credentials);
        app.Map("/api/live", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsJsonAsync(new ApiError("/api/live is a WebSocket"), WebJsonContext.Default.ApiError).ConfigureAwait(false);
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            await live.RunClientAsync(socket, context.RequestAborted).ConfigureAwait(false);
        }).ExcludeFromDescription();
        app.MapOpenApi(); // /openapi/{documentName}.json: the one document, v1 (ApiDocumentation.Path)
        StaticAssets.Map(app);

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await live.DisposeAsync().ConfigureAwait(false);
            await torrents.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        options.Log?.Invoke($"listening on {address}");
        return new WebServer(app, torrents, live, address.TrimEnd('/'), token);
    }

    /// <summary>Answers a request below <paramref name="basePath"/> as the same request without it (the prefix kept as
    /// the request's <c>PathBase</c>, which redirects and cookies name), and sends the base path itself on to its page
    /// (<c>/torrents</c> to <c>/torrents/</c>): the page names everything relative to where it is.</summary>
    private static void UseBasePath(WebApplication app, string basePath)
    {
        app.UsePathBase(basePath);
        app.Use((context, next) =>
        {
            if (!context.Request.PathBase.HasValue || context.Request.Path.HasValue) return next(context);
            context.Response.Redirect(context.Request.PathBase + "/");
            return Task.CompletedTask;
        });
        // Routes are matched after the prefix is taken off (without this call, before every middleware).
        app.UseRouting();
    }

    /// <summary>Serves Transmission's web client from <paramref name="folder"/> at <c>/transmission/web/</c>, as
    /// transmission-daemon does: its scripts call <c>../rpc</c>, which is our <c>/transmission/rpc</c>. Only files in
    /// the folder are served: a path that climbs out, or a link inside to anything outside, is missing (404).</summary>
    private static void MapTransmissionWeb(WebApplication app, string folder)
    {
        var files = new ContainedFileProvider(folder);
        // Its pages name their files relative to the folder: /transmission/web must end with a slash (a route would
        // match both spellings, so a middleware redirects).
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value != "/transmission/web") return next(context);
            context.Response.Redirect(context.Request.PathBase + "/transmission/web/");
            return Task.CompletedTask;
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/transmission/web" });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = "/transmission/web" });
    }

    /// <summary>Every API error becomes JSON <c>{"error": "..."}</c> with its status: a bad .torrent is 400 with the
    /// parser's message (byte offset or key path), an unknown torrent 404, a conflict 409, a large upload 413, a full
    /// disk 507.</summary>
    private static async Task ErrorsAsJsonAsync(HttpContext context, RequestDelegate next, Action<string>? log)
    {
        try
        {
            await next(context).ConfigureAwait(false);
            // No route (404), a wrong method (405), a body ASP.NET Core refused: still the documented shape. A refusal
            // that declared its own empty body (the stream route's 416, with its Content-Range) is left as it is.
            var response = context.Response;
            if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && context.Request.Path.StartsWithSegments("/api"))
                await response.WriteAsJsonAsync(new ApiError($"{response.StatusCode} {ReasonPhrases.GetReasonPhrase(response.StatusCode)}: {context.Request.Method} {context.Request.Path}"),
                    WebJsonContext.Default.ApiError).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && Status(e) is { } status)
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new ApiError(Message(e)), WebJsonContext.Default.ApiError).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // A bug: the whole exception goes to the log; the client gets a 500 in the documented shape.
            log?.Invoke($"error: {context.Request.Method} {context.Request.Path}: {e}");
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new ApiError($"internal error ({e.GetType().Name}); the server's log has the details"),
                WebJsonContext.Default.ApiError).ConfigureAwait(false);
        }
    }

    private static int? Status(Exception e) => e switch
    {
        WebApiException w => w.StatusCode,
        // RFC 4918 11.5, 507 Insufficient Storage: "the server is unable to store the representation needed to complete
        // the request" (a full disk on an add or a move: the user's doing to fix, not a bug to log).
        _ when Failure.Describe(e).Kind == FailureKind.NoSpace => StatusCodes.Status507InsufficientStorage,
        _ when Failure.Describe(e).Kind == FailureKind.Conflict => StatusCodes.Status409Conflict, // a user's file is in the way: nothing was touched
        BencodeException or MetainfoException => StatusCodes.Status400BadRequest,
        BadHttpRequestException b => b.StatusCode,
        _ => null, // a bug: Kestrel answers 500 and the exception is not hidden
    };

    private static string Message(Exception e) => e switch
    {
        BencodeException { IsLimit: true } b => $"not accepted: input over a limit: {b.Message}",
        BencodeException b => $"not a .torrent: invalid bencode: {b.Message}",
        MetainfoException m => $"not a valid torrent: {m.Message}",
        _ when Failure.Describe(e) is { Kind: FailureKind.NoSpace } full => full.Message["error: ".Length..],
        _ => e.Message,
    };

    /// <summary>Stops listening, closes live connections and pauses running torrents (they resume on the next start).</summary>
    public async Task StopAsync()
    {
        await _live.DisposeAsync().ConfigureAwait(false);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(limit.Token).ConfigureAwait(false);
        await _torrents.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
