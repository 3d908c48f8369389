using System.Runtime.InteropServices;
using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Web;

/// <summary>Where each torrent's data lies below the downloads folder: the save folders a request may name, and the
/// places taken, so that no two torrents' data overlap.</summary>
/// <remarks>Safety rule: a save folder is always inside the downloads folder once symbolic links are followed, never
/// inside TorrentLab's own <c>.torrentlab</c>, and no two torrents' data overlap (one torrent's files are never inside
/// another's top folder). The places are not guarded here: the list's lock guards them, so that a place is checked
/// and taken in one step with the list's own checks.</remarks>
/// <param name="downloads">The downloads folder, absolute (as <see cref="FullPath"/> spells it).</param>
internal sealed class DataPlaces(string downloads)
{
    private const int MaxFolderLength = 1024;  // a folder name to type, not a text
    // Where each torrent's data lies (DataPath) and how many such places each folder holds below it: a new place
    // overlaps another torrent's when it is one, lies below one, or holds one, each looked up in O(depth) (10,000
    // torrents checked against each other at a start would otherwise cost 50 million comparisons). A torrent being
    // moved holds its old place and its new one until the move ends.
    private readonly Dictionary<string, string> _places = new(StringComparer.Ordinal);     // data path -> info hash
    private readonly Dictionary<string, int> _placesBelow = new(StringComparer.Ordinal);   // folder -> places below it
    private readonly HashSet<string> _moving = new(StringComparer.Ordinal);                // info hashes being moved

    /// <summary>The full path of <paramref name="folder"/> without a trailing separator, as the library spells an output
    /// folder: the downloads folder is kept so, and every save folder's path is built from it.</summary>
    internal static string FullPath(string folder) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));

    /// <summary>The absolute path of a save folder (relative, as <see cref="SaveFolderOf"/> gives it).</summary>
    public string FolderPath(string saveFolder) => saveFolder.Length == 0 ? downloads : Path.Combine(downloads, saveFolder);

    /// <summary>The save folder a request names, relative to the downloads folder with '/' ("" for the downloads folder
    /// itself): a relative path is taken below the downloads folder, an absolute one must lead inside it.</summary>
    /// <exception cref="WebApiException">400: outside the downloads folder (symbolic links followed), inside
    /// <c>.torrentlab</c>, a control character, or too long.</exception>
    public string SaveFolderOf(string? folder)
    {
        if (string.IsNullOrEmpty(folder)) return "";
        if (folder.Length > MaxFolderLength || folder.Any(char.IsControl))
            throw new WebApiException(400, $"a folder is at most {MaxFolderLength} characters without control characters, got '{UntrustedText.Clean(folder, 60)}'");
        // The message names the folder as given: where a link leads is the server's business.
        return TorrentClient.FolderBelow(downloads, folder)
            ?? throw new WebApiException(400, $"folder '{UntrustedText.Clean(folder, 120)}' is not inside the downloads folder (symbolic links followed) " +
                $"or is inside TorrentLab's own '{TorrentClient.StateFolder}': every save folder must be inside the downloads folder");
    }

    /// <summary>Refuses a torrent whose files could not be written where they belong: named like our state folder,
    /// or leading outside the downloads folder through a symbolic link already there.</summary>
    /// <exception cref="WebApiException">400 for the reserved name, 409 for a link out of the downloads folder.</exception>
    public static void CheckPaths(Torrent torrent, string folder)
    {
        if (torrent.Files.Any(f => f.PathSegments.Count > 0 && f.PathSegments[0] == TorrentClient.StateFolder))
            throw new WebApiException(400, $"the name '{TorrentClient.StateFolder}' is reserved for TorrentLab's own files: this torrent cannot be downloaded here");
        // The message names the relative path only: where a link points is the server's business.
        if (TorrentClient.PathLeavingFolder(torrent, folder) is { } leaving)
            throw new WebApiException(409, $"'{leaving}' would be written outside the downloads folder (through a symbolic link); remove the link or rename it");
    }

    /// <summary>Where a torrent's data lies, relative to the downloads folder: its folder, then its file or top folder.</summary>
    public static string DataPath(Torrent torrent, string folder)
    {
        var top = torrent.Files[0].PathSegments[0];
        return folder.Length == 0 ? top : folder + "/" + top;
    }

    /// <summary>Refuses a place whose data would overlap another torrent's (its files inside the other's, or the same).</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="folder">Its save folder.</param>
    /// <param name="except">The info hash of a place not to count: the torrent's own.</param>
    /// <exception cref="WebApiException">409, naming the other torrent and its place.</exception>
    public void CheckFree(Torrent torrent, string folder, string? except = null)
    {
        var mine = DataPath(torrent, folder);
        var taken = Taken(mine);
        for (var i = mine.LastIndexOf('/'); taken is null && i > 0; i = mine.LastIndexOf('/', i - 1)) taken = Taken(mine[..i]);
        if (taken is null && _placesBelow.ContainsKey(mine)) // rare: a place below this one, found by a walk
            taken = _places.Where(p => p.Key.StartsWith(mine + "/", StringComparison.Ordinal) && p.Value != except).Select(p => p.Key).FirstOrDefault();
        if (taken is not null) throw new WebApiException(409, $"another torrent ({_places[taken]}) already downloads to '{taken}'");

        string? Taken(string path) => _places.TryGetValue(path, out var hash) && hash != except ? path : null;
    }

    /// <summary>Marks the torrent's place taken by <paramref name="infoHash"/>; taken again by the same torrent, only the
    /// text it is held under changes.</summary>
    public void Take(Torrent torrent, string folder, string infoHash)
    {
        var place = DataPath(torrent, folder);
        ref var holder = ref CollectionsMarshal.GetValueRefOrAddDefault(_places, place, out var existed);
        holder = infoHash; // the torrent's own text: ten thousand torrents hold no second copy
        if (existed) return;
        for (var i = place.LastIndexOf('/'); i > 0; i = place.LastIndexOf('/', i - 1))
            _placesBelow[place[..i]] = _placesBelow.GetValueOrDefault(place[..i]) + 1;
    }

    /// <summary>Frees the torrent's place in this folder.</summary>
    public void Leave(Torrent torrent, string folder)
    {
        var place = DataPath(torrent, folder);
        if (!_places.Remove(place)) return;
        for (var i = place.LastIndexOf('/'); i > 0; i = place.LastIndexOf('/', i - 1))
            if (--CollectionsMarshal.GetValueRefOrNullRef(_placesBelow, place[..i]) == 0) _placesBelow.Remove(place[..i]);
    }

    /// <summary>Marks the torrent as being moved: false when it is already.</summary>
    public bool BeginMove(string infoHash) => _moving.Add(infoHash);

    /// <summary>The torrent's move ended.</summary>
    public void EndMove(string infoHash) => _moving.Remove(infoHash);
}
