using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>The REST API under <c>/api</c>: list, add, start, pause, remove and inspect torrents. Each route carries
/// its summary, parameter descriptions and responses, from which ASP.NET Core generates the OpenAPI document
/// (<see cref="ApiDocumentation"/>).</summary>
internal static class TorrentApi
{
    public static void Map(IEndpointRouteBuilder app, TorrentManager torrents, WebServerOptions options)
    {
        var api = app.MapGroup("/api").WithTags("torrents");

        api.MapGet("/torrents", () => Results.Json(torrents.All.Select(t => t.Summary()).ToArray(), WebJsonContext.Default.TorrentSummaryArray))
            .WithName("ListTorrents").WithSummary("List every torrent, oldest first")
            .Responds(200, "The torrents", typeof(TorrentSummary[]));

        api.MapPost("/torrents", async (HttpRequest request, [Description(StartDescription)] string? start,
                [Description(FolderDescription)] string? folder, [Description(SkipCheckingDescription)] string? skipChecking, CancellationToken ct) =>
            {
                var startNow = QueryValue.Flag("start", start) ?? true;
                var skip = QueryValue.Flag("skipChecking", skipChecking) ?? false;
                torrents.SaveFolderOf(folder); // a refused folder before the upload is read
                var bytes = await TorrentUpload.ReadAsync(request, options.MaxTorrentBytes, ct).ConfigureAwait(false);
                var added = await torrents.AddAsync(bytes, startNow, [], folder, ct, skip).ConfigureAwait(false);
                options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash})");
                return Results.Json(added.Summary(), WebJsonContext.Default.TorrentSummary, statusCode: 201);
            })
            .WithName("AddTorrent").WithSummary("Add a torrent: upload the .torrent (multipart field 'torrent', or the raw bytes as the body), or name a .torrent file on the server")
            .ReadsJsonBody<AddByPathRequest>("A .torrent file on the server")
            .AcceptsTorrentFile()
            .Responds(201, "Added", typeof(TorrentSummary))
            .Responds(400, "Not bencode (with the byte offset), not a valid torrent (with the key path), bytes after the torrent, a name reserved for TorrentLab, or a folder outside the downloads folder", typeof(ApiError))
            .Responds(403, "From another site's page (Origin or Sec-Fetch-Site), or to a host name this server does not answer to", typeof(ApiError))
            .Responds(404, "The .torrent named by path does not exist", typeof(ApiError))
            .Responds(409, "Already added, another torrent's data is where its would go, a symbolic link would lead its files out of the downloads folder, or a file that is not this torrent's data is in the way", typeof(ApiError))
            .Responds(413, "Larger than the size limit", typeof(ApiError))
            .Responds(415, "Another content type than those above", typeof(ApiError));

        api.MapGet("/torrents/{infoHash}", ([Description(HashDescription)] string infoHash) => Results.Json(torrents.Get(infoHash).Details(), WebJsonContext.Default.TorrentDetails))
            .WithName("GetTorrent").WithSummary("One torrent: files with progress, trackers with their last answer, peers, piece states")
            .Responds(200, "The details", typeof(TorrentDetails)).RespondsNotFound();

        api.MapPost("/torrents/{infoHash}/start", async ([Description(HashDescription)] string infoHash, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.StartAsync(torrent, ct).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("StartTorrent").WithSummary("Start or resume the download")
            .Responds(200, "The torrent, now downloading (or completed)", typeof(TorrentSummary)).RespondsNotFound();

        api.MapPost("/torrents/{infoHash}/pause", async ([Description(HashDescription)] string infoHash) =>
            {
                var torrent = torrents.Get(infoHash);
                await torrents.PauseAsync(torrent).ConfigureAwait(false);
                return Results.Json(torrent.Summary(), WebJsonContext.Default.TorrentSummary);
            })
            .WithName("PauseTorrent").WithSummary("Pause the download (the resume ledger is saved first)")
            .Responds(200, "The torrent, now paused", typeof(TorrentSummary)).RespondsNotFound();

        api.MapDelete("/torrents/{infoHash}", async ([Description(HashDescription)] string infoHash, [Description("Delete the downloaded files too: true or false (default false)")] string? deleteData) =>
            {
                var delete = QueryValue.Flag("deleteData", deleteData) ?? false;
                var torrent = torrents.Get(infoHash);
                await torrents.RemoveAsync(torrent, delete).ConfigureAwait(false);
                options.Log?.Invoke($"removed '{torrent.Torrent.Name}'{(delete ? " and its data" : "")}");
                return Results.NoContent();
            })
            .WithName("RemoveTorrent").WithSummary("Remove the torrent; with deleteData, also delete its files inside the downloads folder")
            .Responds(204, "Removed").RespondsNotFound();

        api.MapGet("/torrents/{infoHash}/files", ([Description(HashDescription)] string infoHash) => Results.Json(torrents.Get(infoHash).Files(), WebJsonContext.Default.FileEntryArray))
            .WithName("GetFiles").WithSummary("The torrent's files with their priority (skip, low, normal, high) and progress, numbered as 'torrentlab info' does")
            .Responds(200, "The files, pad files left out", typeof(FileEntry[])).RespondsNotFound();

        api.MapPut("/torrents/{infoHash}/files", async ([Description(HashDescription)] string infoHash, HttpRequest request, CancellationToken ct) =>
            {
                var torrent = torrents.Get(infoHash);
                var body = await FileSelectionBody.ReadAsync(request, ct).ConfigureAwait(false);
                await torrents.Adjust.SetPrioritiesAsync(torrent, body.Files, ct).ConfigureAwait(false);
                options.Log?.Invoke($"'{torrent.Torrent.Name}': {body.Files.Count} file priorit{(body.Files.Count == 1 ? "y" : "ies")} changed");
                return Results.Json(torrent.Files(), WebJsonContext.Default.FileEntryArray);
            })
            .WithName("SetFiles").WithSummary("Change file priorities (skip: not downloaded); a running download restarts with the new selection (it resumes from its ledger)")
            .ReadsJsonBody<FilePrioritiesRequest>("The files to change")
            .Responds(200, "The files after the change", typeof(FileEntry[]))
            .Responds(400, "Not JSON of this shape, no file, a file number out of range or an unknown priority", typeof(ApiError))
            .RespondsNotFound()
            .Responds(415, "Another content type than application/json", typeof(ApiError));

        api.MapGet("/torrents/{infoHash}/trace", ([Description(HashDescription)] string infoHash, [Description("Only events after this sequence number (a whole number)")] string? after) =>
            {
                var (lines, _) = torrents.Get(infoHash).Trace.Since(QueryValue.Number("after", after) is { } a ? a + 1 : 0, TraceRing.Capacity);
                return Results.Json(lines, WebJsonContext.Default.TraceLineArray);
            })
            .WithName("GetTrace").WithSummary("The torrent's recent wire messages (the live trace, polled)")
            .Responds(200, "Up to 2000 recent events, oldest first", typeof(TraceLine[])).RespondsNotFound();

        TorrentApiParity.Map(api, torrents, options);
        TorrentApiPlace.Map(api, torrents, options);
        TorrentApiStream.Map(api, torrents);
        TorrentApiShares.Map(api, torrents, options);
        TorrentApiWhy.Map(api, torrents);
        TorrentApiImport.Map(api, torrents, options);
        TorrentApiPieces.Map(api, torrents);
    }

    /// <summary>The description of every route's <c>{infoHash}</c>.</summary>
    internal const string HashDescription = "The torrent's v1 info hash, 40 hex digits";

    private const string StartDescription = "Start downloading at once: true or false (default true)";

    private const string SkipCheckingDescription = "Take the data already in the save folder as complete without hashing it, when every file is there at its full size (qBittorrent's skip_checking): true or false (default false)";

    /// <summary>The description of a save folder given on an add.</summary>
    internal const string FolderDescription = "The save folder: relative to the downloads folder, or an absolute path inside it (symbolic links followed); default the downloads folder";
}
