using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace TorrentLab.Web;

/// <summary>A qBittorrent API request's parameters: a GET's query string, or a POST's form (urlencoded or multipart,
/// as qBittorrent reads both) with the uploaded .torrent files of <c>torrents/add</c>. The query string of a POST is
/// not read, as qbittorrent-nox 4.5.2 does not read it: a change takes its parameters from the body alone, so a URL
/// (a link, an image, a redirect) never carries them.</summary>
internal sealed class QBittorrentInput
{
    private const int MaxFiles = 100; // .torrent files in one add request
    private const long FormOverhead = 1 << 20; // fields and part headers around the files

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private QBittorrentInput() { }

    /// <summary>A parameter's value, or null.</summary>
    public string? this[string name] => _values.GetValueOrDefault(name);

    /// <summary>The names of the parameters given (the uploaded files' field not among them).</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>The uploaded files' bytes, in the order sent.</summary>
    public IReadOnlyList<byte[]> Files { get; private set; } = [];

    /// <summary>A true/false parameter; qBittorrent's clients send "true" and "false".</summary>
    public bool Flag(string name) => string.Equals(this[name], "true", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="WebApiException">413 too large, 400 a malformed form.</exception>
    public static async Task<QBittorrentInput> ReadAsync(HttpRequest request, long maxTorrentBytes, CancellationToken ct)
    {
        var input = new QBittorrentInput();
        if (!HttpMethods.IsPost(request.Method))
        {
            foreach (var (key, value) in request.Query) input._values[key] = value.ToString();
            return input;
        }
        if (!request.HasFormContentType) return input;
        var limit = maxTorrentBytes * MaxFiles / 10 + FormOverhead; // ten full-size files, or many small ones
        if (request.ContentLength > limit) throw new WebApiException(413, $"the request is larger than {limit} bytes");
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, ValueCountLimit = 1000 }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            throw new WebApiException(e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) ? 413 : 400, $"bad form: {e.Message}", e);
        }
        foreach (var (key, value) in form) input._values[key] = value.ToString();
        if (form.Files.Count > MaxFiles) throw new WebApiException(400, $"at most {MaxFiles} files per request, got {form.Files.Count}");
        var files = new List<byte[]>();
        foreach (var file in form.Files)
        {
            if (file.Length > maxTorrentBytes) throw new WebApiException(413, $"'{UntrustedText.Clean(file.FileName, 60)}' is larger than the limit of {maxTorrentBytes} bytes");
            var bytes = new byte[file.Length];
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
            files.Add(bytes);
        }
        input.Files = files;
        return input;
    }
}
