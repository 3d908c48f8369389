using System.Text;

namespace TorrentLab.Metainfo;

/// <summary>Turns path names from a torrent into names that are safe to create below an output folder.</summary>
/// <remarks>A torrent is untrusted input: its names can never escape the output folder. Unsafe segments
/// (<c>..</c>, <c>.</c>, empty) are dropped and separators or control characters inside a segment become '_',
/// which is what libtorrent does.</remarks>
internal static class PathSanitizer
{
    /// <summary>Sanitizes one path-list element; it may expand to zero segments (dropped) or more.</summary>
    public static IEnumerable<string> SanitizeEntry(ReadOnlySpan<byte> segment)
    {
        var name = SanitizeSegment(segment);
        return name.Length == 0 ? [] : [name];
    }

    /// <summary>Sanitizes a single name: no separators, no control characters, never "." or "..".</summary>
    public static string SanitizeSegment(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(c is '/' or '\\' or ':' || char.IsControl(c) ? '_' : c);
        var name = builder.ToString();
        return name is "." or ".." ? "" : name;
    }
}
