using System.CommandLine;
using TorrentLab.Web;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab import qbittorrent|transmission PATH --downloads DIR</c>: moves another client's torrents into
/// the list a <c>torrentlab serve --downloads DIR</c> keeps, while no serve runs on it.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import", "Import the torrents of another client into a serve list (run it while that serve is stopped).");
        command.Subcommands.Add(Client("qbittorrent", ClientKind.QBittorrent, "qBittorrent's BT_backup folder (HASH.torrent and HASH.fastresume files), e.g. ~/.local/share/qBittorrent/BT_backup"));
        command.Subcommands.Add(Client("transmission", ClientKind.Transmission, "Transmission's config folder (with torrents/ and resume/), e.g. ~/.config/transmission-daemon"));
        return command;
    }

    private static Command Client(string name, ClientKind kind, string pathDescription)
    {
        var path = new Argument<string>("PATH") { Description = pathDescription };
        var downloads = new Option<string>("--downloads") { Description = "The serve list to add to: the --downloads folder of torrentlab serve; every torrent's save folder must be inside it", DefaultValueFactory = _ => "downloads" }.FolderNotFile();
        var recheck = new Option<bool>("--recheck") { Description = "Hash every piece, whatever the other client recorded (by default data it had whole, at full size, is not hashed)" };
        var command = new Command(name, $"Import {(kind == ClientKind.QBittorrent ? "qBittorrent" : "Transmission")}'s torrents: save folder, category and tags, file selection and priorities, limits, added date, progress, started or paused.")
        {
            path, downloads, recheck,
        };
        return command.WithAction((parse, ct) => RunAsync(kind, parse.GetValue(path)!, parse.GetValue(downloads)!, parse.GetValue(recheck), ct));
    }

    private static async Task<int> RunAsync(ClientKind kind, string path, string downloads, bool recheck, CancellationToken ct)
    {
        IReadOnlyList<ImportResult> results;
        try
        {
            results = await ClientImport.IntoListAsync(kind, path, downloads, recheck, line => Console.Error.WriteLine(line), ct).ConfigureAwait(false);
        }
        catch (ImportException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.NotFound ? ExitCodes.Io : ExitCodes.BadInput;
        }
        catch (ListInUseException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        foreach (var result in results) Console.Out.WriteLine(result.Line);
        Console.Out.WriteLine(ClientImport.Summary(results));
        return results.All(r => r.Imported) ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
