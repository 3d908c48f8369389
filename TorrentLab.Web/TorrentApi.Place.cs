using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>The routes of a torrent's place and company: its save folder (moving its data), its trackers, the peers
/// given to it, its category, and its place in the queue.</summary>
internal static class TorrentApiPlace
{
    public static void Map(RouteGroupBuilder api, TorrentManager torrents, WebServerOptions options)
    {
        api.MapPut("/torrents/{infoHash}/folder", async ([Description(TorrentApi.HashDescription)] string infoHash, MoveRequest? body, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                if (body?.Folder is null) throw new WebApiException(400, "give 'folder': relative to the downloads folder, or an absolute path inside it");
                await torrents.MoveAsync(torrent, body.Folder, body.Move ?? true, ct).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("MoveTorrent").WithSummary("Give the torrent another save folder inside the downloads folder, moving its data there (its activity stops during the move and resumes after); with move false, point it there and re-check what is found")
            .DescribesBody("The new folder")
            .Responds(200, "The torrent in its new folder, running again if it ran", typeof(TorrentSummary))
            .Responds(400, "No folder, or a folder outside the downloads folder (symbolic links followed) or inside TorrentLab's own .torrentlab", typeof(ApiError))
            .RespondsNotFound()
            .Responds(409, "Another torrent's data is there, a file of the torrent is in the way there, it is being checked or moved, or the move failed (its data stays whole in the old folder)", typeof(ApiError))
            .RespondsNotJson();

        api.MapPut("/torrents/{infoHash}/trackers", async ([Description(TorrentApi.HashDescription)] string infoHash, TrackersRequest? body, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                if (body is null) throw new WebApiException(400, "give 'tiers': [[\"udp://tracker:6969/announce\", ...], ...], or null for the .torrent's own");
                await torrents.Adjust.SetTrackersAsync(torrent, body.Tiers, ct).ConfigureAwait(false);
                options.Log?.Invoke($"'{torrent.Torrent.Name}': trackers {(body.Tiers is null ? "back to the .torrent's" : "replaced")}");
                return Results.Json(torrent.Details(), WebJsonContext.Default.TorrentDetails);
            })
            .WithName("SetTrackers").WithSummary("Replace the torrent's tracker list (BEP 12 tiers of http, https or udp URLs), or go back to its .torrent's; a running torrent restarts and announces to the new list")
            .DescribesBody("The tiers")
            .Responds(200, "The torrent's details, with its trackers now", typeof(TorrentDetails))
            .Responds(400, "Not an http, https or udp URL, a URL of an unspecified, broadcast, multicast or link-local address, a user name in a URL, or more than 100 URLs", typeof(ApiError))
            .RespondsNotFound()
            .RespondsNotJson();

        api.MapPost("/torrents/{infoHash}/peers", async ([Description(TorrentApi.HashDescription)] string infoHash, PeerRequest? body, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                var added = await torrents.Adjust.AddPeerAsync(torrent, body?.Address, ct).ConfigureAwait(false);
                if (added) options.Log?.Invoke($"'{torrent.Torrent.Name}': peer {body!.Address.Trim()} given");
                return Results.Json(torrent.Details().GivenPeers.ToArray(), WebJsonContext.Default.StringArray);
            })
            .WithName("AddPeer").WithSummary("Give the torrent a peer to dial (kept across restarts); a running torrent dials it with its other peers kept")
            .DescribesBody("The peer")
            .Responds(200, "The peers given to the torrent, ip:port", typeof(string[]))
            .Responds(400, "Not ip:port, an address no peer source may dial (unspecified, broadcast, multicast, link-local, or outside the server's peer scope), or more than 200 peers", typeof(ApiError))
            .RespondsNotFound()
            .RespondsNotJson();

        api.MapPut("/torrents/{infoHash}/category", ([Description(TorrentApi.HashDescription)] string infoHash, CategoryRequest? body) =>
            {
                var torrent = torrents.Get(infoHash);
                torrents.Labels.SetCategory(torrent, body?.Category);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("SetCategory").WithSummary("Put the torrent in a category (created when new), or in none with null or \"\"")
            .DescribesBody("The category")
            .Responds(200, "The torrent", typeof(TorrentSummary))
            .Responds(400, "A category of more than 100 characters, with a control character, or with spaces at either end", typeof(ApiError))
            .RespondsNotFound()
            .RespondsNotJson();

        api.MapGet("/categories", () => Results.Json(torrents.Labels.Categories.ToArray(), WebJsonContext.Default.StringArray))
            .WithName("ListCategories").WithSummary("Every category: those created and those a torrent has, in order")
            .Responds(200, "The categories", typeof(string[]));

        api.MapGet("/categories/{name}/limits", ([Description("The category")] string name) =>
                Results.Json(torrents.Labels.RequireLimitsOf(name), WebJsonContext.Default.CategoryLimits))
            .WithName("GetCategoryLimits").WithSummary("The category's share limits: each taken by its torrents that have no such limit of their own, over the server's defaults")
            .Responds(200, "Its limits (null: the default)", typeof(CategoryLimits))
            .Responds(404, "No such category", typeof(ApiError));

        api.MapPut("/categories/{name}/limits", ([Description("The category")] string name, CategoryLimits? body) =>
            {
                if (body is null) throw new WebApiException(400, "give the limits: {\"ratio\": 2, \"minutes\": 1440, \"idleMinutes\": 60}, each optional");
                torrents.Labels.SetLimits(name, body);
                options.Log?.Invoke($"category '{UntrustedText.Clean(name, 40)}': share limits {body}");
                return Results.Json(torrents.Labels.RequireLimitsOf(name), WebJsonContext.Default.CategoryLimits);
            })
            .WithName("SetCategoryLimits").WithSummary("Replace the category's share limits (a field null or absent: the server's default; 0: no limit); its running torrents take them at once, their peers kept")
            .DescribesBody("The limits")
            .Responds(200, "Its limits now", typeof(CategoryLimits))
            .Responds(400, "No body, or a ratio or time that is negative, not a number, or too long", typeof(ApiError))
            .Responds(404, "No such category", typeof(ApiError))
            .RespondsNotJson();

        api.MapPost("/torrents/queue", (QueueRequest? body) =>
            {
                var move = body?.Move switch
                {
                    "top" => QueueMove.Top,
                    "up" => QueueMove.Up,
                    "down" => QueueMove.Down,
                    "bottom" => QueueMove.Bottom,
                    _ => throw new WebApiException(400, $"'move' must be top, up, down or bottom, got '{UntrustedText.Clean(body?.Move, 20)}'"),
                };
                if (body.InfoHashes is not { Count: > 0 and <= 10_000 } hashes) throw new WebApiException(400, "give 'infoHashes': 1 to 10000 torrents");
                torrents.Queue.Move([.. hashes.Select(h => torrents.Get(h ?? ""))], move);
                return Results.NoContent();
            })
            .WithName("MoveInQueue").WithSummary("Move torrents in the queue (the order in which waiting downloads start): to the top, one up, one down, or to the bottom")
            .DescribesBody("The move and the torrents")
            .Responds(204, "Moved")
            .Responds(400, "An unknown move, or no torrent or more than 10000", typeof(ApiError))
            .Responds(404, "No torrent has one of these info hashes (nothing moved)", typeof(ApiError))
            .RespondsNotJson();
    }
}
