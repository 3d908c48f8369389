using System.ComponentModel;
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
        const string body = "The limits to change, in bytes per second (0: unlimited; a missing field stays as it is)";
        const string bad = "A negative or malformed limit";

        api.MapGet("/limits", () => Results.Json(torrents.Limits.Normal, WebJsonContext.Default.RateLimitSettings))
            .WithName("GetLimits").WithSummary("The global download and upload limits, shared by every torrent")
            .Responds(200, "The limits", typeof(RateLimitSettings));

        api.MapPut("/limits", (RateLimitSettings settings) =>
            {
                Check(settings);
                return Results.Json(torrents.Limits.SetNormal(settings.DownloadRate, settings.UploadRate), WebJsonContext.Default.RateLimitSettings);
            })
            .WithName("SetLimits").WithSummary("Set the global limits; running downloads follow within a second")
            .DescribesBody(body).Responds(200, "The limits now", typeof(RateLimitSettings)).Responds(400, bad, typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError));

        api.MapGet("/limits/alternative", () => Results.Json(torrents.Limits.AltSpeed, WebJsonContext.Default.AltSpeedSettings))
            .WithName("GetAltSpeed").WithSummary("The alternative global limits, their schedule, and whether they are in force")
            .Responds(200, "The alternative limits", typeof(AltSpeedSettings));

        api.MapPut("/limits/alternative", (AltSpeedSettings settings) =>
                Results.Json(torrents.Limits.UpdateAltSpeed(settings), WebJsonContext.Default.AltSpeedSettings))
            .WithName("SetAltSpeed").WithSummary("Switch the alternative limits on or off, set them and their schedule; in force within a second")
            .DescribesBody("The fields to change (a missing field stays as it is)").Responds(200, "The alternative limits now", typeof(AltSpeedSettings))
            .Responds(400, "A negative limit, or a schedule out of range", typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError));

        api.MapGet("/torrents/{infoHash}/limits", ([Description(TorrentApi.HashDescription)] string infoHash) =>
            {
                var torrent = torrents.Get(infoHash);
                return Json(torrent.DownloadLimit, torrent.UploadLimit);
            })
            .WithName("GetTorrentLimits").WithSummary("One torrent's own limits (the global ones apply too)")
            .Responds(200, "The limits", typeof(RateLimitSettings)).RespondsNotFound();

        api.MapPut("/torrents/{infoHash}/limits", ([Description(TorrentApi.HashDescription)] string infoHash, RateLimitSettings settings) =>
            {
                var torrent = torrents.Get(infoHash);
                Apply(torrents, settings, torrent.DownloadLimit, torrent.UploadLimit);
                return Json(torrent.DownloadLimit, torrent.UploadLimit);
            })
            .WithName("SetTorrentLimits").WithSummary("Set one torrent's own limits; a running download follows within a second")
            .DescribesBody(body).Responds(200, "The limits now", typeof(RateLimitSettings)).Responds(400, bad, typeof(ApiError))
            .RespondsNotFound().Responds(415, "Another content type than application/json", typeof(ApiError));
    }

    /// <exception cref="WebApiException">400: a negative limit (nothing is changed).</exception>
    private static void Check(RateLimitSettings settings)
    {
        if (settings.DownloadRate < 0 || settings.UploadRate < 0)
            throw new WebApiException(400, $"a limit is bytes per second, 0 for unlimited; got {settings.DownloadRate ?? settings.UploadRate}");
    }

    /// <exception cref="WebApiException">400: a negative limit (nothing is changed).</exception>
    private static void Apply(TorrentManager torrents, RateLimitSettings settings, RateLimit download, RateLimit upload)
    {
        Check(settings);
        if (settings.DownloadRate is { } down) torrents.Adjust.SetLimit(download, down);
        if (settings.UploadRate is { } up) torrents.Adjust.SetLimit(upload, up);
    }

    private static IResult Json(RateLimit download, RateLimit upload) =>
        Results.Json(new RateLimitSettings(download.BytesPerSecond, upload.BytesPerSecond), WebJsonContext.Default.RateLimitSettings);
}
