using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary><c>GET /api/torrents/{infoHash}/why</c>: why a torrent makes progress or not (issue 81), for the page, the
/// <c>torrentlab why</c> command and any script.</summary>
internal static class TorrentApiWhy
{
    public static void Map(RouteGroupBuilder api, TorrentManager torrents)
    {
        api.MapGet("/torrents/{infoHash}/why", ([Description(TorrentApi.HashDescription)] string infoHash) =>
                Results.Json(WhyReport.Of(torrents.Get(infoHash)), WebJsonContext.Default.WhyReport))
            .WithName("WhyTorrent")
            .WithSummary("Why it makes progress or not: a verdict line, each tracker's last answer, the DHT's lookups, whether our port was reached, and the peers tried lately with why each was dropped or refused")
            .Responds(200, "The diagnosis", typeof(WhyReport)).RespondsNotFound();
    }
}
