using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>The REST API under <c>/api</c>: list, add, start, pause, remove and inspect torrents. Each route carries
/// its summary, parameters and responses, from which <see cref="OpenApiDocument"/> writes the OpenAPI document.</summary>
internal static class TorrentApi
{
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options)
    {
        var api = app.MapGroup("/api").WithTags("torrents");
        var hash = new ApiParameter("infoHash", "path", "string", "The torrent's v1 info hash, 40 hex digits", Required: true);

        api.MapGet("/torrents", () => Results.Json(torrents.All.Select(t => t.Summary()).ToArray(), WebJsonContext.Default.TorrentSummaryArray))
            .WithSummary("List every torrent, oldest first")
            .WithMetadata(new ApiResponse(200, "The torrents", typeof(TorrentSummary[])));

        api.MapPost("/torrents", async (HttpRequest request, string? start, CancellationToken ct) =>
            {
                var startNow = QueryValue.Flag("start", start) ?? true;
                var bytes = await TorrentUpload.ReadAsync(request, options.MaxTorrentBytes, ct).ConfigureAwait(false);
                var added = await torrents.AddAsync(bytes, startNow, ct).ConfigureAwait(false);
                options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash})");
                return Results.Json(added.Summary(), WebJsonContext.Default.TorrentSummary, statusCode: 201);
            })
            .WithSummary("Add a torrent: upload the .torrent (multipart field 'torrent', or the raw bytes as the body), or name a .torrent file on the server")
            .WithMetadata(
                new ApiParameter("start", "query", "boolean", "Start downloading at once (default true)"),
                new ApiBody("The .torrent", ["multipart/form-data", "application/x-bittorrent", "application/octet-stream"], null),
                new ApiBody("A .torrent file on the server", ["application/json"], typeof(AddByPathRequest)),
                new ApiResponse(201, "Added", typeof(TorrentSummary)),
                new ApiResponse(400, "Not bencode (with the byte offset), not a valid torrent (with the key path), bytes after the torrent, or a name reserved for TorrentLab", typeof(ApiError)),
                new ApiResponse(403, "From another site's page (Origin or Sec-Fetch-Site), or to a host name this server does not answer to", typeof(ApiError)),
                new ApiResponse(404, "The .torrent named by path does not exist", typeof(ApiError)),
                new ApiResponse(409, "Already added, another torrent has the same name, a symbolic link would lead its files out of the downloads folder, or a file that is not this torrent's data is in the way", typeof(ApiError)),
                new ApiResponse(413, "Larger than the size limit", typeof(ApiError)),
                new ApiResponse(415, "Another content type than those above", typeof(ApiError)));

        api.MapGet("/torrents/{infoHash}", (string infoHash) => Results.Json(torrents.Get(infoHash).Details(), WebJsonContext.Default.TorrentDetails))
            .WithSummary("One torrent: files with progress, trackers with their last answer, peers, piece states")
            .WithMetadata(hash, new ApiResponse(200, "The details", typeof(TorrentDetails)), NotFound);

        api.MapPost("/torrents/{infoHash}/start", async (string infoHash, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.StartAsync(torrent, ct).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithSummary("Start or resume the download")
            .WithMetadata(hash, new ApiResponse(200, "The torrent, now downloading (or completed)", typeof(TorrentSummary)), NotFound);

        api.MapPost("/torrents/{infoHash}/pause", async (string infoHash) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.PauseAsync(torrent).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithSummary("Pause the download (the resume ledger is saved first)")
            .WithMetadata(hash, new ApiResponse(200, "The torrent, now paused", typeof(TorrentSummary)), NotFound);

        api.MapDelete("/torrents/{infoHash}", async (string infoHash, string? deleteData) =>
            {
                var delete = QueryValue.Flag("deleteData", deleteData) ?? false;
                var torrent = torrents.Get(infoHash);
                await torrents.RemoveAsync(torrent, delete).ConfigureAwait(false);
                options.Log?.Invoke($"removed '{torrent.Torrent.Name}'{(delete ? " and its data" : "")}");
                return Results.NoContent();
            })
            .WithSummary("Remove the torrent; with deleteData, also delete its files inside the downloads folder")
            .WithMetadata(hash, new ApiParameter("deleteData", "query", "boolean", "Delete the downloaded files too (default false)"),
                new ApiResponse(204, "Removed", null), NotFound);

        api.MapGet("/torrents/{infoHash}/files", (string infoHash) => Results.Json(torrents.Get(infoHash).Files(), WebJsonContext.Default.FileEntryArray))
            .WithSummary("The torrent's files with their priority (skip, low, normal, high) and progress, numbered as 'torrentlab info' does")
            .WithMetadata(hash, new ApiResponse(200, "The files, pad files left out", typeof(FileEntry[])), NotFound);

        api.MapPut("/torrents/{infoHash}/files", async (string infoHash, HttpRequest request, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                var body = await FileSelectionBody.ReadAsync(request, ct).ConfigureAwait(false);
                await torrents.SetPrioritiesAsync(torrent, body.Files, ct).ConfigureAwait(false);
                options.Log?.Invoke($"'{torrent.Torrent.Name}': {body.Files.Count} file priorit{(body.Files.Count == 1 ? "y" : "ies")} changed");
                return Results.Json(torrent.Files(), WebJsonContext.Default.FileEntryArray);
            })
            .WithSummary("Change file priorities (skip: not downloaded); a running download restarts with the new selection (it resumes from its ledger)")
            .WithMetadata(hash, new ApiBody("The files to change", ["application/json"], typeof(FilePrioritiesRequest)),
                new ApiResponse(200, "The files after the change", typeof(FileEntry[])),
                new ApiResponse(400, "Not JSON of this shape, no file, a file number out of range or an unknown priority", typeof(ApiError)),
                NotFound, new ApiResponse(415, "Another content type than application/json", typeof(ApiError)));

        api.MapGet("/torrents/{infoHash}/trace", (string infoHash, string? after) =>
            {
                var (lines, _) = torrents.Get(infoHash).Trace.Since(QueryValue.Number("after", after) is { } a ? a + 1 : 0, TraceRing.Capacity);
                return Results.Json(lines, WebJsonContext.Default.TraceLineArray);
            })
            .WithSummary("The torrent's recent wire messages (the live trace, polled)")
            .WithMetadata(hash, new ApiParameter("after", "query", "integer", "Only events after this sequence number"),
                new ApiResponse(200, "Up to 2000 recent events, oldest first", typeof(TraceLine[])), NotFound);

        TorrentApiParity.Map(api, torrents, options, hash, NotFound);
    }

    private static readonly ApiResponse NotFound = new(404, "No torrent has this info hash", typeof(ApiError));
}
