using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using System.Text.Json;
using TorrentLab.Bencode;

namespace TorrentLab.Web;

/// <summary>Reads the .torrent of an add request: a multipart upload, the raw bytes as the body, or a JSON
/// <c>{"path": "..."}</c> naming an existing .torrent file on the server, never more than the size limit.</summary>
internal static class TorrentUpload
{
    private const long MultipartOverhead = 64 * 1024; // boundaries and part headers around the file

    /// <summary>The content types an add request may have, as the API document says.</summary>
    public static readonly string[] ContentTypes = ["multipart/form-data", "application/x-bittorrent", "application/octet-stream", "application/json"];

    /// <exception cref="WebApiException">400 no file, not a .torrent path, bytes after the torrent; 404 missing path;
    /// 413 too large; 415 another content type.</exception>
    public static async Task<byte[]> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var contentType = request.ContentType ?? "";
        // A plain HTML form can post text/plain (or urlencoded) anywhere without asking; only what no form sends as a
        // .torrent is read as one, so a page on another site cannot smuggle a torrent in a form's text.
        var mediaType = contentType.Split(';')[0].Trim();
        if (!ContentTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
            throw new WebApiException(415, $"unsupported content type '{(mediaType.Length == 0 ? "(none)" : mediaType)}': send {string.Join(", ", ContentTypes)}");
        var bodyLimit = limit + MultipartOverhead;
        if (request.ContentLength > bodyLimit) throw TooLarge(limit);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = bodyLimit;
        try
        {
            if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = bodyLimit }, ct).ConfigureAwait(false);
                var file = form.Files.GetFile("torrent") ?? form.Files.FirstOrDefault()
                    ?? throw new WebApiException(400, "the form has no file: send the .torrent as a file field named 'torrent'");
                if (file.Length > limit) throw TooLarge(limit);
                var bytes = new byte[file.Length];
                await using var stream = file.OpenReadStream();
                await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
                return RequireNothingAfterTheTorrent(bytes);
            }
            if (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                var body = await JsonSerializer.DeserializeAsync(request.Body, WebJsonContext.Default.AddByPathRequest, ct).ConfigureAwait(false);
                return await ReadPathAsync(body?.Path, limit, ct).ConfigureAwait(false);
            }
            return RequireNothingAfterTheTorrent(await ReadBodyAsync(request.Body, limit, ct).ConfigureAwait(false));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit, e);
        }
        catch (InvalidDataException e) // the multipart reader's "body length limit exceeded"
        {
            throw new WebApiException(e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) ? 413 : 400, $"bad upload: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new WebApiException(400, $"bad JSON body: {e.Message}", e);
        }
    }

    /// <summary>A .torrent named by path: it must be an existing regular file ending in .torrent. Only the metainfo is
    /// read from there; the download itself always goes below the downloads folder. Errors name the file, never the
    /// server's absolute path to it.</summary>
    internal static async Task<byte[]> ReadPathAsync(string? path, long limit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new WebApiException(400, "give 'path': a .torrent file on the server");
        if (path.Any(char.IsControl)) throw new WebApiException(400, "'path' holds a control character (NUL, newline...)");
        var name = Path.GetFileName(path);
        if (!path.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase))
            throw new WebApiException(400, $"'{name}' is not a .torrent file");
        var info = new FileInfo(Path.GetFullPath(path));
        if (!info.Exists) throw new WebApiException(404, $"no such file: '{name}'");
        if (info.Length > limit) throw TooLarge(limit);
        try
        {
            return await File.ReadAllBytesAsync(info.FullName, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new WebApiException(403, $"cannot read '{name}': {(e is UnauthorizedAccessException ? "permission denied" : "read error")}", e);
        }
    }

    /// <summary>An uploaded .torrent is exactly one bencoded dictionary: bytes after it (a form's "=" and line
    /// break, or anything else) mean the upload is not a .torrent file, whatever its first bytes are.</summary>
    /// <exception cref="WebApiException">400 with the offset where the dictionary ends.</exception>
    private static byte[] RequireNothingAfterTheTorrent(byte[] bytes)
    {
        int end;
        try
        {
            var reader = new BencodeReader(bytes, BencodeOptions.Lenient);
            end = reader.ReadEncodedValue().Length;
        }
        catch (BencodeException)
        {
            return bytes; // not bencode at all: the parser says where, with its own message
        }
        if (end < bytes.Length)
            throw new WebApiException(400, $"not a .torrent: {bytes.Length - end} byte(s) after the torrent's dictionary, which ends at byte {end}");
        return bytes;
    }

    private static async Task<byte[]> ReadBodyAsync(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new WebApiException(400, "empty body: send the .torrent bytes, a multipart form, or {\"path\": ...}");
        return buffer.ToArray();
    }

    private static WebApiException TooLarge(long limit, Exception? inner = null) =>
        new(413, $"the .torrent is larger than the limit of {limit} bytes", inner);
}
