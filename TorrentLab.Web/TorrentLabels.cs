namespace TorrentLab.Web;

/// <summary>The server's categories and tags: the names created or in use, each torrent's, and the rules a name follows.</summary>
/// <remarks>A torrent has one category (qBittorrent's categories) and any number of tags (qBittorrent's tags).
/// Transmission's labels are both on one list: the category first, then the tags (<see cref="LabelsOf"/>,
/// <see cref="SetLabels"/>), so every API and the page see the same names.</remarks>
/// <param name="torrents">Every torrent of the list now: those a deleted name is taken from.</param>
/// <param name="save">Saves the list after a change.</param>
/// <param name="limitsChanged">Called for a torrent whose category's share limits now differ (a move to another
/// category, or a change of its category's limits): a running one takes them at once.</param>
internal sealed partial class TorrentLabels(Func<IReadOnlyList<ManagedTorrent>> torrents, Action save, Action<ManagedTorrent>? limitsChanged = null)
{
    private const int MaxCategoryLength = 100; // a name for a list, not a text
    private const int MaxTagLength = 100;
    private readonly Lock _lock = new();
    private readonly SortedSet<string> _categories = new(StringComparer.Ordinal); // guarded by _lock
    private readonly SortedSet<string> _tags = new(StringComparer.Ordinal); // guarded by _lock: created or used

    /// <summary>Every category, in order: those created and those a torrent has.</summary>
    public IReadOnlyList<string> Categories
    {
        get { lock (_lock) return [.. _categories]; }
    }

    /// <summary>Every tag, in order: those created and those a torrent has.</summary>
    public IReadOnlyList<string> Tags
    {
        get { lock (_lock) return [.. _tags]; }
    }

    /// <summary>The tags to save (null when none).</summary>
    public IReadOnlyList<string>? TagsToSave
    {
        get { lock (_lock) return _tags.Count == 0 ? null : [.. _tags]; }
    }

    /// <summary>Takes the saved categories and tags at a start; names that are not valid are left out.</summary>
    public void Load(IEnumerable<string> categories, IEnumerable<string> tags, IReadOnlyDictionary<string, CategoryLimits>? limits = null)
    {
        lock (_lock)
        {
            foreach (var category in categories) if (ValidCategory(category)) _categories.Add(category);
            foreach (var tag in tags) if (ValidTag(tag)) _tags.Add(tag);
            LoadLimitsLocked(limits);
        }
    }

    /// <summary>Takes a saved torrent's names at a start: its tags, and its saved category when that is valid.</summary>
    public void Load(ManagedTorrent torrent, string? category)
    {
        lock (_lock) _tags.UnionWith(torrent.Tags);
        if (category is not null && ValidCategory(category))
        {
            torrent.Category = category;
            lock (_lock) _categories.Add(category);
        }
    }

    /// <summary>Creates a category (nothing happens when it exists).</summary>
    /// <exception cref="WebApiException">400: an empty name, a control character, or longer than 100 characters.</exception>
    public void CreateCategory(string name)
    {
        RequireValidCategory(name);
        lock (_lock)
            if (!_categories.Add(name)) return;
        save();
    }

    /// <summary>Puts the torrent in a category (created when missing), or in none with null or "".</summary>
    /// <exception cref="WebApiException">400: not a valid category name.</exception>
    public void SetCategory(ManagedTorrent torrent, string? name)
    {
        if (string.IsNullOrEmpty(name)) name = null;
        else RequireValidCategory(name);
        string? before;
        lock (_lock)
        {
            if (name is not null) _categories.Add(name);
            before = torrent.Category;
            torrent.Category = name;
        }
        save();
        if (before != name) limitsChanged?.Invoke(torrent);
    }

    /// <summary>Removes categories (qBittorrent's <c>torrents/removeCategories</c>): their torrents have none after.</summary>
    public void RemoveCategories(IReadOnlyList<string> names)
    {
        var gone = names.ToHashSet(StringComparer.Ordinal);
        var all = torrents();
        var moved = new List<ManagedTorrent>();
        lock (_lock)
        {
            foreach (var name in names)
            {
                _categories.Remove(name);
                _limits.Remove(name);
            }
            foreach (var torrent in all)
                if (torrent.Category is { } c && gone.Contains(c))
                {
                    torrent.Category = null;
                    moved.Add(torrent);
                }
        }
        save();
        foreach (var torrent in moved) limitsChanged?.Invoke(torrent);
    }

    /// <summary>True for a name a category may have: 1 to 100 characters, no control characters, no spaces at either end.</summary>
    public static bool ValidCategory(string name) =>
        name.Length is > 0 and <= MaxCategoryLength && !name.Any(char.IsControl) && name.Trim() == name;

    private static void RequireValidCategory(string name)
    {
        if (!ValidCategory(name))
            throw new WebApiException(400, $"a category is 1 to {MaxCategoryLength} characters without control characters or spaces at either end, got '{UntrustedText.Clean(name, 40)}'");
    }

    /// <summary>True for a name a tag may have: as a category's, and no comma (qBittorrent's lists are comma-separated).</summary>
    public static bool ValidTag(string name) => ValidCategory(name) && !name.Contains(',', StringComparison.Ordinal);

    /// <summary>The tags of a comma-separated list (qBittorrent's <c>tags</c> parameter), trimmed, blanks left out.</summary>
    /// <exception cref="WebApiException">400: a tag that is not valid.</exception>
    public static IReadOnlyList<string> ParseTags(string? list)
    {
        var tags = (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var tag in tags) RequireValidTag(tag);
        return [.. tags.Distinct(StringComparer.Ordinal)];
    }

    private static void RequireValidTag(string tag)
    {
        if (!ValidTag(tag))
            throw new WebApiException(400, $"a tag is 1 to {MaxTagLength} characters without commas, control characters or spaces at either end, got '{UntrustedText.Clean(tag, 40)}'");
    }

    /// <summary>Creates tags (those that exist stay as they are).</summary>
    public void CreateTags(IReadOnlyList<string> tags)
    {
        foreach (var tag in tags) RequireValidTag(tag);
        lock (_lock) foreach (var tag in tags) _tags.Add(tag);
        save();
    }

    /// <summary>Deletes tags: every torrent loses them too.</summary>
    public void DeleteTags(IReadOnlyList<string> tags)
    {
        var gone = tags.ToHashSet(StringComparer.Ordinal);
        var all = torrents();
        lock (_lock) foreach (var tag in tags) _tags.Remove(tag);
        foreach (var torrent in all)
            if (torrent.Tags.Any(gone.Contains)) torrent.SetTags(torrent.Tags.Where(t => !gone.Contains(t)));
        save();
    }

    /// <summary>Adds tags to a torrent (created when new).</summary>
    public void AddTags(ManagedTorrent torrent, IReadOnlyList<string> tags)
    {
        foreach (var tag in tags) RequireValidTag(tag);
        lock (_lock) foreach (var tag in tags) _tags.Add(tag);
        torrent.SetTags([.. torrent.Tags, .. tags]);
        save();
    }

    /// <summary>Takes tags from a torrent; with none named, every tag (qBittorrent's removeTags without <c>tags</c>).</summary>
    public void RemoveTags(ManagedTorrent torrent, IReadOnlyList<string>? tags)
    {
        var gone = tags?.ToHashSet(StringComparer.Ordinal);
        torrent.SetTags(gone is null ? [] : torrent.Tags.Where(t => !gone.Contains(t)));
        save();
    }

    /// <summary>Transmission's labels of a torrent: its category first, then its tags.</summary>
    public static IReadOnlyList<string> LabelsOf(ManagedTorrent torrent) =>
        torrent.Category is { } category ? [category, .. torrent.Tags.Where(t => t != category)] : torrent.Tags;

    /// <summary>Sets a torrent's Transmission labels: the first is its category, the others its tags ([] clears both).</summary>
    /// <exception cref="WebApiException">400: a label that is not a valid name.</exception>
    public void SetLabels(ManagedTorrent torrent, IReadOnlyList<string> labels)
    {
        CheckLabels(labels);
        SetCategory(torrent, labels.Count > 0 ? labels[0] : null);
        var tags = labels.Skip(1).Distinct(StringComparer.Ordinal).ToList();
        lock (_lock) foreach (var tag in tags) _tags.Add(tag);
        torrent.SetTags(tags);
        save();
    }

    /// <summary>Refuses labels that are not valid names (the first is a category, the rest tags).</summary>
    /// <exception cref="WebApiException">400, naming the label.</exception>
    public static void CheckLabels(IReadOnlyList<string> labels)
    {
        for (var i = 0; i < labels.Count; i++)
            if (!(i == 0 ? ValidCategory(labels[i]) : ValidTag(labels[i])))
                throw new WebApiException(400, $"labels: '{UntrustedText.Clean(labels[i], 40)}' is not a valid label (1 to 100 characters, no control characters{(i == 0 ? "" : " or commas")})");
    }
}
