using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using TorrentLab.Client;
using TorrentLab.Creation;

namespace TorrentLab.Web;

/// <summary>What a share request asks for: the data (the folder holding it now, its name, its save folder) and the
/// options of <c>torrentlab create</c>.</summary>
/// <param name="Source">The absolute folder holding the data now: the save folder, or an upload's staging folder.</param>
/// <param name="Name">The file or folder to share: the torrent's name.</param>
/// <param name="SaveFolder">Its save folder relative to the downloads folder ("" for the downloads folder itself).</param>
/// <param name="Options">Trackers, piece length, private flag, format, comment, web seeds.</param>
/// <param name="Staging">The upload's staging folder to delete once the request ends; null for data named by path.</param>
internal sealed record ShareInput(string Source, string Name, string SaveFolder, TorrentCreateOptions Options, string? Staging)
{
    /// <summary>Where the data is (or goes) relative to the downloads folder: what errors name.</summary>
    public string Shown => SaveFolder.Length == 0 ? Name : SaveFolder + "/" + Name;
}

/// <summary>Reads a share request: a multipart upload of one file or one folder's files (fields <c>file</c>, each
/// named by its path inside the folder; the options as fields before them), or JSON <c>{"path": ...}</c> naming a file
/// or folder below the downloads folder (<see cref="ShareRequest"/>). An upload is streamed into a staging folder
/// inside TorrentLab's own <c>.torrentlab</c> below the downloads folder, never elsewhere (not the system's temp
/// folder), and refused as soon as it would leave the disk less than <see cref="Reserve"/> free.</summary>
internal static class ShareUpload
{
    /// <summary>The content types a share request may have.</summary>
    public static readonly string[] ContentTypes = ["multipart/form-data", "application/json"];

    /// <summary>Where uploads wait, below the downloads folder's <c>.torrentlab</c>; emptied at each start.</summary>
    internal const string IncomingFolder = "incoming";

    private const int MaxFieldLength = 64 * 1024;  // a tracker list or a comment, not a file
    private const int MaxFields = 300;             // 100 trackers and 100 web seeds, and the rest
    private const int MaxFiles = 100_000;          // a folder of a large photo library; each file is a section of the form
    private const int MaxDepth = 64;               // folders inside folders
    private const int MaxNameBytes = 255;          // NAME_MAX of Linux file systems
    private const int MaxPathLength = 1024;        // a path to type, not a text
    private const int MaxComment = 4096;
    private const int MaxWebSeeds = 100;
    private const long SpaceCheckEvery = 1 << 20;  // a statvfs at least per MiB written

    // The option fields of an upload; "tracker" and "webSeed" may repeat.
    private static readonly string[] Fields = ["tracker", "pieceLength", "private", "format", "comment", "webSeed", "folder"];

    /// <exception cref="WebApiException">400 bad input; 404 a path that does not exist; 409 a name taken in the save
    /// folder, or a server that cannot seed; 415 another content type; 507 the upload would fill the disk.</exception>
    public static async Task<ShareInput> ReadAsync(HttpRequest request, TorrentManager torrents, CancellationToken ct)
    {
        var mediaType = (request.ContentType ?? "").Split(';')[0].Trim();
        if (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return await ReadJsonAsync(request, torrents, ct).ConfigureAwait(false);
        if (mediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)) return await ReadUploadAsync(request, torrents, ct).ConfigureAwait(false);
        throw new WebApiException(415, $"unsupported content type '{(mediaType.Length == 0 ? "(none)" : UntrustedText.Clean(mediaType, 60))}': " +
            "upload the file or folder as multipart/form-data, or name data on the server as application/json {\"path\": ...}");
    }

    /// <summary>Empties a staging folder (or the whole incoming folder at start); what cannot be deleted stays for the
    /// next start.</summary>
    public static void DeleteStaging(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which empties the incoming folder.
        }
    }

    /// <summary>The space an upload must leave free on the downloads folder's disk: 5 % of it, at most 64 MiB (the
    /// resume ledgers, the torrent list and the downloads running beside it need room).</summary>
    internal static long Reserve(long diskSize) => Math.Min(64L << 20, diskSize / 20);

    private static async Task<ShareInput> ReadJsonAsync(HttpRequest request, TorrentManager torrents, CancellationToken ct)
    {
        ShareRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, WebJsonContext.Default.ShareRequest, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new WebApiException(400, $"bad JSON body: {e.Message}", e);
        }
        var path = body?.Path;
        if (string.IsNullOrWhiteSpace(path)) throw new WebApiException(400, "give 'path': a file or folder below the downloads folder");
        if (path.Length > MaxPathLength || path.Any(char.IsControl))
            throw new WebApiException(400, $"'path' is at most {MaxPathLength} characters without control characters");
        var options = Options(body!.Trackers ?? [], body.PieceLength, body.Private ?? false, body.Format, body.Comment, body.WebSeeds ?? []);
        torrents.Shares.RequireSeedingEngine();
        var trimmed = Path.TrimEndingDirectorySeparator(path.Trim());
        var name = Path.GetFileName(trimmed);
        if (name is "" or "." or "..")
            throw new WebApiException(400, $"'{UntrustedText.Clean(path, 120)}' names no file or folder below the downloads folder");
        var saveFolder = torrents.SaveFolderOf(Path.GetDirectoryName(trimmed) ?? ""); // 400 when outside, or inside .torrentlab
        var shown = saveFolder.Length == 0 ? name : saveFolder + "/" + name;
        var data = Path.Combine(torrents.FolderPath(saveFolder), name);
        if (!File.Exists(data) && !Directory.Exists(data)) throw new WebApiException(404, $"no file or folder '{shown}' in the downloads folder");
        // The data itself may be a link; the user named it, but it must lead to data inside the downloads folder.
        if (name != TorrentClient.StateFolder && TorrentClient.FolderBelow(torrents.Downloads, shown) is null)
            throw new WebApiException(400, $"'{shown}' leads outside the downloads folder (symbolic links followed) or into TorrentLab's own '{TorrentClient.StateFolder}'");
        return new ShareInput(torrents.FolderPath(saveFolder), name, saveFolder, options, Staging: null);
    }

    /// <summary>The options of <c>torrentlab create</c>, checked as it checks them.</summary>
    /// <exception cref="WebApiException">400, naming the option.</exception>
    internal static TorrentCreateOptions Options(IReadOnlyList<IReadOnlyList<string>> trackers, long? pieceLength, bool isPrivate, string? format,
        string? comment, IReadOnlyList<string> webSeeds)
    {
        if (pieceLength is { } length && !PieceLengthRule.IsValid(length))
            throw new WebApiException(400, $"pieceLength must be a power of two from 16384 (16 KiB) to 16777216 (16 MiB), got {length}");
        var torrentFormat = format switch
        {
            null or "" or "v1" => TorrentFormat.V1,
            "v2" => TorrentFormat.V2,
            "hybrid" => TorrentFormat.Hybrid,
            _ => throw new WebApiException(400, $"format must be v1, v2 or hybrid, got '{UntrustedText.Clean(format, 40)}'"),
        };
        if (comment is { Length: > MaxComment }) throw new WebApiException(400, $"comment is at most {MaxComment} characters, got {comment.Length}");
        if (comment is not null && comment.Any(c => char.IsControl(c) && c is not ('\n' or '\t')))
            throw new WebApiException(400, "comment holds a control character other than a line break or a tab");
        if (webSeeds.Count > MaxWebSeeds) throw new WebApiException(400, $"at most {MaxWebSeeds} web seeds, got {webSeeds.Count}");
        foreach (var seed in webSeeds)
        {
            // BEP 19: peers fetch pieces from it over HTTP; the same refusals as a tracker's address.
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || TorrentClient.RefusedTrackerUrl(seed) is not null)
                throw new WebApiException(400, $"web seed '{UntrustedText.Clean(seed, 120)}' is not an http or https URL of a usable address without a user name");
        }
        return new TorrentCreateOptions
        {
            TrackerTiers = TorrentAdjustments.CleanTrackers(trackers),
            PieceLength = (int?)pieceLength,
            Private = isPrivate,
            Format = torrentFormat,
            Comment = string.IsNullOrWhiteSpace(comment) ? null : comment,
            WebSeeds = [.. webSeeds.Select(s => s.Trim())],
        };
    }

    private static async Task<ShareInput> ReadUploadAsync(HttpRequest request, TorrentManager torrents, CancellationToken ct)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200) throw new WebApiException(400, "a multipart form needs its boundary (at most 200 characters)");
        // The upload's size is bounded by the disk, checked as it is written, not by Kestrel's 30 MB default.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        // An upload of a known length that cannot fit is refused before a byte of it is read (a client that sent
        // "Expect: 100-continue" then sends none).
        var disk = new DriveInfo(torrents.Downloads);
        var (free, reserve) = (disk.AvailableFreeSpace, Reserve(disk.TotalSize));
        if (request.ContentLength is { } size && size > free - reserve)
            throw new WebApiException(507, $"not enough space in the downloads folder: the upload is {size} bytes, {Math.Max(0, free)} are free " +
                $"and {reserve} must stay free; nothing was kept");
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        Upload? upload = null;
        try
        {
            for (var count = 0; await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section; count++)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw new WebApiException(400, "a part of the form has no Content-Disposition: form-data");
                var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (field != "file") throw new WebApiException(400, $"file field '{UntrustedText.Clean(field, 40)}': send the files as fields named 'file'");
                    var path = FileName(disposition);
                    upload ??= Begin(torrents, fields, path);
                    await upload.WriteAsync(path, section.Body, ct).ConfigureAwait(false);
                    continue;
                }
                if (upload is not null) throw new WebApiException(400, $"field '{UntrustedText.Clean(field, 40)}' after the files: send the options before the first file");
                if (count >= MaxFields) throw new WebApiException(400, $"at most {MaxFields} option fields");
                if (!Fields.Contains(field)) throw new WebApiException(400, $"unknown field '{UntrustedText.Clean(field, 40)}': the options are {string.Join(", ", Fields)}, then the files as 'file'");
                var values = fields.TryGetValue(field, out var seen) ? seen : fields[field] = [];
                if (values.Count > 0 && field is not ("tracker" or "webSeed")) throw new WebApiException(400, $"field '{field}' is given twice");
                values.Add(await ReadFieldAsync(section, field, ct).ConfigureAwait(false));
            }
            if (upload is null) throw new WebApiException(400, "the form has no file: send the file, or each file of the folder named by its path inside it, as fields named 'file'");
            return upload.Finish();
        }
        catch (Exception e)
        {
            if (upload is not null) DeleteStaging(upload.Staging);
            if (e is IOException && Failure.Describe(e).Kind == FailureKind.NoSpace)
                throw new WebApiException(507, "no space left on the downloads folder's disk: the upload was refused and nothing of it was kept", e);
            if (e is InvalidDataException) throw new WebApiException(400, $"bad upload: {e.Message}", e); // the multipart reader's
            throw;
        }
    }

    /// <summary>A file part's name: its path inside the shared folder ("folder/sub/file"), or the file's name alone.
    /// Browsers write '"' as %22 in it (the HTML standard's form encoding); RFC 5987's filename* wins when present.</summary>
    private static string FileName(ContentDispositionHeaderValue disposition)
    {
        var star = disposition.FileNameStar;
        if (star.HasValue && star.Length > 0) return star.Value!;
        return HeaderUtilities.UnescapeAsQuotedString(disposition.FileName).Value?.Replace("%22", "\"", StringComparison.Ordinal) ?? "";
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, string field, CancellationToken ct)
    {
        var buffer = new byte[MaxFieldLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await section.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0) length += read;
        if (length > MaxFieldLength) throw new WebApiException(400, $"field '{field}' is longer than {MaxFieldLength} bytes");
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>The first file arrived: every option is known, so they are checked, and the name and the save folder,
    /// before any byte is written.</summary>
    private static Upload Begin(TorrentManager torrents, Dictionary<string, List<string>> fields, string firstPath)
    {
        string? One(string name) => fields.TryGetValue(name, out var values) ? values[0] : null;
        var pieceLength = One("pieceLength") is { Length: > 0 } text
            ? long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
                : throw new WebApiException(400, $"pieceLength must be a number of bytes, got '{UntrustedText.Clean(text, 40)}'")
            : (long?)null;
        var isPrivate = One("private") switch
        {
            null or "" or "false" => false,
            "true" or "on" => true, // "on": an HTML checkbox's value
            var other => throw new WebApiException(400, $"private must be true or false, got '{UntrustedText.Clean(other, 40)}'"),
        };
        // Each "tracker" field is a tier: URLs joined by ',' share it, as torrentlab create's --tracker.
        var tiers = (fields.GetValueOrDefault("tracker") ?? []).Select(t => (IReadOnlyList<string>)t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        var options = Options(tiers, pieceLength, isPrivate, One("format"), One("comment"), fields.GetValueOrDefault("webSeed") ?? []);
        torrents.Shares.RequireSeedingEngine();
        var saveFolder = torrents.SaveFolderOf(One("folder"));
        var segments = Segments(firstPath);
        var name = segments[0];
        if (name == TorrentClient.StateFolder)
            throw new WebApiException(400, $"the name '{TorrentClient.StateFolder}' is reserved for TorrentLab's own files: it cannot be shared");
        var upload = new Upload(torrents, saveFolder, name, segments.Length == 1, options);
        if (File.Exists(upload.Destination) || Directory.Exists(upload.Destination) || new FileInfo(upload.Destination).LinkTarget is not null)
            throw new WebApiException(409, $"'{upload.Shown}' exists already in the downloads folder: share it by its path, or rename the upload");
        Directory.CreateDirectory(upload.Staging);
        return upload;
    }

    /// <summary>A path of the upload, checked: relative, '/'-separated names that are not empty, "." or "..", without
    /// control characters or backslashes, each at most 255 bytes.</summary>
    private static string[] Segments(string path)
    {
        if (path.Length == 0) throw new WebApiException(400, "a file of the form has no name");
        if (path.Length > MaxPathLength * 4) throw new WebApiException(400, $"a file's path is at most {MaxPathLength * 4} characters");
        var segments = path.Split('/');
        if (segments.Length > MaxDepth) throw new WebApiException(400, $"'{UntrustedText.Clean(path, 120)}' is more than {MaxDepth} folders deep");
        foreach (var segment in segments)
        {
            if (segment is "" or "." or ".." || segment.Any(c => char.IsControl(c) || c == '\\') || Encoding.UTF8.GetByteCount(segment) > MaxNameBytes)
                throw new WebApiException(400, $"'{UntrustedText.Clean(path, 120)}' is not a relative path of names (no empty, '.' or '..' name, " +
                    $"no control character or backslash, each name at most {MaxNameBytes} bytes)");
        }
        return segments;
    }

    /// <summary>An upload being written into its staging folder: one file, or the files of one folder.</summary>
    private sealed class Upload(TorrentManager torrents, string saveFolder, string name, bool singleFile, TorrentCreateOptions options)
    {
        private readonly HashSet<string> _files = new(StringComparer.Ordinal);
        private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
        private long _room; // bytes that may be written before the disk is looked at again

        public string Staging { get; } = Path.Combine(torrents.Downloads, TorrentClient.StateFolder, IncomingFolder, Guid.NewGuid().ToString("N"));
        public string Destination => Path.Combine(torrents.FolderPath(saveFolder), name);
        public string Shown => saveFolder.Length == 0 ? name : saveFolder + "/" + name;

        public async Task WriteAsync(string path, Stream body, CancellationToken ct)
        {
            var segments = Segments(path);
            if (singleFile ? _files.Count > 0 || segments.Length > 1 : segments.Length == 1 || segments[0] != name)
                throw new WebApiException(400, $"share one file, or the files of one folder named by their paths inside it ('folder/file'): " +
                    $"'{UntrustedText.Clean(path, 120)}' is beside '{UntrustedText.Clean(name, 60)}'");
            if (_files.Count >= MaxFiles) throw new WebApiException(400, $"at most {MaxFiles} files in one share");
            for (var i = 1; i < segments.Length; i++)
                if (_files.Contains(string.Join('/', segments[..i]))) throw new WebApiException(400, $"'{UntrustedText.Clean(string.Join('/', segments[..i]), 120)}' is both a file and a folder");
            if (_folders.Contains(path)) throw new WebApiException(400, $"'{UntrustedText.Clean(path, 120)}' is both a file and a folder");
            if (!_files.Add(path)) throw new WebApiException(400, $"'{UntrustedText.Clean(path, 120)}' is in the upload twice");
            for (var i = 1; i < segments.Length; i++) _folders.Add(string.Join('/', segments[..i]));
            var target = Path.Combine([Staging, .. segments]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            var buffer = ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    if (read > _room) LookAtTheDisk(read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    _room -= read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Looks at the disk at least every MiB written, and refuses the rest of an upload (one without a
        /// length, or several at once) before it would leave less than <see cref="Reserve"/> free.</summary>
        private void LookAtTheDisk(int next)
        {
            var disk = new DriveInfo(Staging);
            var reserve = Reserve(disk.TotalSize);
            _room = Math.Min(disk.AvailableFreeSpace - reserve, SpaceCheckEvery);
            if (next > _room)
                throw new WebApiException(507, $"the downloads folder's disk is nearly full: the upload was stopped so that {reserve} bytes stay free, and nothing of it was kept");
        }

        public ShareInput Finish() => new(Staging, name, saveFolder, options, Staging);
    }
}
