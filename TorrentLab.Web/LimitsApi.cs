using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>The rate limits under <c>/api</c>: the global ones, shared by every torrent of this server, and each
/// torrent's own. Both apply (a torrent gets the lower); a change reaches running downloads within a second.</summary>
internal static class LimitsApi
{
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents)
    {
        var api = app.MapGroup("/api").WithTags("limits");
        var hash = new ApiParameter("infoHash", "path", "string", "The torrent's v1 info hash, 40 hex digits", Required: true);
        var body = new ApiBody("The limits to change, in bytes per second (0: unlimited; a missing field stays as it is)", ["application/json"], typeof(RateLimitSettings));
        var bad = new ApiResponse(400, "A negative or malformed limit", typeof(ApiError));
        var notFound = new ApiResponse(404, "No torrent has this info hash", typeof(ApiError));

        api.MapGet("/limits", () => Json(torrents.GlobalDownloadLimit, torrents.GlobalUploadLimit))
            .WithSummary("The global download and upload limits, shared by every torrent")
            .WithMetadata(new ApiResponse(200, "The limits", typeof(RateLimitSettings)));

        api.MapPut("/limits", (RateLimitSettings settings) =>
            {
                Apply(settings, torrents.GlobalDownloadLimit, torrents.GlobalUploadLimit);
                return Json(torrents.GlobalDownloadLimit, torrents.GlobalUploadLimit);
            })
            .WithSummary("Set the global limits; running downloads follow within a second")
            .WithMetadata(body, new ApiResponse(200, "The limits now", typeof(RateLimitSettings)), bad);

        api.MapGet("/torrents/{infoHash}/limits", (string infoHash) =>
            {
                var torrent = torrents.Get(infoHash);
                return Json(torrent.DownloadLimit, torrent.UploadLimit);
            })
            .WithSummary("One torrent's own limits (the global ones apply too)")
            .WithMetadata(hash, new ApiResponse(200, "The limits", typeof(RateLimitSettings)), notFound);

        api.MapPut("/torrents/{infoHash}/limits", (string infoHash, RateLimitSettings settings) =>
            {
                var torrent = torrents.Get(infoHash);
                Apply(settings, torrent.DownloadLimit, torrent.UploadLimit);
                return Json(torrent.DownloadLimit, torrent.UploadLimit);
            })
            .WithSummary("Set one torrent's own limits; a running download follows within a second")
            .WithMetadata(hash, body, new ApiResponse(200, "The limits now", typeof(RateLimitSettings)), bad, notFound);
    }

    /// <exception cref="WebApiException">400: a negative limit (nothing is changed).</exception>
    private static void Apply(RateLimitSettings settings, RateLimit download, RateLimit upload)
    {
        if (settings.DownloadRate < 0 || settings.UploadRate < 0)
            throw new WebApiException(400, $"a limit is bytes per second, 0 for unlimited; got {settings.DownloadRate ?? settings.UploadRate}");
        if (settings.DownloadRate is { } down) download.BytesPerSecond = down;
        if (settings.UploadRate is { } up) upload.BytesPerSecond = up;
    }

    private static IResult Json(RateLimit download, RateLimit upload) =>
        Results.Json(new RateLimitSettings(download.BytesPerSecond, upload.BytesPerSecond), WebJsonContext.Default.RateLimitSettings);
}
