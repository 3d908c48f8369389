using System.Collections.Concurrent;

namespace TorrentLab.Metainfo;

/// <summary>One copy of the short texts that many torrents repeat (tracker URLs, the program that made them): a client
/// holding ten thousand torrents of a few trackers keeps each URL once, as Transmission does with its quarks.</summary>
/// <remarks>Bounded, since the texts come from untrusted files: at most <see cref="MaxEntries"/> texts of at most
/// <see cref="MaxLength"/> characters are kept (about 2 MB at worst); past that a text is used as it is.</remarks>
internal static class SharedText
{
    public const int MaxEntries = 4096;
    public const int MaxLength = 256;
    private static readonly ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    /// <summary>The kept copy of <paramref name="text"/>, or the text itself when it is long or the pool is full.</summary>
    public static string? Of(string? text)
    {
        if (text is null || text.Length > MaxLength) return text;
        if (Pool.TryGetValue(text, out var kept)) return kept;
        return Pool.Count >= MaxEntries ? text : Pool.GetOrAdd(text, text);
    }
}
