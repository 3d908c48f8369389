using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>What <see cref="ServeListAdd.IntoListAsync"/> added.</summary>
/// <param name="Torrent">The torrent.</param>
/// <param name="Data">With "complete": how its data was taken (complete, not hashed; or to be checked); null without.</param>
/// <param name="Misfits">With "complete": each file missing or of another size, as <see cref="ServeListAdd.Misfits"/> names it.</param>
public sealed record ListAddResult(Torrent Torrent, AdoptedData? Data, IReadOnlyList<string> Misfits);

/// <summary>Adds one torrent to the list of a <c>torrentlab serve</c> that is not running (<c>torrentlab add</c>), into
/// its downloads folder: started when serve next starts, or paused. With "complete", its data is taken by the rule of
/// the import and of the page's "files are already complete" (<see cref="TorrentClient.AdoptFilesAsync"/> with every
/// piece claimed): every file there at its full size is recorded complete without hashing; a file missing or of
/// another size records nothing, and serve checks the torrent when it starts.</summary>
public static class ServeListAdd
{
    /// <exception cref="ListInUseException">A running server holds the list.</exception>
    /// <exception cref="WebApiException">409: the torrent is in the list already, or another's data is where its would
    /// go; 400 or 409: its files could not be written inside the downloads folder.</exception>
    /// <exception cref="IOException">The list cannot be read (not ours, or of another version) or written.</exception>
    public static async Task<ListAddResult> IntoListAsync(byte[] bytes, IReadOnlyList<IPEndPoint> peers, string downloads, bool complete, bool paused,
        CancellationToken ct = default)
    {
        var torrent = Torrent.Parse(bytes);
        downloads = DataPlaces.FullPath(downloads);
        Directory.CreateDirectory(downloads);
        using var hold = ServeListLock.Take(downloads)
            ?? throw new ListInUseException($"the serve list of '{downloads}' is in use by a running torrentlab serve");
        var store = new TorrentListStore(downloads);
        var entries = store.Load().ToList();
        var hash = torrent.InfoHash.Hex;
        if (entries.Any(e => e.InfoHash == hash)) throw new WebApiException(409, $"torrent '{torrent.Name}' ({hash}) is already in the list");
        DataPlaces.CheckPaths(torrent, downloads);
        ClientImport.PlacesOf(store, entries, downloads).CheckFree(torrent, "");
        var report = complete
            ? await TorrentClient.AdoptFilesAsync(torrent, downloads, Bitfield.Full(torrent.PieceCount), null, recheck: false, ct).ConfigureAwait(false)
            : null;
        store.SaveTorrent(hash, bytes);
        entries.Add(new TorrentEntry(hash, torrent.Name, DateTimeOffset.UtcNow, Running: !paused)
        {
            Peers = peers.Count == 0 ? null : [.. peers.Select(p => p.ToString())],
        });
        store.Save(entries, store.LoadedSettings, store.LoadedCategories, store.LoadedLimits, store.LoadedAltSpeed, store.LoadedTags, store.LoadedCategoryLimits);
        return new(torrent, report?.Kind, complete ? Misfits(torrent, downloads) : []);
    }

    /// <summary>The torrent's files in <paramref name="folder"/> that are missing or not at their full size, each as
    /// <c>PATH (missing)</c> or <c>PATH (SIZE bytes, expected LENGTH)</c>: why "complete" was not taken on its word.</summary>
    public static IReadOnlyList<string> Misfits(Torrent torrent, string folder)
    {
        var misfits = new List<string>();
        foreach (var file in torrent.Files.Where(f => !f.IsPadding)) // BEP 47: pad files are not on disk
        {
            var info = new FileInfo(Path.Combine(folder, file.RelativePath));
            if (!info.Exists) misfits.Add($"{file.DisplayPath} (missing)");
            else if (info.Length != file.Length) misfits.Add($"{file.DisplayPath} ({info.Length} bytes, expected {file.Length})");
        }
        return misfits;
    }
}
