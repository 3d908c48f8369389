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
    private readonly byte[]? _token;
    private readonly TransmissionIds _ids;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private bool _startAddedTorrents = true; // session-set start-added-torrents; not kept across restarts

    private TransmissionRpc(TorrentManager torrents, WebServerOptions options, string? token)
    {
        _torrents = torrents;
        _options = options;
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
        _ids = new TransmissionIds(torrents);
        SessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    }

    /// <summary>The session id this server hands out in its 409 answers (new at every start).</summary>
    public string SessionId { get; }

    /// <summary>Maps the RPC endpoint; it is left out of the OpenAPI document: Transmission's rpc-spec documents it.</summary>
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options, string? token)
    {
        var rpc = new TransmissionRpc(torrents, options, token);
        app.Map(Path, rpc.HandleAsync).ExcludeFromDescription();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        if (!Authorized(context.Request))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.Headers.WWWAuthenticate = "Basic realm=\"Transmission\"";
            await response.WriteAsync("401: Unauthorized. Send the server's token as the password (HTTP Basic) or as 'Authorization: Bearer <token>'.", context.RequestAborted).ConfigureAwait(false);
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
        var answer = await AnswerAsync(context).ConfigureAwait(false);
        response.ContentType = "application/json; charset=UTF-8";
        await response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
    }

    private bool Authorized(HttpRequest request) =>
        _token is null || TokenGate.Matches(TokenGate.Presented(request, basic: true), _token);

    /// <summary>The response to one request: <c>{"arguments": {...}, "result": "success" or why not, "tag": ...}</c>.</summary>
    private async Task<ReadOnlyMemory<byte>> AnswerAsync(HttpContext context)
    {
        JsonElement tag = default;
        string result;
        var arguments = new ArrayBufferWriter<byte>();
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
        var output = new ArrayBufferWriter<byte>(arguments.WrittenCount + 128);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("arguments");
            writer.WriteRawValue(arguments.WrittenSpan, skipInputValidation: true);
            writer.WriteString("result", result);
            if (tag.ValueKind == JsonValueKind.Number)
            {
                writer.WritePropertyName("tag");
                tag.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return output.WrittenMemory;
    }

    /// <summary>The protocol's table of contents: one arm per method of rpc-spec 3 and 4.</summary>
    private Task DispatchAsync(string method, JsonElement args, Utf8JsonWriter writer, CancellationToken ct)
    {
        switch (method)
        {
            case "torrent-get": WriteTorrents(args, writer); return Task.CompletedTask;
            case "torrent-add": return AddAsync(args, writer, ct);
            case "torrent-start": return StartAsync(args, now: false, ct);
            case "torrent-start-now": return StartAsync(args, now: true, ct);
            case "torrent-stop": return ForEachAsync(args, t => _torrents.PauseAsync(t));
            case "torrent-verify": return ForEachAsync(args, t => _torrents.RecheckAsync(t, ct, resume: false));
            case "torrent-reannounce":
                throw Unsupported("torrent-reannounce is not supported: the engine announces on the trackers' own interval");
            case "torrent-remove": return RemoveAsync(args);
            case "torrent-set": return SetAsync(args, ct);
            case "torrent-set-location": return SetLocationAsync(args, ct);
            case "torrent-rename-path":
                throw Unsupported("torrent-rename-path is not supported: a torrent's files keep the names its .torrent gives them");
            case "queue-move-top": Move(args, QueueMove.Top); return Task.CompletedTask;
            case "queue-move-up": Move(args, QueueMove.Up); return Task.CompletedTask;
            case "queue-move-down": Move(args, QueueMove.Down); return Task.CompletedTask;
            case "queue-move-bottom": Move(args, QueueMove.Bottom); return Task.CompletedTask;
            case "session-get": WriteSession(args, writer); return Task.CompletedTask;
            case "session-set": SetSession(args); return Task.CompletedTask;
            case "session-stats": WriteStats(writer); return Task.CompletedTask;
            case "session-close":
                throw Unsupported("session-close is not supported: stop torrentlab serve where it runs");
            case "free-space": WriteFreeSpace(args, writer); return Task.CompletedTask;
            case "port-test": return PortTestAsync(writer, ct);
            case "blocklist-update":
                throw Unsupported("blocklist-update is not supported: TorrentLab has no blocklist");
            case "group-get": writer.WriteStartArray("group"); writer.WriteEndArray(); return Task.CompletedTask; // no bandwidth groups
            case "group-set":
                throw Unsupported("group-set is not supported: TorrentLab has no bandwidth groups");
            case "":
                throw Unsupported("no method: give {\"method\": \"torrent-get\", \"arguments\": {...}}");
            default:
                throw Unsupported($"method name not recognized: '{UntrustedText.Clean(method, 40)}'");
        }
    }

    /// <summary>The <c>result</c> text for a refused request, or null for a bug (which the server answers with a 500).</summary>
    private static string? Refusal(Exception e) => e switch
    {
        WebApiException or TorrentLabException or IOException or UnauthorizedAccessException => e.Message,
        JsonException => $"the request is not JSON: {e.Message}",
        _ => null,
    };

    private static WebApiException Unsupported(string message) => new(400, message);

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
