using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Web;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab add SOURCE --downloads DIR [--complete] [--paused]</c>: adds a torrent (a .torrent file, a
/// magnet link or an http/https URL) to the list a <c>torrentlab serve --downloads DIR</c> keeps, as transmission-remote
/// <c>-a</c> and qBittorrent's add do. A serve running on that list is reached through its REST API (the address and
/// token it announced beside its lock, <see cref="ServeListLock.Announce"/>); without one, the list is written directly,
/// as <c>torrentlab import</c> writes it.</summary>
internal static class AddCommand
{
    private const long MaxTorrentBytes = 10 * 1024 * 1024; // serve's own limit for an upload (WebServerOptions.MaxTorrentBytes)

    public static Command Create()
    {
        var source = new Argument<string>("SOURCE") { Description = "A .torrent file, a magnet link, or the http/https URL of a .torrent" }.NotAnOption();
        var downloads = new Option<string>("--downloads")
        {
            Description = "The serve list to add to: the --downloads folder of torrentlab serve, where the torrent's data goes",
            DefaultValueFactory = _ => "downloads",
        }.FolderNotFile();
        var complete = new Option<bool>("--complete")
        {
            Description = "The data is in the downloads folder already: when every file is there at its full size, record it complete without hashing "
                + "(the page's 'files are already complete', skipChecking); a file missing or of another size is checked instead, and named",
        };
        var paused = new Option<bool>("--paused") { Description = "Add it paused (by default it starts, at once or when serve next starts)" };
        var command = new Command("add", "Add a torrent to the list of torrentlab serve --downloads DIR: through the running serve, or into its list while it is stopped.")
        {
            source, downloads, complete, paused,
        };
        return command.WithAction((parse, ct) =>
            RunAsync(parse.GetValue(source)!.Trim(), Path.GetFullPath(parse.GetValue(downloads)!), parse.GetValue(complete), parse.GetValue(paused), ct));
    }

    private static async Task<int> RunAsync(string source, string downloads, bool complete, bool paused, CancellationToken ct)
    {
        var link = TorrentClient.IsMagnet(source) || IsUrl(source);
        // A file is read here, before anything else: a missing one or a folder is the same line and exit code as for
        // every command that reads a .torrent, whether or not a serve runs.
        var bytes = link ? null : await ReadFileAsync(source, ct).ConfigureAwait(false);
        if (bytes is not null) TorrentLab.Metainfo.Torrent.Parse(bytes); // not a torrent: refused (exit 3) before the list's folder is touched
        using (var probe = ServeListLock.Take(downloads))
        {
            if (probe is null) return await ThroughServeAsync(source, bytes, downloads, complete, paused, ct).ConfigureAwait(false);
        }
        IReadOnlyList<IPEndPoint> peers = [];
        if (link) (bytes, peers) = await FetchAsync(source, downloads, ct).ConfigureAwait(false);
        ListAddResult added;
        try
        {
            added = await ServeListAdd.IntoListAsync(bytes!, peers, downloads, complete, paused, ct).ConfigureAwait(false);
        }
        catch (ListInUseException) // a serve started meanwhile
        {
            return await ThroughServeAsync(source, bytes, downloads, complete, paused, ct).ConfigureAwait(false);
        }
        catch (WebApiException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.StatusCode == 400 ? ExitCodes.BadInput : ExitCodes.Failed;
        }
        var start = paused ? "paused" : "starts when serve starts";
        var data = added.Data switch
        {
            AdoptedData.CompleteNotHashed => "complete, not hashed (every file at its full size); ",
            AdoptedData.NeedsCheck => $"not complete: {Misfits(added.Misfits)}: checked when it starts; ",
            _ => "",
        };
        Console.Out.WriteLine($"added '{Clean(added.Torrent.Name)}' ({added.Torrent.InfoHash.Hex}) to the serve list of {downloads}: {data}{start}");
        return ExitCodes.Ok;
    }

    /// <summary>Adds through the serve that holds the list: <c>POST /api/torrents</c> (a file's bytes) or
    /// <c>POST /api/torrents/link</c> (the server fetches the link), with <c>skipChecking</c> for "complete".</summary>
    private static async Task<int> ThroughServeAsync(string source, byte[]? bytes, string downloads, bool complete, bool paused, CancellationToken ct)
    {
        if (ServeListLock.ReadAddress(downloads) is not { } address)
        {
            Console.Error.WriteLine($"error: the serve list of '{downloads}' is in use by a running torrentlab serve that does not say where it answers "
                + $"({ServeListLock.AddressPathFor(downloads)}): add the torrent on its page, or with POST /api/torrents{(complete ? "?skipChecking=true" : "")}");
            return ExitCodes.Failed;
        }
        var (url, token) = address;
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // a torrent whose files are not whole is checked before the answer; Ctrl-C ends the wait
        };
        using var request = bytes is not null
            ? new HttpRequestMessage(HttpMethod.Post, $"{url}/api/torrents?start={(paused ? "false" : "true")}&skipChecking={(complete ? "true" : "false")}")
            {
                Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-bittorrent") } },
            }
            : new HttpRequestMessage(HttpMethod.Post, $"{url}/api/torrents/link")
            {
                Content = new StringContent(new JsonObject { ["link"] = source, ["start"] = !paused, ["skipChecking"] = complete }.ToJsonString(),
                    System.Text.Encoding.UTF8, "application/json"),
            };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"error: the serve list of '{downloads}' is held by a torrentlab serve that cannot be reached at {url} ({Clean(e.Message)})");
            return ExitCodes.ServeUnreachable;
        }
        using (response)
        {
            if (response.StatusCode != HttpStatusCode.Created)
            {
                var why = await ErrorOf(response, ct).ConfigureAwait(false);
                Console.Error.WriteLine($"error: torrentlab serve at {url} did not add it: {(int)response.StatusCode} {why}");
                return response.StatusCode switch
                {
                    HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge => ExitCodes.BadInput,
                    HttpStatusCode.NotFound => ExitCodes.Io,
                    _ => ExitCodes.Failed,
                };
            }
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            var added = answer.RootElement;
            var (infoHash, pieces, done) = (ServeQuery.Text(added, "infoHash"), added.GetProperty("pieceCount").GetInt32(), added.GetProperty("piecesDone").GetInt32());
            var data = "";
            if (complete)
            {
                // Its files as the server sees them: in the downloads folder, as the copy of its .torrent beside the list names them.
                var torrent = TorrentLab.Metainfo.Torrent.Load(Path.Combine(downloads, TorrentClient.StateFolder, "web", infoHash + ".torrent"));
                var misfits = ServeListAdd.Misfits(torrent, downloads);
                data = misfits.Count == 0 && done == pieces
                    ? "complete, not hashed (every file at its full size); "
                    : $"not complete: {Misfits(misfits)}: checked, {done} of {pieces} pieces good; ";
            }
            Console.Out.WriteLine($"added '{ServeQuery.Text(added, "name")}' ({infoHash}) to the torrentlab serve running at {url}: {data}{(paused ? "paused" : ServeQuery.Text(added, "state"))}");
            return ExitCodes.Ok;
        }
    }

    /// <summary>A magnet link's metadata from its peers (its trackers and the DHT), or a URL's .torrent, for a list
    /// written directly.</summary>
    private static async Task<(byte[] Bytes, IReadOnlyList<IPEndPoint> Peers)> FetchAsync(string link, string downloads, CancellationToken ct)
    {
        if (!TorrentClient.IsMagnet(link)) return (await TorrentClient.FetchTorrentFileAsync(link, MaxTorrentBytes, ct).ConfigureAwait(false), []);
        var options = new DownloadOptions
        {
            OutputDirectory = downloads,
            Session = new SessionSettings { DhtStatePath = TorrentClient.DhtStatePathIn(downloads) },
            StallTimeout = DownloadSettings.ClassroomStall, // ends, as magnet_info does, rather than wait for peers forever
            Waiting = line => Console.Error.WriteLine(Clean(line)),
        };
        var magnet = await TorrentClient.FetchMagnetAsync(link, options, ct).ConfigureAwait(false);
        return (magnet.File, magnet.Peers);
    }

    private static async Task<byte[]> ReadFileAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException(null, Path.GetFullPath(path)); // "... is a folder, not a file", 4
        if (!File.Exists(path) && !path.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"'{Clean(path)}' is neither an existing .torrent file, a magnet link nor an http/https URL");
        return await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
    }

    private static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static string Misfits(IReadOnlyList<string> misfits) =>
        misfits.Count == 0 ? "a piece failed its hash" : Clean(string.Join(", ", misfits.Take(10)) + (misfits.Count > 10 ? $" and {misfits.Count - 10} more" : ""));

    private static async Task<string> ErrorOf(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            return ServeQuery.Text(error.RootElement, "error");
        }
        catch (JsonException) { return Clean(response.ReasonPhrase ?? ""); }
    }

    private static string Clean(string text) => UntrustedText.Clean(text, 1000);
}
