using System.Buffers;
using System.Text;

namespace TorrentLab.Metainfo;

/// <summary>Turns names from a torrent into path segments that are safe to create below an output folder.</summary>
/// <remarks>
/// A torrent is untrusted input: nothing in it may name a file outside the output folder. We follow the rules
/// libtorrent applies (its test torrents state the results, e.g. <c>["/","/","bar"]</c> gives <c>_/_/bar</c> and
/// <c>"temp/../../abc"</c> gives <c>temp....abc</c>), so a torrent lands on disk with the same names in both:
/// <list type="bullet">
/// <item>'/' and '\' inside a segment are removed (a segment can never hold a separator), as are the Unicode
/// direction overrides U+202A-U+202E, U+200E, U+200F (they disguise extensions: "gpj.exe" shown as "exe.jpg").</item>
/// <item>Control characters (below 0x20) and invalid UTF-8 become '_'.</item>
/// <item>A segment that is exactly "." or ".." afterwards is dropped: it would point at the folder or its parent.</item>
/// <item>A segment that is empty, or held only separators, becomes "_".</item>
/// <item>A segment longer than 240 UTF-8 bytes is cut there, keeping a short extension (at most 9 bytes).</item>
/// <item>On Windows, also <c>? &lt; &gt; " | * :</c> and backspace become '_' (so "C:" is no drive letter) and trailing
/// spaces and dots are removed, which Windows would silently strip.</item>
/// </list>
/// Absolute paths cannot survive: a leading '/' is removed with every other separator, and a drive letter is
/// harmless on POSIX ("C:" is a plain name) and defused on Windows.
/// </remarks>
internal static class PathSanitizer
{
    // libtorrent cuts at 240 so that ".<extension>" still fits below the usual 255-byte name limit.
    internal const int MaxSegmentBytes = 240;
    private const int MaxExtensionBytes = 9;

    private static readonly SearchValues<char> WindowsInvalid = SearchValues.Create("?<>\"|\b*:");
    private static readonly SearchValues<byte> PosixUnsafeAscii = SearchValues.Create("/\\"u8);
    private static readonly SearchValues<byte> WindowsUnsafeAscii = SearchValues.Create("/\\?<>\"|*:"u8);

    /// <summary>Sanitizes one element of a torrent path; null means the element is dropped ("." or "..").</summary>
    public static string? SanitizeSegment(ReadOnlySpan<byte> bytes) => SanitizeSegment(bytes, OperatingSystem.IsWindows());

    /// <summary>As <see cref="SanitizeSegment(ReadOnlySpan{byte})"/>, with the Windows rules chosen explicitly (for tests).</summary>
    public static string? SanitizeSegment(ReadOnlySpan<byte> bytes, bool windows)
    {
        if (bytes.IsEmpty) return "_";
        // Fast path, taken by nearly every real name: short printable ASCII without separators needs no change.
        if (bytes.Length < MaxSegmentBytes && !bytes.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e)
            && !bytes.ContainsAny(windows ? WindowsUnsafeAscii : PosixUnsafeAscii) && !(bytes is [(byte)'.'] or [(byte)'.', (byte)'.'])
            && !(windows && bytes[^1] is (byte)' ' or (byte)'.'))
            return Encoding.ASCII.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        Span<char> utf16 = stackalloc char[2];
        var added = 0; // UTF-8 bytes written so far
        for (var i = 0; i < bytes.Length;)
        {
            var status = Rune.DecodeFromUtf8(bytes[i..], out var rune, out var consumed);
            if (status != OperationStatus.Done)
            {
                text.Append('_');
                added++;
                i += Math.Max(consumed, 1);
                continue;
            }
            i += consumed;
            if (IsRemoved(rune)) continue;
            if (rune.Value < 0x20 || (windows && rune.IsAscii && WindowsInvalid.Contains((char)rune.Value)))
            {
                text.Append('_');
                added++;
            }
            else
            {
                text.Append(utf16[..rune.EncodeToUtf16(utf16)]);
                added += rune.Utf8SequenceLength;
            }

            if (added >= MaxSegmentBytes && i < bytes.Length)
            {
                // Keep the extension when it is short and lies in the part we are about to cut.
                var tailStart = bytes.Length - Math.Min(MaxExtensionBytes, bytes.Length - i);
                var dot = bytes[tailStart..].LastIndexOf((byte)'.');
                if (dot >= 0) text.Append(SanitizeSegment(bytes[(tailStart + dot)..], windows));
                break;
            }
        }

        var name = text.ToString();
        if (windows) name = name.TrimEnd(' ', '.');
        if (name is "." or "..") return null;
        return name.Length == 0 ? "_" : name;
    }

    /// <summary>Sanitizes <c>info.name</c>; empty after sanitizing (e.g. "..") means the caller substitutes the hex info hash.</summary>
    public static string SanitizeName(ReadOnlySpan<byte> bytes) => SanitizeSegment(bytes) ?? "";

    /// <summary>Sanitizes a whole path list; an empty result becomes ["_"] so every file still has a name.</summary>
    public static List<string> SanitizePath(IEnumerable<ReadOnlyMemory<byte>> elements)
    {
        var segments = new List<string>();
        foreach (var element in elements)
            if (SanitizeSegment(element.Span) is { } segment) segments.Add(segment);
        if (segments.Count == 0) segments.Add("_");
        return segments;
    }

    private static bool IsRemoved(Rune rune) => rune.Value is '/' or '\\' or 0x200E or 0x200F or (>= 0x202A and <= 0x202E);
}
