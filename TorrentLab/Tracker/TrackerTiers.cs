namespace TorrentLab.Tracker;

/// <summary>Edits of a torrent's tracker list (BEP 12 tiers: a list of lists of announce URLs), each returning the
/// list it was given when nothing changes, so a caller can tell a change from none by reference.</summary>
internal static class TrackerTiers
{
    /// <summary>A copy of <paramref name="tiers"/> without its empty tiers (null stays null: the torrent's own).</summary>
    public static IReadOnlyList<IReadOnlyList<string>>? Copy(IReadOnlyList<IReadOnlyList<string>>? tiers) =>
        tiers is null ? null : [.. tiers.Select(t => (IReadOnlyList<string>)[.. t]).Where(t => t.Count > 0)];

    /// <summary><paramref name="tiers"/> with <paramref name="url"/> as a tier of its own at the end; the same list when
    /// a tier has it already.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> WithAdded(IReadOnlyList<IReadOnlyList<string>> tiers, string url) =>
        tiers.Any(t => t.Contains(url)) ? tiers : [.. tiers, [url]];

    /// <summary><paramref name="tiers"/> with <paramref name="url"/> gone from every tier (a tier left empty goes too);
    /// the same list when no tier has it.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> WithRemoved(IReadOnlyList<IReadOnlyList<string>> tiers, string url) =>
        tiers.Any(t => t.Contains(url)) ? [.. tiers.Select(t => (IReadOnlyList<string>)[.. t.Where(u => u != url)]).Where(t => t.Count > 0)] : tiers;
}
