using System.Globalization;
using TorrentLab.Client;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Web;

/// <summary>What became of one torrent of the imported folder.</summary>
/// <param name="Name">The torrent's name (or the state file's, when it could not be read).</param>
/// <param name="Imported">True when it is in the list now.</param>
/// <param name="Line">One line for the user: what was kept, and how its data was taken (or why it was not imported).</param>
/// <param name="Data">How its data was taken; null when it was not imported.</param>
public sealed record ImportResult(string Name, bool Imported, string Line, AdoptedData? Data = null);

/// <summary>A serve list that a running <c>torrentlab serve</c> holds: the command-line import refuses it.</summary>
public sealed class ListInUseException(string message) : TorrentLabException(message);

/// <summary>Moves the torrents of another client (qBittorrent's <c>BT_backup</c>, Transmission's config folder) into a
/// serve list: each with its save folder, category and tags, file selection and priorities, limits, added date and
/// progress, started or paused as it was. Its data is taken by <see cref="TorrentClient.AdoptFilesAsync"/>'s rule: a
/// whole torrent whose files have their full sizes is not hashed, a partial one has only its claimed pieces hashed,
/// one whose files are missing or of another size is checked when it starts.</summary>
/// <remarks>Two ways in, one rule: <see cref="IntoListAsync"/> writes the list of a server that is not running (the
/// command line; a running <c>torrentlab serve</c> holds <see cref="ServeListLock"/> and the import is refused), and
/// <see cref="IntoAsync"/> adds to a running server (the page).</remarks>
public static class ClientImport
{
    /// <summary>The torrents of a state folder.</summary>
    /// <exception cref="ImportException">The folder is missing (<see cref="ImportException.NotFound"/>) or not that client's.</exception>
    public static IReadOnlyList<ImportCandidate> Read(ClientKind kind, string path) => kind switch
    {
        ClientKind.QBittorrent => QBittorrentResume.ReadFolder(path),
        ClientKind.Transmission => TransmissionResume.ReadFolder(path),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Imports into the list of the server whose downloads folder is <paramref name="downloads"/>, while no
    /// server runs on it.</summary>
    /// <exception cref="ImportException">The folder is missing or not that client's.</exception>
    /// <exception cref="ListInUseException">A running server holds the list.</exception>
    /// <exception cref="IOException">The list cannot be read (not ours, or of another version) or written.</exception>
    public static async Task<IReadOnlyList<ImportResult>> IntoListAsync(ClientKind kind, string path, string downloads, bool recheck,
        Action<string>? log = null, CancellationToken ct = default)
    {
        var candidates = Read(kind, path);
        downloads = DataPlaces.FullPath(downloads);
        Directory.CreateDirectory(downloads);
        using var hold = ServeListLock.Take(downloads)
            ?? throw new ListInUseException($"the serve list of '{downloads}' is in use by a running torrentlab serve: stop it first, or import from its page (Import from another client)");
        var store = new TorrentListStore(downloads);
        var entries = store.Load(log).ToList();
        var places = PlacesOf(store, entries, downloads);
        var results = new List<ImportResult>();
        var categories = store.LoadedCategories.ToList();
        var tags = store.LoadedTags.ToList();
        foreach (var candidate in candidates)
        {
            if (candidate.Torrent is not { } imported) { results.Add(NotImported(candidate.Name, candidate.Problem!)); continue; }
            var torrent = imported.Torrent;
            if (entries.Any(e => e.InfoHash == torrent.InfoHash.Hex)) { results.Add(NotImported(torrent.Name, "already in the list")); continue; }
            try
            {
                var folder = places.SaveFolderOf(imported.SavePath);
                DataPlaces.CheckPaths(torrent, places.FolderPath(folder));
                places.CheckFree(torrent, folder);
                var report = await TorrentClient.AdoptFilesAsync(torrent, places.FolderPath(folder), imported.Have, imported.Priorities, recheck, ct).ConfigureAwait(false);
                store.SaveTorrent(torrent.InfoHash.Hex, imported.Bytes);
                places.Take(torrent, folder, torrent.InfoHash.Hex);
                entries.Add(EntryOf(imported, folder));
                if (imported.Category is { } category && !categories.Contains(category)) categories.Add(category);
                tags.AddRange(imported.Tags.Where(t => !tags.Contains(t)));
                results.Add(Imported(imported, folder, report));
            }
            catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
            {
                results.Add(NotImported(torrent.Name, e.Message));
            }
        }
        store.Save(entries, store.LoadedSettings, categories, store.LoadedLimits, store.LoadedAltSpeed, tags, store.LoadedCategoryLimits);
        return results;
    }

    /// <summary>The places the list's torrents hold already, so that no two torrents' data overlap.</summary>
    internal static DataPlaces PlacesOf(TorrentListStore store, IEnumerable<TorrentEntry> entries, string downloads)
    {
        var places = new DataPlaces(downloads);
        foreach (var entry in entries)
        {
            try { places.Take(Torrent.Load(store.TorrentPath(entry.InfoHash)), entry.Folder ?? "", entry.InfoHash); }
            catch (Exception e) when (e is IOException or TorrentLabException) { } // serve skips it with its own warning
        }
        return places;
    }

    /// <summary>Imports into a running server, each torrent added as the page adds one.</summary>
    /// <exception cref="ImportException">The folder is missing or not that client's.</exception>
    internal static async Task<IReadOnlyList<ImportResult>> IntoAsync(TorrentManager manager, ClientKind kind, string path, bool recheck,
        CancellationToken ct = default)
    {
        var results = new List<ImportResult>();
        foreach (var candidate in Read(kind, path))
        {
            if (candidate.Torrent is not { } imported) { results.Add(NotImported(candidate.Name, candidate.Problem!)); continue; }
            var torrent = imported.Torrent;
            string folder;
            try { folder = manager.ReservePlace(torrent, imported.SavePath); }
            catch (WebApiException e) { results.Add(NotImported(torrent.Name, e.Message)); continue; }
            try
            {
                var report = await TorrentClient.AdoptFilesAsync(torrent, manager.FolderPath(folder), imported.Have, imported.Priorities, recheck, ct).ConfigureAwait(false);
                manager.CommitImport(torrent, imported.Bytes, EntryOf(imported, folder));
                results.Add(Imported(imported, folder, report));
            }
            catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
            {
                if (e is not WebApiException) manager.LeavePlace(torrent, folder); // CommitImport gave it back itself
                results.Add(NotImported(torrent.Name, e.Message));
            }
        }
        return results;
    }

    /// <summary>The summary line: how many were imported, how many not.</summary>
    public static string Summary(IReadOnlyList<ImportResult> results)
    {
        var imported = results.Count(r => r.Imported);
        var checking = results.Count(r => r.Data == AdoptedData.NeedsCheck);
        return $"imported {imported} of {results.Count} torrent(s)" + (checking > 0 ? $", {checking} to be checked" : "")
            + (imported < results.Count ? $", {results.Count - imported} not imported" : "");
    }

    private static TorrentEntry EntryOf(ImportedTorrent t, string folder) =>
        new(t.Torrent.InfoHash.Hex, t.Torrent.Name, t.AddedAt, Running: !t.Paused, t.Priorities is { } priorities ? ManagedTorrent.Format(priorities) : null)
        {
            Folder = folder.Length == 0 ? null : folder,
            Category = t.Category,
            DownloadLimit = t.DownloadLimit,
            UploadLimit = t.UploadLimit,
            Uploaded = t.Uploaded,
            Remote = t.Tags.Count == 0 ? null : new RemoteEntry(Tags: t.Tags),
            // Both clients seed a finished torrent until stopped (their ratio limits are not taken): so does it here.
            Seeding = new SeedPolicy(Seed: true),
        };

    private static ImportResult NotImported(string name, string why) => new(name, false, $"{name}: not imported: {why}");

    private static ImportResult Imported(ImportedTorrent t, string folder, AdoptReport report)
    {
        var kept = new List<string> { $"folder {(folder.Length == 0 ? "." : folder)}" };
        if (t.Category is { } category) kept.Add($"category {category}");
        if (t.Tags.Count > 0) kept.Add($"tags {string.Join(',', t.Tags)}");
        if (t.Priorities is { } priorities)
            kept.Add($"{priorities.Count(p => p != FilePriority.Skip)} of {priorities.Count} files, priorities");
        if (t.DownloadLimit is { } down) kept.Add($"download limit {down} B/s");
        if (t.UploadLimit is { } up) kept.Add($"upload limit {up} B/s");
        kept.Add(string.Create(CultureInfo.InvariantCulture, $"added {t.AddedAt:yyyy-MM-dd HH:mm}"));
        kept.Add(t.Paused ? "paused" : "started");
        kept.Add("seeds when complete");
        var torrent = t.Torrent;
        var wanted = PieceSelection.For(torrent, t.Priorities);
        var done = wanted.WantedIn(report.Have, torrent).Pieces;
        var percent = wanted.WantedCount == 0 ? 100 : 100.0 * done / wanted.WantedCount;
        var data = report.Kind switch
        {
            AdoptedData.NeedsCheck => "files missing or sized wrong: will be checked",
            _ when done == wanted.WantedCount => report.Kind == AdoptedData.CompleteNotHashed ? "complete, not hashed" : "complete, hashed",
            _ => string.Create(CultureInfo.InvariantCulture, $"partial: resumes at {percent:0.#} %")
                + (report.Kind == AdoptedData.ClaimedPiecesHashed && report.Have.Count < report.Claimed
                    ? $" ({report.Claimed - report.Have.Count} of the {report.Claimed} pieces it claimed failed their hash)" : ""),
        };
        return new(torrent.Name, true, $"{torrent.Name}: kept {string.Join(", ", kept)}; {data}", report.Kind);
    }
}
