using System.Text.RegularExpressions;
using TorrentLab.Client;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;

namespace TorrentLab.Web;

/// <summary>Sharing: a torrent made of a file or folder below the downloads folder by the library's
/// <see cref="TorrentBuilder"/> (what <c>torrentlab create</c> runs), added complete without hashing the data a second
/// time, and seeded at once whatever the seeding default for downloads (<c>--seed</c>) says.</summary>
/// <param name="torrents">The list a share is added to.</param>
/// <param name="options">The server's options for every torrent: the engine they pick.</param>
/// <param name="save">Saves the list after a change.</param>
internal sealed partial class TorrentShares(TorrentManager torrents, Func<DownloadOptions> options, Action save)
{
    /// <summary>A share seeds until it is paused or removed: the server's seeding limits for downloads do not apply to
    /// it (0: no limit). Its own can be set as any torrent's.</summary>
    internal static SeedPolicy Seeding { get; } = new(Seed: true, Ratio: 0, Minutes: 0);

    /// <summary>Refuses a share this server could not seed: the single-peer reference engine (<c>--max-peers 1</c>)
    /// only downloads.</summary>
    /// <exception cref="WebApiException">409.</exception>
    public void RequireSeedingEngine()
    {
        if (TorrentClient.EngineFor(options()) != DownloadEngine.Swarm)
            throw new WebApiException(409, "this server runs the single-peer reference engine (--max-peers 1), which only downloads: " +
                "start serve with --max-peers 2 or more to share");
    }

    /// <summary>Makes a torrent of <paramref name="name"/>, a file or folder in the folder <paramref name="source"/>;
    /// when <paramref name="source"/> is not the save folder (an upload waiting in TorrentLab's own folder), moves the
    /// data into the save folder; adds the torrent complete and seeds it.</summary>
    /// <param name="source">The absolute folder holding the data now.</param>
    /// <param name="name">The file or folder: the torrent's name.</param>
    /// <param name="saveFolder">The save folder, as <see cref="TorrentManager.SaveFolderOf"/> gives it.</param>
    /// <param name="createOptions">The options of <c>torrentlab create</c>.</param>
    /// <param name="shown">The data's place relative to the downloads folder, for errors (never the server's absolute path).</param>
    /// <param name="ct">Stops the hashing, the move and the add; what was done is undone.</param>
    /// <exception cref="WebApiException">400 the data cannot be made a torrent (a link out of it, a special file, no
    /// bytes) or is named like TorrentLab's own folder; 409 the torrent is added already, another torrent's data is
    /// there, or a file is in the way.</exception>
    public async Task<ManagedTorrent> ShareAsync(string source, string name, string saveFolder, TorrentCreateOptions createOptions, string shown,
        CancellationToken ct)
    {
        RequireSeedingEngine();
        if (name == TorrentClient.StateFolder)
            throw new WebApiException(400, $"the name '{TorrentClient.StateFolder}' is reserved for TorrentLab's own files: it cannot be shared");
        byte[] bytes;
        try
        {
            bytes = await TorrentBuilder.CreateAsync(Path.Combine(source, name), createOptions, null, ct).ConfigureAwait(false);
        }
        catch (CreationException e)
        {
            var why = HidePaths(e.Message, Path.Combine(source, name), shown);
            throw new WebApiException(400, e.Path is null ? $"cannot share '{shown}': {why}" : $"cannot share: {why}", e);
        }
        catch (FileNotFoundException e)
        {
            throw new WebApiException(404, $"no file or folder '{shown}' in the downloads folder", e);
        }
        var torrent = Torrent.Parse(bytes);
        var destination = torrents.FolderPath(saveFolder);
        var staged = !string.Equals(Path.GetFullPath(source), Path.GetFullPath(destination), StringComparison.Ordinal);
        torrents.ReservePlace(torrent, saveFolder); // 409 when it is added already, or its place is another torrent's
        try
        {
            if (staged) await TorrentClient.MoveDataAsync(torrent, source, destination, ct).ConfigureAwait(false);
        }
        catch
        {
            // The move undid itself: the data is whole where it was, and its place is free again.
            torrents.Abandon(new PreparedAdd(torrent, bytes, saveFolder, null));
            throw;
        }
        var moved = staged;
        PreparedAdd prepared;
        try
        {
            // The data was hashed a moment ago: each file at its full length is taken as it is (skip checking). A
            // failure gives the place back.
            prepared = await torrents.CheckReservedAsync(torrent, bytes, saveFolder, start: true, skipChecking: true, ct).ConfigureAwait(false);
        }
        catch
        {
            if (moved) TorrentClient.DeleteData(torrent, destination); // the upload's own files: nothing is left behind
            throw;
        }
        if (prepared.Known is not { } known || known.Pieces.CountOf(PieceState.Verified) != torrent.PieceCount)
        {
            // A name the torrent cannot keep as it is on disk (its files were not found where it expects them).
            torrents.Abandon(prepared);
            if (moved) TorrentClient.DeleteData(torrent, destination);
            throw new WebApiException(400, $"cannot share '{shown}': its files are not where a torrent of it expects them");
        }
        ManagedTorrent managed;
        try
        {
            managed = torrents.CommitAdd(prepared, start: false, []);
        }
        catch
        {
            if (moved) TorrentClient.DeleteData(torrent, destination);
            throw;
        }
        managed.Seeding = Seeding;
        torrents.Queue.Enqueue(managed);
        save();
        torrents.Queue.Pump();
        return managed;
    }

    /// <summary>A creation error without the server's paths: the data as the request named it (relative to the downloads
    /// folder), any other absolute path (a link's target) as "a path outside it".</summary>
    private static string HidePaths(string message, string data, string shown) =>
        AbsolutePath().Replace(message.Replace(data, shown, StringComparison.Ordinal), "a path outside it");

    [GeneratedRegex(@"(?<![\w.])/[^\s:;,'""()]+")]
    private static partial Regex AbsolutePath();
}
