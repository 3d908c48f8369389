using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>How the qBittorrent API answers: plain text ("Ok.", "Fails.", a refusal's one line) or JSON, as qBittorrent
/// writes them.</summary>
internal static class QBittorrentAnswer
{
    public static async Task TextAsync(HttpContext context, string text, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=UTF-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task JsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        using var output = new ChunkedOutput();
        using (var writer = new Utf8JsonWriter(output)) write(writer);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = output.Length;
        await output.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Writes JSON made of bytes kept ready (torrents/info's rows) straight into the response; whatever can
    /// refuse the request must throw before the first byte.</summary>
    public static async Task RawJsonAsync(HttpContext context, Action<System.Buffers.IBufferWriter<byte>> write)
    {
        using var output = new ChunkedOutput();
        write(output);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = output.Length;
        await output.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
