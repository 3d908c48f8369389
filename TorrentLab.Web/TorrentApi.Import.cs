using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TorrentLab.Web;

namespace TorrentLab.Web;

/// <summary><c>POST /api/import</c>: the torrents of another client's state folder on the server's machine, added to
/// this server (the page's "Import from another client"; the command line's <c>torrentlab import</c> does the same for
/// a server that is not running).</summary>
internal static class TorrentApiImport
{
    public static void Map(RouteGroupBuilder api, TorrentManager torrents, WebServerOptions options)
    {
        api.MapPost("/import", async (ImportRequest? body, CancellationToken ct) =>
            {
                var kind = body?.Client?.ToLowerInvariant() switch
                {
                    "qbittorrent" => ClientKind.QBittorrent,
                    "transmission" => ClientKind.Transmission,
                    _ => throw new WebApiException(400, "client must be 'qbittorrent' or 'transmission'"),
                };
                if (string.IsNullOrWhiteSpace(body!.Path) || body.Path.Any(char.IsControl))
                    throw new WebApiException(400, "path must name the client's state folder on the server");
                IReadOnlyList<ImportResult> results;
                try { results = await ClientImport.IntoAsync(torrents, kind, body.Path, body.Recheck == true, ct).ConfigureAwait(false); }
                catch (ImportException e) { throw new WebApiException(e.NotFound ? 404 : 400, e.Message); }
                foreach (var r in results) options.Log?.Invoke($"import: {r.Line}");
                var summary = ClientImport.Summary(results);
                options.Log?.Invoke($"import: {summary}");
                return Results.Json(new ImportAnswer([.. results.Select(r => new ImportLine(r.Name, r.Imported, r.Line))], summary),
                    WebJsonContext.Default.ImportAnswer);
            })
            .WithName("ImportFromClient")
            .WithSummary("Add the torrents of qBittorrent's BT_backup folder or Transmission's config folder on the server: each with its save folder (which must be inside the downloads folder), category and tags, file selection, limits, added date and progress, started or paused as it was; data the other client had whole, at full size, is not hashed")
            .DescribesBody("The client and its folder")
            .Responds(200, "One line per torrent and the summary", typeof(ImportAnswer))
            .Responds(400, "Not a known client, no path, or a folder that is not that client's", typeof(ApiError))
            .Responds(404, "The folder does not exist", typeof(ApiError))
            .RespondsNotJson();
    }
}
