using System.Text.Json;
using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>The saved list: one entry per added torrent.</summary>
/// <param name="InfoHash">The v1 info hash in hex (the copy of the .torrent is named after it).</param>
/// <param name="Name">The torrent's name, for a reader of the file.</param>
/// <param name="AddedAt">When it was added.</param>
/// <param name="Running">The user last started it (it resumes when the server starts).</param>
/// <param name="Priorities">The file selection, one digit per file as the resume ledger writes it (0 skip, 1 low,
/// 2 normal, 3 high); null when every file is wanted at normal priority.</param>
internal sealed record TorrentEntry(string InfoHash, string Name, DateTimeOffset AddedAt, bool Running, string? Priorities = null)
{
    /// <summary>The torrent's own seeding limits, when it has any.</summary>
    public SeedPolicy? Seeding { get; init; }

    /// <summary>Payload bytes uploaded so far, for the ratio.</summary>
    public long Uploaded { get; init; }

    /// <summary>Peers its magnet link named (<c>ip:port</c>), tried on every run.</summary>
    public IReadOnlyList<string>? Peers { get; init; }

    /// <summary>Its category (a Transmission label, a qBittorrent category), or null.</summary>
    public string? Category { get; init; }

    /// <summary>Its own download and upload limits in bytes per second; null when unlimited.</summary>
    public long? DownloadLimit { get; init; }
    public long? UploadLimit { get; init; }

    /// <summary>Its save folder relative to the downloads folder, with '/'; null for the downloads folder itself.</summary>
    public string? Folder { get; init; }

    /// <summary>The tracker tiers the user set; null while it announces to its .torrent's.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Trackers { get; init; }

    /// <summary>True when its pieces are fetched in order; null (false) otherwise.</summary>
    public bool? Sequential { get; init; }

    /// <summary>True when it super-seeds once complete (BEP 16); null (false) otherwise.</summary>
    public bool? SuperSeed { get; init; }

    /// <summary>Its own peer limit; null for the server's.</summary>
    public int? MaxPeers { get; init; }

    /// <summary>Its tags, shown name, completion and activity times (the remote-control APIs'); null when none.</summary>
    public RemoteEntry? Remote { get; init; }
}

/// <summary>The file format of the saved torrent list.</summary>
internal sealed record TorrentListDocument(int Version, IReadOnlyList<TorrentEntry> Torrents)
{
    /// <summary>The settings changed through the API (queue size, seeding defaults); null: the server's options.</summary>
    public WebSettings? Settings { get; init; }

    /// <summary>The categories the remote-control APIs created, used by a torrent or not; null when none.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>The global limits as last set through the page or a remote-control API; null when never set.</summary>
    public RateLimitSettings? Limits { get; init; }

    /// <summary>The alternative limits and their schedule; null when never changed from the defaults.</summary>
    public AltSpeedSettings? AltSpeed { get; init; }

    /// <summary>The tags created through the qBittorrent API or used by a torrent; null when none.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The share limits of categories that have any, by category; null when none.</summary>
    public IReadOnlyDictionary<string, CategoryLimits>? CategoryLimits { get; init; }
}

/// <summary>Keeps the web interface's torrents across restarts: <c>&lt;downloads&gt;/.torrentlab/web/torrents.json</c>
/// and a copy of each .torrent file beside it (<c>&lt;infohash&gt;.torrent</c>).</summary>
/// <remarks>Which pieces are verified is not kept here but in each torrent's resume ledger, so a crash loses nothing
/// that was verified. The list is written atomically (temporary file, flushed, renamed over the old one), so a crash
/// leaves the old list or the new one, never half of one.</remarks>
internal sealed class TorrentListStore
{
    public const int FormatVersion = 1;
    private readonly Lock _lock = new();

    public TorrentListStore(string downloads)
    {
        Folder = Path.Combine(downloads, TorrentClient.StateFolder, "web");
        ListPath = Path.Combine(Folder, "torrents.json");
    }

    public string Folder { get; }
    public string ListPath { get; }

    /// <summary>The settings the last <see cref="Load"/> found in the list, or null.</summary>
    public WebSettings? LoadedSettings { get; private set; }

    /// <summary>The categories the last <see cref="Load"/> found in the list (empty when none).</summary>
    public IReadOnlyList<string> LoadedCategories { get; private set; } = [];

    /// <summary>The global limits the last <see cref="Load"/> found in the list, or null.</summary>
    public RateLimitSettings? LoadedLimits { get; private set; }

    /// <summary>The alternative limits the last <see cref="Load"/> found in the list, or null.</summary>
    public AltSpeedSettings? LoadedAltSpeed { get; private set; }

    /// <summary>The tags the last <see cref="Load"/> found in the list (empty when none).</summary>
    public IReadOnlyList<string> LoadedTags { get; private set; } = [];

    /// <summary>The categories' share limits the last <see cref="Load"/> found in the list, or null.</summary>
    public IReadOnlyDictionary<string, CategoryLimits>? LoadedCategoryLimits { get; private set; }

    /// <summary>Where the copy of a torrent's .torrent file is kept.</summary>
    public string TorrentPath(string infoHash) => Path.Combine(Folder, infoHash + ".torrent");

    /// <summary>The saved entries, and a paused one for each .torrent copy the list does not name (a torrent added
    /// just before a crash: its copy is written at once, the list a moment later); empty when there is neither. An
    /// entry that is not an object of the expected shape is skipped with a warning; a list that is not JSON at all (cut
    /// short by a full disk) is kept aside as <c>torrents.json.damaged</c> and the torrents are recovered, paused, from
    /// the .torrent copies beside it.</summary>
    /// <exception cref="IOException">The list is not ours or of another format version (the server refuses to overwrite it).</exception>
    public IReadOnlyList<TorrentEntry> Load(Action<string>? log = null)
    {
        var listed = LoadList(log);
        if (!Directory.Exists(Folder)) return listed;
        var named = listed.Select(e => e.InfoHash).ToHashSet(StringComparer.Ordinal);
        var unlisted = Recover().Where(copy => !named.Contains(copy.InfoHash)).ToList();
        if (unlisted.Count == 0) return listed;
        if (listed.Count > 0 || File.Exists(ListPath))
            log?.Invoke($"warning: {unlisted.Count} torrent(s) with a .torrent copy in {Folder} but not in the list (added just before the server stopped?) come back paused");
        return [.. listed, .. unlisted.OrderBy(e => e.AddedAt)];
    }

    private IReadOnlyList<TorrentEntry> LoadList(Action<string>? log)
    {
        if (!File.Exists(ListPath)) return [];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(ListPath));
        }
        catch (JsonException e)
        {
            File.Copy(ListPath, ListPath + ".damaged", overwrite: true);
            log?.Invoke($"warning: {ListPath} is damaged ({e.Message}); kept as torrents.json.damaged, torrents recovered paused from their .torrent copies");
            return Recover();
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !root.TryGetProperty("torrents", out var torrents) || torrents.ValueKind != JsonValueKind.Array)
                throw new IOException($"{ListPath}: not a TorrentLab torrent list (expected {{\"version\": {FormatVersion}, \"torrents\": [...]}})");
            if (!version.TryGetInt32(out var number) || number != FormatVersion)
                throw new IOException($"{ListPath}: format {version}, this server reads {FormatVersion}");
            if (root.TryGetProperty("settings", out var settings) && settings.ValueKind == JsonValueKind.Object)
            {
                try { LoadedSettings = settings.Deserialize(WebJsonContext.Default.WebSettings); }
                catch (JsonException e) { log?.Invoke($"warning: {ListPath}: ignoring the saved settings: {e.Message}"); }
            }
            if (root.TryGetProperty("limits", out var limits) && limits.ValueKind == JsonValueKind.Object)
            {
                try { LoadedLimits = limits.Deserialize(WebJsonContext.Default.RateLimitSettings); }
                catch (JsonException e) { log?.Invoke($"warning: {ListPath}: ignoring the saved limits: {e.Message}"); }
            }
            if (root.TryGetProperty("altSpeed", out var alt) && alt.ValueKind == JsonValueKind.Object)
            {
                try { LoadedAltSpeed = alt.Deserialize(WebJsonContext.Default.AltSpeedSettings); }
                catch (JsonException e) { log?.Invoke($"warning: {ListPath}: ignoring the saved alternative limits: {e.Message}"); }
            }
            if (root.TryGetProperty("categories", out var categories) && categories.ValueKind == JsonValueKind.Array)
                LoadedCategories = [.. categories.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!)];
            if (root.TryGetProperty("categoryLimits", out var categoryLimits) && categoryLimits.ValueKind == JsonValueKind.Object)
            {
                try { LoadedCategoryLimits = categoryLimits.Deserialize(WebJsonContext.Default.IReadOnlyDictionaryStringCategoryLimits); }
                catch (JsonException e) { log?.Invoke($"warning: {ListPath}: ignoring the saved limits of categories: {e.Message}"); }
            }
            if (root.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array)
                LoadedTags = [.. tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)];
            var entries = new List<TorrentEntry>();
            var index = 0;
            foreach (var element in torrents.EnumerateArray())
            {
                try
                {
                    if (element.Deserialize(WebJsonContext.Default.TorrentEntry) is { } entry) entries.Add(entry);
                }
                catch (JsonException e)
                {
                    log?.Invoke($"warning: {ListPath}: skipping entry {index}: {e.Message}");
                }
                index++;
            }
            return entries;
        }
    }

    /// <summary>The settings saved in the list now (for a reload on SIGHUP), or null when the list or its settings are
    /// missing.</summary>
    /// <exception cref="IOException">The list cannot be read.</exception>
    /// <exception cref="JsonException">The list or its settings are not JSON of the expected shape.</exception>
    public WebSettings? ReadSettings()
    {
        if (!File.Exists(ListPath)) return null;
        using var document = JsonDocument.Parse(File.ReadAllBytes(ListPath));
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("settings", out var settings)
            && settings.ValueKind == JsonValueKind.Object ? settings.Deserialize(WebJsonContext.Default.WebSettings) : null;
    }

    // Every <40 or 64 hex>.torrent copy, as a paused entry added when the copy was written.
    private List<TorrentEntry> Recover() =>
    [
        .. Directory.EnumerateFiles(Folder, "*.torrent")
            .Select(path => (Path: path, Hash: Path.GetFileNameWithoutExtension(path)))
            .Where(copy => TorrentManager.IsInfoHash(copy.Hash) && copy.Hash == copy.Hash.ToLowerInvariant())
            .Select(copy => new TorrentEntry(copy.Hash, "", new DateTimeOffset(File.GetLastWriteTimeUtc(copy.Path)), false)),
    ];

    /// <summary>Replaces the saved list, atomically.</summary>
    public void Save(IReadOnlyList<TorrentEntry> entries, WebSettings? settings = null, IReadOnlyList<string>? categories = null,
        RateLimitSettings? limits = null, AltSpeedSettings? altSpeed = null, IReadOnlyList<string>? tags = null,
        IReadOnlyDictionary<string, CategoryLimits>? categoryLimits = null)
    {
        lock (_lock)
        {
            FlushCopiesLocked(); // before the list that names them: a listed torrent's copy is on disk
            Directory.CreateDirectory(Folder);
            var temp = ListPath + ".tmp";
            using (var stream = AtomicFile.CreateTemporary(temp))
            {
                JsonSerializer.Serialize(stream, new TorrentListDocument(FormatVersion, entries)
                {
                    Settings = settings, Categories = categories is { Count: > 0 } ? categories : null, Limits = limits, AltSpeed = altSpeed,
                    Tags = tags is { Count: > 0 } ? tags : null, CategoryLimits = categoryLimits is { Count: > 0 } ? categoryLimits : null,
                }, WebJsonContext.Default.TorrentListDocument);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, ListPath, overwrite: true);
        }
    }

    /// <summary>Keeps a copy of the .torrent bytes (written atomically too). It is in the page cache when this
    /// returns, which outlives the process (a Ctrl-C, a kill: <see cref="Load"/> finds an unlisted copy); it is flushed
    /// to disk by the next <see cref="Save"/>, before the list that names it, so many adds share the wait for the disk
    /// as they share the list's write. A power cut before then loses the add (a copy left empty is skipped with a
    /// warning), as it loses any change the list had not saved yet.</summary>
    public void SaveTorrent(string infoHash, byte[] bytes)
    {
        Directory.CreateDirectory(Folder);
        var path = TorrentPath(infoHash);
        var temp = path + ".tmp";
        using (var stream = AtomicFile.CreateTemporary(temp))
            stream.Write(bytes);
        File.Move(temp, path, overwrite: true);
        lock (_copiesLock) _unflushedCopies.Add(path);
    }

    private readonly Lock _copiesLock = new(); // its own: adds go on while a save waits for the disk
    private HashSet<string> _unflushedCopies = new(StringComparer.Ordinal);

    // Flushes the copies written so far; one that cannot be flushed is kept for the next save (the list is not written).
    private void FlushCopiesLocked()
    {
        HashSet<string> copies;
        lock (_copiesLock) (copies, _unflushedCopies) = (_unflushedCopies, new(StringComparer.Ordinal));
        try
        {
            foreach (var path in copies.ToList())
            {
                try
                {
                    using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
                    RandomAccess.FlushToDisk(handle);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { } // removed since
                copies.Remove(path);
            }
        }
        finally
        {
            if (copies.Count > 0) lock (_copiesLock) _unflushedCopies.UnionWith(copies);
        }
    }

    public void DeleteTorrent(string infoHash) => File.Delete(TorrentPath(infoHash));
}
