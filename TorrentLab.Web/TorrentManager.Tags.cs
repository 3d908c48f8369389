namespace TorrentLab.Web;

/// <summary>Tags: names a torrent has any number of (qBittorrent's tags), beside its one category. Transmission's
/// labels are both on one list: the category first, then the tags (<see cref="LabelsOf"/>, <see cref="SetLabels"/>),
/// so every API and the page see the same names.</summary>
internal sealed partial class TorrentManager
{
    private const int MaxTagLength = 100;
    private const int MaxNameLength = 1024; // a name to show, not a text
    private readonly SortedSet<string> _tags = new(StringComparer.Ordinal); // guarded by _lock: created or used

    /// <summary>Every tag, in order: those created and those a torrent has.</summary>
    public IReadOnlyList<string> AllTags
    {
        get { lock (_lock) return [.. _tags]; }
    }

    /// <summary>True for a name a tag may have: as a category's, and no comma (qBittorrent's lists are comma-separated).</summary>
    public static bool ValidTag(string name) => ValidCategory(name) && !name.Contains(',', StringComparison.Ordinal);

    /// <summary>True for a name a torrent may be shown with: 1 to 1024 characters, no control characters.</summary>
    public static bool ValidName(string name) => name.Length is > 0 and <= MaxNameLength && !name.Any(char.IsControl) && name.Trim() == name;

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
        Save();
    }

    /// <summary>Deletes tags: every torrent loses them too.</summary>
    public void DeleteTags(IReadOnlyList<string> tags)
    {
        var gone = tags.ToHashSet(StringComparer.Ordinal);
        List<ManagedTorrent> all;
        lock (_lock)
        {
            foreach (var tag in tags) _tags.Remove(tag);
            all = [.. _torrents.Values];
        }
        foreach (var torrent in all)
            if (torrent.Tags.Any(gone.Contains)) torrent.SetTags(torrent.Tags.Where(t => !gone.Contains(t)));
        Save();
    }

    /// <summary>Adds tags to a torrent (created when new).</summary>
    public void AddTags(ManagedTorrent torrent, IReadOnlyList<string> tags)
    {
        foreach (var tag in tags) RequireValidTag(tag);
        lock (_lock) foreach (var tag in tags) _tags.Add(tag);
        torrent.SetTags([.. torrent.Tags, .. tags]);
        Save();
    }

    /// <summary>Takes tags from a torrent; with none named, every tag (qBittorrent's removeTags without <c>tags</c>).</summary>
    public void RemoveTags(ManagedTorrent torrent, IReadOnlyList<string>? tags)
    {
        var gone = tags?.ToHashSet(StringComparer.Ordinal);
        torrent.SetTags(gone is null ? [] : torrent.Tags.Where(t => !gone.Contains(t)));
        Save();
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
        Save();
    }

    /// <summary>Refuses labels that are not valid names (the first is a category, the rest tags).</summary>
    /// <exception cref="WebApiException">400, naming the label.</exception>
    public static void CheckLabels(IReadOnlyList<string> labels)
    {
        for (var i = 0; i < labels.Count; i++)
            if (!(i == 0 ? ValidCategory(labels[i]) : ValidTag(labels[i])))
                throw new WebApiException(400, $"labels: '{UntrustedText.Clean(labels[i], 40)}' is not a valid label (1 to 100 characters, no control characters{(i == 0 ? "" : " or commas")})");
    }

    /// <summary>Shows the torrent under another name (qBittorrent's <c>torrents/rename</c>); its files keep theirs.</summary>
    /// <exception cref="WebApiException">400: an empty name, control characters, or longer than 1024 characters.</exception>
    public void Rename(ManagedTorrent torrent, string name)
    {
        if (!ValidName(name)) throw new WebApiException(400, $"a name is 1 to {MaxNameLength} characters without control characters or spaces at either end");
        torrent.SetDisplayName(name);
        Save();
    }

    /// <summary>The tags to save (null when none).</summary>
    private IReadOnlyList<string>? TagsToSave()
    {
        lock (_lock) return _tags.Count == 0 ? null : [.. _tags];
    }
}
