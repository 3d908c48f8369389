using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>Reads the body of <c>PUT /api/torrents/{infoHash}/files</c>: JSON, bounded in size, every field checked.</summary>
internal static class FileSelectionBody
{
    /// <summary>4 MiB: a change to every file of a 20,000-file torrent is about 800 KB.</summary>
    private const int MaxBytes = 4 << 20;

    /// <exception cref="WebApiException">413 too large, 415 not JSON, 400 not of the expected shape.</exception>
    public static async Task<FilePrioritiesRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new WebApiException(415, $"expected Content-Type application/json, got '{request.ContentType}'");
        if (request.ContentLength > MaxBytes) throw new WebApiException(413, $"the body is over {MaxBytes} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw new WebApiException(413, $"the body is over {MaxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        try
        {
            var body = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), WebJsonContext.Default.FilePrioritiesRequest);
            if (body?.Files is null) throw new WebApiException(400, "expected {\"files\": [{\"index\": 1, \"priority\": \"skip\"}, ...]}");
            return body;
        }
        catch (JsonException e)
        {
            throw new WebApiException(400, $"the body is not a file selection: {e.Message}");
        }
    }
}
