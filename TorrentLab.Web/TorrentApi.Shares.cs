using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>Sharing from the page: a file or folder uploaded (or named below the downloads folder) becomes a torrent,
/// made as <c>torrentlab create</c> makes it and seeded at once; and any torrent's .torrent file, to give to others.</summary>
internal static class TorrentApiShares
{
    public static void Map(RouteGroupBuilder api, TorrentManager torrents, WebServerOptions options)
    {
        // An upload a crash or a stop cut short left its staging folder: nothing of it is a torrent yet.
        ShareUpload.DeleteStaging(Path.Combine(torrents.Downloads, TorrentClient.StateFolder, ShareUpload.IncomingFolder));

        api.MapPost("/shares", async (HttpRequest request, CancellationToken ct) =>
            {
                var input = await ShareUpload.ReadAsync(request, torrents, ct).ConfigureAwait(false);
                try
                {
                    var shared = await torrents.Shares.ShareAsync(input.Source, input.Name, input.SaveFolder, input.Options, input.Shown, ct).ConfigureAwait(false);
                    options.Log?.Invoke($"shared '{input.Shown}' ({shared.InfoHash}{(input.Staging is null ? "" : ", uploaded")}): seeding");
                    var result = new ShareResult(shared.InfoHash, shared.Torrent.MagnetLink, $"/api/torrents/{shared.InfoHash}/torrent", shared.Summary());
                    return Results.Json(result, WebJsonContext.Default.ShareResult, statusCode: 201);
                }
                finally
                {
                    if (input.Staging is { } staging) ShareUpload.DeleteStaging(staging);
                }
            })
            .WithName("Share").WithTags("shares")
            .WithSummary("Share a file or a folder: upload it (multipart: the options, then the file, or each file of the folder named by its path inside it, as fields 'file'), " +
                "or name one below the downloads folder (JSON); a torrent is made of it with the options of 'torrentlab create' and seeded at once, whatever the seeding default for downloads says")
            .ReadsJsonBody<ShareRequest>("A file or folder below the downloads folder, and the options")
            .AcceptsShareUpload()
            .Responds(201, "Shared: its info hash, magnet link and where to fetch its .torrent; it is seeding", typeof(ShareResult))
            .Responds(400, "No file, a path of the upload that is not a plain relative path, files of more than one file or folder, an option out of range (piece length, format, tracker or web seed URL), " +
                "a field after the files, a path outside the downloads folder or inside TorrentLab's own .torrentlab, a symbolic link out of the data, a special file, or no bytes to share", typeof(ApiError))
            .Responds(403, "From another site's page (Origin or Sec-Fetch-Site), or to a host name this server does not answer to", typeof(ApiError))
            .Responds(404, "The path names nothing", typeof(ApiError))
            .Responds(409, "Its name is taken in the save folder, the same torrent is added already, another torrent's data is there, or the server runs the single-peer engine (--max-peers 1), which does not seed", typeof(ApiError))
            .Responds(415, "Another content type than multipart/form-data or application/json", typeof(ApiError))
            .Responds(507, "The upload would leave the downloads folder's disk less than 5 % free (at most 64 MiB): refused, nothing kept", typeof(ApiError));

        api.MapGet("/torrents/{infoHash}/torrent", ([Description(TorrentApi.HashDescription)] string infoHash) =>
            {
                var torrent = torrents.Get(infoHash);
                return Results.File(torrents.TorrentFileOf(torrent), "application/x-bittorrent", torrent.Torrent.Name + ".torrent");
            })
            .WithName("GetTorrentFile").WithSummary("The torrent's .torrent file (the copy the server keeps), as an attachment named after it")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Responses ??= [];
                operation.Responses["200"] = new OpenApiResponse
                {
                    Description = "The .torrent file",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/x-bittorrent"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } } },
                };
                return Task.CompletedTask;
            })
            .RespondsNotFound();
    }

    /// <summary>Documents the multipart form of a share: the option fields, then the files.</summary>
    private static RouteHandlerBuilder AcceptsShareUpload(this RouteHandlerBuilder route) =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            var body = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody();
            body.Required = true;
            body.Content ??= new Dictionary<string, OpenApiMediaType>();
            body.Content["multipart/form-data"] = new OpenApiMediaType { Schema = FormSchema() };
            body.Description = "An upload (multipart: the option fields, then the files) or, as JSON, data already below the downloads folder";
            body.Content = body.Content.OrderBy(c => c.Key == "application/json" ? 1 : 0).ToDictionary(); // the upload first
            operation.RequestBody = body;
            return Task.CompletedTask;
        });

    private static OpenApiSchema FormSchema()
    {
        static OpenApiSchema Text(string description, JsonSchemaType type = JsonSchemaType.String) => new() { Type = type, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "file" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["tracker"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text("http, https or udp URL"),
                    Description = "A tracker tier (BEP 12), URLs joined by ',' (torrentlab create's --tracker); repeat for backup tiers" },
                ["pieceLength"] = Text("Bytes per piece: a power of two from 16384 to 16777216 (default automatic)", JsonSchemaType.Integer),
                ["private"] = Text("Set the private flag, BEP 27: true or false (default false)", JsonSchemaType.Boolean),
                ["format"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["v1", "v2", "hybrid"], Description = "v1 (default), v2 or hybrid (BEP 52)" },
                ["comment"] = Text("A comment stored in the torrent"),
                ["webSeed"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Text("http or https URL"), Description = "A BEP 19 web seed; repeat for more" },
                ["folder"] = Text("The save folder: relative to the downloads folder, or an absolute path inside it (default the downloads folder)"),
                ["file"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                    Description = "After the options: the file, or each file of a folder with its path inside the folder as its file name ('photos/2024/a.jpg')",
                },
            },
        };
    }
}
