namespace TorrentLab.Web;

/// <summary>Share limits per category: each torrent of a category takes its category's limits where it has none of its
/// own, over the server's defaults (<see cref="ShareLimits.Plan"/>). Kept in the saved list beside the categories.</summary>
/// <remarks>qBittorrent's WebUI API 4.5 has no share limits per category, and 5.2's <c>createCategory</c> and
/// <c>editCategory</c> cannot set them, so they are set only through TorrentLab's REST API.</remarks>
internal sealed partial class TorrentLabels
{
    private readonly Dictionary<string, CategoryLimits> _limits = new(StringComparer.Ordinal); // guarded by _lock; none empty

    /// <summary>The share limits of a category, or null when it has none (or when <paramref name="category"/> is null).</summary>
    public CategoryLimits? LimitsOf(string? category)
    {
        if (category is null) return null;
        lock (_lock) return _limits.GetValueOrDefault(category);
    }

    /// <summary>The limits to save (null when no category has any).</summary>
    public IReadOnlyDictionary<string, CategoryLimits>? LimitsToSave
    {
        get { lock (_lock) return _limits.Count == 0 ? null : new Dictionary<string, CategoryLimits>(_limits, StringComparer.Ordinal); }
    }

    /// <summary>Replaces a category's share limits (all null: it has none), saves them, and gives them to its torrents:
    /// a running one takes them at once, its peers kept.</summary>
    /// <exception cref="WebApiException">404: no such category; 400: a value negative, not a number, or too long.</exception>
    public void SetLimits(string category, CategoryLimits limits)
    {
        ServerSettings.CheckSeedLimits(limits.Ratio, limits.Minutes, limits.IdleMinutes);
        lock (_lock)
        {
            if (!_categories.Contains(category)) throw new WebApiException(404, $"no category '{UntrustedText.Clean(category, 40)}'");
            if (limits == new CategoryLimits()) _limits.Remove(category);
            else _limits[category] = limits;
        }
        save();
        foreach (var torrent in torrents().Where(t => t.Category == category)) limitsChanged?.Invoke(torrent);
    }

    /// <summary>The limits of a category, for the API.</summary>
    /// <exception cref="WebApiException">404: no such category.</exception>
    public CategoryLimits RequireLimitsOf(string category)
    {
        lock (_lock)
            return _categories.Contains(category) ? _limits.GetValueOrDefault(category) ?? new CategoryLimits()
                : throw new WebApiException(404, $"no category '{UntrustedText.Clean(category, 40)}'");
    }

    // The saved limits at a start: those of a valid name (its category created) and valid values; the others are left out.
    private void LoadLimitsLocked(IReadOnlyDictionary<string, CategoryLimits>? limits)
    {
        foreach (var (category, value) in limits ?? new Dictionary<string, CategoryLimits>())
        {
            if (!ValidCategory(category) || value is null || value == new CategoryLimits()) continue;
            try { ServerSettings.CheckSeedLimits(value.Ratio, value.Minutes, value.IdleMinutes); }
            catch (WebApiException) { continue; }
            _categories.Add(category);
            _limits[category] = value;
        }
    }
}
