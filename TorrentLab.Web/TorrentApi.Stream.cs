using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace TorrentLab.Web;

/// <summary>The stream route: one file of a torrent over HTTP with byte ranges (RFC 9110 section 14), so that a media
/// player (mpv, VLC, a browser's <c>&lt;video&gt;</c>) plays it while it downloads. A read: behind the same host check
/// and token as every route of <c>/api</c>, and no change of state.</summary>
internal static class TorrentApiStream
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private const string Route = "/torrents/{infoHash}/files/{index}/stream";

    public static void Map(RouteGroupBuilder api, TorrentManager torrents)
    {
        async Task<IResult> Stream([Description(TorrentApi.HashDescription)] string infoHash,
            [Description("The file's number, from 1, as GET /api/torrents/{infoHash}/files gives it")] string index)
        {
            var torrent = torrents.Get(infoHash);
            if (!int.TryParse(index, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                throw new WebApiException(400, $"file number: expected a whole number from 1, got '{(index.Length > 40 ? index[..40] + "..." : index)}'");
            var (stream, path) = await torrent.OpenFileAsync(number).ConfigureAwait(false);
            // The framework answers a Range request from the seekable stream: 206 with Content-Range for one
            // satisfiable range, 416 with "bytes */length" for none, the whole file otherwise; Accept-Ranges always;
            // the headers only for HEAD. Each read waits for its pieces, which the stream fetches first.
            return Results.Stream(stream, ContentTypeOf(path), enableRangeProcessing: true);
        }

        Documented(api.MapGet(Route, Stream).WithName("StreamFile")
            .WithSummary("One file's bytes while the torrent downloads, with Range support (206, 416, Accept-Ranges: bytes): the pieces under and ahead of the range read are fetched first, and each part is sent once its piece is verified"));
        Documented(api.MapMethods(Route, [HttpMethods.Head], Stream).WithName("StreamFileHead")
            .WithSummary("The headers of GET .../stream (length, type, Accept-Ranges) without the bytes"));
    }

    private static void Documented(RouteHandlerBuilder route) => route
        .Responds(200, "The whole file (its content type from its extension)")
        .Responds(206, "The range asked for, with Content-Range")
        .Responds(400, "The file number is not a whole number", typeof(ApiError))
        .Responds(404, "No torrent has this info hash, or it has no file of this number", typeof(ApiError))
        .Responds(409, "The file is skipped, the torrent is not running and the file is not complete, or its data is moving or being checked", typeof(ApiError))
        .Responds(416, "The range is outside the file (Content-Range: bytes */length)");

    /// <summary>The media type of a file by its extension (video/mp4, video/x-matroska, audio/mpeg, ...), else bytes.</summary>
    internal static string ContentTypeOf(string path) =>
        ContentTypes.TryGetContentType(path, out var type) ? type : "application/octet-stream";
}
