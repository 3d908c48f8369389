using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>Transmission's RPC protocol at <c>/transmission/rpc</c> (Transmission 4.0, <c>rpc-version</c> 17), so
/// <c>transmission-remote</c>, remote GUIs, phone apps and media managers drive this server's torrents.</summary>
/// <remarks>
/// <code>
/// POST /transmission/rpc   X-Transmission-Session-Id: &lt;id&gt;
/// {"method": "torrent-get", "arguments": {"fields": ["id", "name"], "ids": [1, "&lt;hash&gt;"]}, "tag": 7}
///   -> {"result": "success", "arguments": {"torrents": [...]}, "tag": 7}
/// </code>
/// rpc-spec 2.3.1: "the server will respond with a 409 Conflict status and include the correct
/// X-Transmission-Session-Id in its response headers" when the request lacks it (its defence against cross-site
/// requests); the client resends with it. Here the same host and origin checks as the rest of the API run first
/// (<see cref="RequestGuard"/>), then the credentials: with a token, <c>Authorization: Bearer &lt;token&gt;</c> or HTTP
/// Basic with the token as the password (any user name), as <c>transmission-remote --auth user:token</c> sends.
/// A method that fails or is not supported answers 200 with its reason in <c>result</c>, as Transmission does.
/// </remarks>
internal sealed partial class TransmissionRpc
{
    public const string Path = "/transmission/rpc";
    private const string SessionHeader = "X-Transmission-Session-Id";

    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;
    private readonly ServerCredentials _credentials;
    private readonly TransmissionIds _ids;
    private readonly TransmissionSession _session;

    private readonly LoginThrottle _logins;

    private TransmissionRpc(TorrentManager torrents, WebServerOptions options, ServerCredentials credentials, LoginThrottle logins)
    {
        _logins = logins;
        _torrents = torrents;
        _options = options;
        _credentials = credentials;
        _ids = new TransmissionIds(torrents, options.Clock);
        SessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _session = new TransmissionSession(torrents, options, SessionId);
        torrents.Hooks.TransmissionId = _ids.IdOf; // a script's TR_TORRENT_ID is the RPC's id
    }

    /// <summary>The session id this server hands out in its 409 answers (new at every start).</summary>
    public string SessionId { get; }

    /// <summary>Maps the RPC endpoint; it is left out of the OpenAPI document: Transmission's rpc-spec documents it.</summary>
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options, ServerCredentials credentials, LoginThrottle logins)
    {
        var rpc = new TransmissionRpc(torrents, options, credentials, logins);
        // Every request may change state, GET included (it is refused, but the guard need not know that).
        app.Map(Path, rpc.HandleAsync).ExcludeFromDescription().WithMetadata(new ChangesState(_ => true));
    }

    private async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        var presented = _credentials.Open ? null : TokenGate.Presented(context.Request, basic: true);
        if (presented is { Length: > 0 } && _logins.IsBanned(context.Connection.RemoteIpAddress, "Transmission RPC"))
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            await response.WriteAsync($"403: Forbidden. {LoginThrottle.BannedText}", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (!Authorized(context, presented))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.Headers.WWWAuthenticate = "Basic realm=\"Transmission\"";
            await response.WriteAsync("401: Unauthorized. Send the server's token or an API key as the password (HTTP Basic), as 'Authorization: Bearer <token>' or as 'X-Api-Key: <key>'.", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        response.Headers[SessionHeader] = SessionId;
        if (!string.Equals(context.Request.Headers[SessionHeader].ToString(), SessionId, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status409Conflict;
            await response.WriteAsync($"409: Conflict. Resend the request with the header {SessionHeader}: {SessionId}", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            await response.WriteAsync("405: the RPC takes a POST with a JSON request", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        using var arguments = new ChunkedOutput();
        var (result, tag) = await AnswerAsync(context, arguments).ConfigureAwait(false);
        // {"arguments": <the method's arguments>, "result": "success" or why not, "tag": ...}: the arguments are copied
        // once, from their chunks to the response.
        var tail = Encoding.UTF8.GetBytes(",\"result\":" + JsonSerializer.Serialize(result, WebJsonContext.Default.String)
            + (tag.ValueKind == JsonValueKind.Number ? ",\"tag\":" + tag.GetRawText() : "") + "}");
        response.ContentType = "application/json; charset=UTF-8";
        response.ContentLength = ArgumentsKey.Length + arguments.Length + tail.Length;
        await response.Body.WriteAsync(ArgumentsKey, context.RequestAborted).ConfigureAwait(false);
        await arguments.CopyToAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        await response.Body.WriteAsync(tail, context.RequestAborted).ConfigureAwait(false);
    }

    private static readonly byte[] ArgumentsKey = "{\"arguments\":"u8.ToArray();

    /// <summary>True without a token, or when the request presents it; a wrong one presented counts towards a ban.</summary>
    private bool Authorized(HttpContext context, string? presented)
    {
        if (_credentials.Open) return true;
        if (_credentials.Accepts(presented))
        {
            _logins.Succeeded(context.Connection.RemoteIpAddress);
            return true;
        }
        if (presented is { Length: > 0 }) _logins.Failed(context.Connection.RemoteIpAddress, "Transmission RPC");
        return false;
    }

    /// <summary>Answers one request: its arguments into <paramref name="arguments"/> (<c>{}</c> when refused), and the
    /// <c>result</c> ("success" or why not) and <c>tag</c> of the envelope.</summary>
    private async Task<(string Result, JsonElement Tag)> AnswerAsync(HttpContext context, ChunkedOutput arguments)
    {
        JsonElement tag = default;
        string result;
        try
        {
            using var request = await ReadRequestAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            var root = request.RootElement;
            if (root.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.Number) tag = t.Clone();
            var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var args = root.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object ? a : EmptyObject;
            using (var writer = new Utf8JsonWriter(arguments))
            {
                writer.WriteStartObject();
                await DispatchAsync(method, args, writer, context.RequestAborted).ConfigureAwait(false);
                writer.WriteEndObject();
            }
            result = "success";
        }
        catch (Exception e) when (Refusal(e) is { } reason)
        {
            result = reason;
            arguments.Clear();
            arguments.Write("{}"u8);
        }
        return (result, tag);
    }

    private Task DispatchAsync(string method, JsonElement args, Utf8JsonWriter writer, CancellationToken ct)
    {
        if (method.Length == 0) throw Unsupported("no method: give {\"method\": \"torrent-get\", \"arguments\": {...}}");
        if (!Methods.TryGetValue(method, out var known)) throw Unsupported($"method name not recognized: '{UntrustedText.Clean(method, 40)}'");
        // What we accept, we honour: an argument this method does not list is refused, not answered "success" and dropped.
        if (known.Arguments is { } table && ApiParameter.Unknown(args.EnumerateObject().Select(p => p.Name), table) is { } unknown)
            throw Unsupported($"{method}: argument '{UntrustedText.Clean(unknown, 40)}' is not supported by TorrentLab (docs/web.md lists the arguments each method takes)");
        return known.Handle(this, args, writer, ct);
    }

    /// <summary>One method of the RPC: whether it changes state (every request is a POST from this server's own page or
    /// from no page, whichever it is; the flag lists the changes for the guard's tests), and what answers it.</summary>
    /// <param name="Changes">Whether it changes state.</param>
    /// <param name="Handle">What answers it.</param>
    /// <param name="Arguments">For a method that changes settings, the only arguments it takes, each applied or refused
    /// (<see cref="ApiParameter"/>); null for a method whose arguments only name torrents or fields.</param>
    internal sealed record Method(bool Changes, Func<TransmissionRpc, JsonElement, Utf8JsonWriter, CancellationToken, Task> Handle,
        IReadOnlyDictionary<string, ApiParameter>? Arguments = null);

    private static Method Reads(Action<TransmissionRpc, JsonElement, Utf8JsonWriter> handle) =>
        new(false, (rpc, args, writer, _) => { handle(rpc, args, writer); return Task.CompletedTask; });

    private static Method Changes(Func<TransmissionRpc, JsonElement, CancellationToken, Task> handle) =>
        new(true, (rpc, args, _, ct) => handle(rpc, args, ct));

    private static Method Refused(string reason) => new(true, (_, _, _, _) => throw Unsupported(reason));

    /// <summary>The protocol's table of contents: one entry per method of rpc-spec 3 and 4.</summary>
    internal static readonly IReadOnlyDictionary<string, Method> Methods = new Dictionary<string, Method>(StringComparer.Ordinal)
    {
        ["torrent-get"] = Reads((rpc, args, writer) => rpc.WriteTorrents(args, writer)),
        ["torrent-add"] = new(true, (rpc, args, writer, ct) => rpc.AddAsync(args, writer, ct), AddArguments),
        ["torrent-start"] = Changes((rpc, args, ct) => rpc.StartAsync(args, now: false, ct)),
        ["torrent-start-now"] = Changes((rpc, args, ct) => rpc.StartAsync(args, now: true, ct)),
        ["torrent-stop"] = Changes((rpc, args, _) => rpc.ForEachAsync(args, t => rpc._torrents.PauseAsync(t))),
        ["torrent-verify"] = Changes((rpc, args, ct) => rpc.ForEachAsync(args, t => rpc._torrents.RecheckAsync(t, ct, resume: false))),
        ["torrent-reannounce"] = Changes((rpc, args, ct) => rpc.ForEachAsync(args, t => rpc._torrents.Adjust.ReannounceAsync(t, ct))),
        ["torrent-remove"] = Changes((rpc, args, _) => rpc.RemoveAsync(args)),
        ["torrent-set"] = Changes((rpc, args, ct) => rpc.SetAsync(args, ct)) with { Arguments = SetArguments },
        ["torrent-set-location"] = Changes((rpc, args, ct) => rpc.SetLocationAsync(args, ct)),
        ["torrent-rename-path"] = new(true, (rpc, args, writer, ct) => rpc.RenamePathAsync(args, writer, ct)),
        ["queue-move-top"] = Changes((rpc, args, _) => rpc.MoveAsync(args, QueueMove.Top)),
        ["queue-move-up"] = Changes((rpc, args, _) => rpc.MoveAsync(args, QueueMove.Up)),
        ["queue-move-down"] = Changes((rpc, args, _) => rpc.MoveAsync(args, QueueMove.Down)),
        ["queue-move-bottom"] = Changes((rpc, args, _) => rpc.MoveAsync(args, QueueMove.Bottom)),
        ["session-get"] = Reads((rpc, args, writer) => rpc._session.Write(args, writer)),
        ["session-set"] = Changes((rpc, args, ct) => rpc._session.SetAsync(args, ct)) with { Arguments = TransmissionSession.Arguments },
        ["session-stats"] = Reads((rpc, _, writer) => rpc._session.WriteStats(writer)),
        ["session-close"] = Refused("session-close is not supported: stop torrentlab serve where it runs"),
        ["free-space"] = Reads((rpc, args, writer) => rpc._session.WriteFreeSpace(args, writer)),
        ["port-test"] = new(false, (rpc, _, writer, ct) => rpc._session.PortTestAsync(writer, ct)),
        ["blocklist-update"] = new(true, (rpc, _, writer, ct) => rpc._session.UpdateBlocklistAsync(writer, ct)),
        ["group-get"] = Reads((_, _, writer) => { writer.WriteStartArray("group"); writer.WriteEndArray(); }), // no bandwidth groups
        ["group-set"] = Refused("group-set is not supported: TorrentLab has no bandwidth groups"),
    };

    private Task MoveAsync(JsonElement args, QueueMove move)
    {
        Move(args, move);
        return Task.CompletedTask;
    }

    /// <summary>The <c>result</c> text for a refused request, or null for a bug (which the server answers with a 500).</summary>
    private static string? Refusal(Exception e) => e switch
    {
        WebApiException or TorrentLabException or IOException or UnauthorizedAccessException => e.Message,
        JsonException => $"the request is not JSON: {e.Message}",
        _ => null,
    };

    /// <summary>A request refused: 400, with <paramref name="message"/> as the answer's <c>result</c>.</summary>
    internal static WebApiException Unsupported(string message) => new(400, message);

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private async Task<JsonDocument> ReadRequestAsync(HttpRequest request, CancellationToken ct)
    {
        // A torrent-add's metainfo is the .torrent in base64: 4/3 of the upload limit, and room for the rest.
        var limit = _options.MaxTorrentBytes * 4 / 3 + 64 * 1024;
        if (request.ContentLength > limit) throw new WebApiException(413, $"the request is larger than {limit} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw new WebApiException(413, $"the request is larger than {limit} bytes");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw Unsupported("empty request: send {\"method\": ..., \"arguments\": {...}}");
        var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw Unsupported("the request must be a JSON object: {\"method\": ..., \"arguments\": {...}}");
        }
        return document;
    }
}
