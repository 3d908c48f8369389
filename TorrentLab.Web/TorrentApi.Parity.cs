using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TorrentLab.Client;
using TorrentLab.Tracker;

namespace TorrentLab.Web;

/// <summary>The routes that bring the API level with the command line: add by magnet link or URL, the queue and
/// seeding settings, a torrent's seeding limits, recheck, bulk actions and the totals.</summary>
internal static class TorrentApiParity
{

    public static void Map(RouteGroupBuilder api, TorrentManager torrents, WebServerOptions options)
    {
        api.MapPost("/torrents/link", async (AddByLinkRequest body, CancellationToken ct) =>
            {
                var added = await AddLinkAsync(torrents, options, body, ct).ConfigureAwait(false);
                options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash}) from a {(TorrentClient.IsMagnet(body.Link) ? "magnet link" : "URL")}");
                return Results.Json(added.Summary(), WebJsonContext.Default.TorrentSummary, statusCode: 201);
            })
            .WithName("AddLink").WithSummary("Add a torrent by magnet link (its metadata fetched from peers first, BEP 9) or by the http/https URL of a .torrent")
            .DescribesBody("The link")
            .Responds(201, "Added", typeof(TorrentSummary))
            .Responds(400, "Not a magnet link or http/https URL, a URL of an unspecified, broadcast, multicast or link-local address, not a valid torrent, or a folder outside the downloads folder", typeof(ApiError))
            .Responds(409, "Already added, or another torrent's data is where its would go", typeof(ApiError))
            .Responds(413, "The .torrent at the URL is larger than the size limit", typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError))
            .Responds(502, "The URL did not answer 200, or no peer gave the magnet link's metadata in time", typeof(ApiError));

        api.MapGet("/settings", () => Results.Json(torrents.Settings, WebJsonContext.Default.WebSettings))
            .WithName("GetSettings").WithSummary("The queue size and the seeding defaults")
            .Responds(200, "The settings", typeof(WebSettings));

        api.MapPut("/settings", async (WebSettings body, CancellationToken ct) =>
            {
                if (body.WatchFolder is { Length: > 0 } watch) torrents.Watch.CheckFolder(watch); // refused before anything changes
                ServerHooks.Check(body.OnAdded, body.OnComplete, body.Webhook);
                if (body.BanClients is not null) torrents.SetBanClients(body.BanClients);
                if (body.Blocklist is not null || body.BlocklistEnabled is not null) await torrents.Blocklist.SetAsync(body.Blocklist, body.BlocklistEnabled, ct);
                if (body.WatchFolder is not null || body.WatchDelete is not null) torrents.Watch.Set(body.WatchFolder, body.WatchDelete);
                if (body.OnAdded is not null || body.OnAddedEnabled is not null || body.OnComplete is not null || body.OnCompleteEnabled is not null || body.Webhook is not null)
                    torrents.Hooks.Set(body.OnAdded, body.OnAddedEnabled, body.OnComplete, body.OnCompleteEnabled, body.Webhook);
                return Results.Json(torrents.UpdateSettings(body), WebJsonContext.Default.WebSettings);
            })
            .WithName("SetSettings").WithSummary("Change the queue size, the seeding defaults, the disk guard, the blocklist, the watch folder, the hooks or the client ban rules (fields left out keep their value; 0 clears a seeding limit)")
            .DescribesBody("The fields to change")
            .Responds(200, "The settings now", typeof(WebSettings)).Responds(400, "A value out of range, a blocklist that is not one, a hook's command line or URL that cannot be used, or a client ban rule that is not one", typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError))
            .Responds(502, "The blocklist's URL or file could not be read", typeof(ApiError));

        api.MapPost("/blocklist/update", async (CancellationToken ct) => Results.Json(await torrents.Blocklist.UpdateAsync(ct), WebJsonContext.Default.BlocklistLoad))
            .WithName("UpdateBlocklist").WithSummary("Read the blocklist again from its URL or file, and put it in force when it is on")
            .Responds(200, "What was read: ranges, and malformed lines skipped", typeof(BlocklistLoad))
            .Responds(400, "No blocklist is set, or it is not a blocklist", typeof(ApiError))
            .Responds(502, "Its URL or file could not be read", typeof(ApiError));

        api.MapGet("/totals", () => Results.Json(Totals(torrents.All.Select(t => t.Summary()).ToArray()), WebJsonContext.Default.TorrentTotals))
            .WithName("GetTotals").WithSummary("Rates summed over every torrent, and how many are in each state")
            .Responds(200, "The totals", typeof(TorrentTotals));

        api.MapGet("/disk", () => Results.Json(torrents.Disk.Volumes.ToArray(), WebJsonContext.Default.VolumeSpaceArray))
            .WithName("GetDiskSpace")
            .WithSummary("The volumes downloads write to, as the disk guard last read them: free and total bytes, the bytes kept free, and whether their downloads wait")
            .Responds(200, "The volumes", typeof(VolumeSpace[]));

        api.MapPut("/torrents/{infoHash}/seeding", async ([Description(TorrentApi.HashDescription)] string infoHash, SeedPolicy body) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.Adjust.SetSeedingAsync(torrent, body).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("SetSeeding").WithSummary("Set the torrent's own seeding limits (null fields take the server's defaults; 0 is no limit); a running torrent takes them at once")
            .DescribesBody("The limits")
            .Responds(200, "The torrent", typeof(TorrentSummary)).Responds(400, "A value out of range", typeof(ApiError)).RespondsNotFound()
            .Responds(415, "Another content type than application/json", typeof(ApiError));

        api.MapPost("/torrents/{infoHash}/recheck", async ([Description(TorrentApi.HashDescription)] string infoHash, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.RecheckAsync(torrent, ct).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("RecheckTorrent").WithSummary("Pause, re-hash the data on disk (the resume ledger is rewritten to match), then resume")
            .Responds(200, "The torrent, queued again (or completed)", typeof(TorrentSummary))
            .Responds(409, "The data could not be read", typeof(ApiError)).RespondsNotFound();

        api.MapPost("/torrents/bulk", async (BulkRequest body, CancellationToken ct) =>
                Results.Json(await BulkAsync(torrents, body, ct).ConfigureAwait(false), WebJsonContext.Default.BulkResultArray))
            .WithName("BulkAction").WithSummary("Start, pause, recheck or remove several torrents; each gets its own result")
            .DescribesBody("The action and the torrents")
            .Responds(200, "One result per torrent, in the order asked", typeof(BulkResult[]))
            .Responds(400, "An unknown action, or more than 10000 torrents", typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError));
    }

    private static async Task<ManagedTorrent> AddLinkAsync(TorrentManager torrents, WebServerOptions options, AddByLinkRequest? body, CancellationToken ct)
    {
        var link = body?.Link?.Trim();
        if (string.IsNullOrEmpty(link)) throw new WebApiException(400, "give 'link': a magnet link or the http/https URL of a .torrent");
        torrents.SaveFolderOf(body!.Folder); // refused before anything is fetched
        // A torrent added already is named by a magnet link itself: no peer is asked for metadata the server has.
        if (RemoteLinks.MagnetHash(link) is { } hash && torrents.Find(hash) is { } present)
            throw new WebApiException(409, $"torrent '{present.Torrent.Name}' ({present.InfoHash}) is already added");
        var (bytes, peers) = await RemoteLinks.FetchAsync(torrents, options, link, ct, serverPaths: false).ConfigureAwait(false);
        return await torrents.AddAsync(bytes, body!.Start ?? true, peers, body.Folder, ct, body.SkipChecking ?? false).ConfigureAwait(false);
    }

    private static async Task<BulkResult[]> BulkAsync(TorrentManager torrents, BulkRequest? body, CancellationToken ct)
    {
        if (body?.InfoHashes is not { } hashes) throw new WebApiException(400, "give 'action' and 'infoHashes'");
        if (hashes.Count > 10_000) throw new WebApiException(400, $"at most 10000 torrents per request, got {hashes.Count}");
        if (body.Action is not ("start" or "pause" or "recheck" or "remove"))
            throw new WebApiException(400, $"unknown action '{UntrustedText.Clean(body.Action, 20)}': use start, pause, recheck or remove");
        var results = new List<BulkResult>();
        foreach (var hash in hashes)
        {
            try
            {
                var torrent = torrents.Get(hash ?? "");
                var work = body.Action switch
                {
                    "start" => torrents.StartAsync(torrent, ct),
                    "pause" => torrents.PauseAsync(torrent),
                    "recheck" => torrents.RecheckAsync(torrent, ct),
                    _ => torrents.RemoveAsync(torrent, body.DeleteData ?? false),
                };
                await work.ConfigureAwait(false);
                results.Add(new BulkResult(torrent.InfoHash, null));
            }
            catch (Exception e) when (e is WebApiException or TorrentLabException or IOException)
            {
                results.Add(new BulkResult(hash ?? "", e.Message));
            }
        }
        return [.. results];
    }

    private static TorrentTotals Totals(TorrentSummary[] all) => new(
        all.Sum(t => t.DownloadRate), all.Sum(t => t.UploadRate), all.Length,
        all.Count(t => t.State == "downloading"), all.Count(t => t.State == "seeding"), all.Count(t => t.State == "queued"),
        all.Count(t => t.State == "paused"), all.Count(t => t.State == "completed"), all.Count(t => t.State == "failed"),
        all.Count(t => t.Stalled));
}
