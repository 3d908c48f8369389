using System.Text;

namespace TorrentLab;

/// <summary>Makes text that came from the network (a tracker's failure reason or warning, a peer's client name, an
/// error echoing a URL) safe to print on a terminal or show on the web page: control characters (ESC, CR, LF, NUL,
/// DEL, the C1 range) are written as visible escapes, so nothing can move the cursor, clear the screen or forge a
/// line of its own; and it is cut to a sane length.</summary>
public static class UntrustedText
{
    /// <summary>The default cut: enough for any honest failure reason or client name.</summary>
    public const int DefaultMaxLength = 200;

    /// <summary>The text with control characters escaped (<c>\e</c>, <c>\r</c>, <c>\n</c>, <c>\t</c>, <c>\xNN</c>,
    /// <c>\uNNNN</c>) and cut to <paramref name="maxLength"/> characters plus "...".</summary>
    public static string Clean(string? text, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!NeedsWork(text, maxLength)) return text;
        var result = new StringBuilder(Math.Min(text.Length, maxLength) + 8);
        foreach (var c in text)
        {
            if (result.Length >= maxLength) return result.Append("...").ToString();
            result.Append(c switch
            {
                '\x1b' => "\\e",
                '\r' => "\\r",
                '\n' => "\\n",
                '\t' => "\\t",
                < ' ' or '\x7f' => $"\\x{(int)c:x2}",
                >= '\x80' and <= '\x9f' => $"\\x{(int)c:x2}",      // C1 controls (CSI is 0x9b)
                '\u2028' or '\u2029' or '\u202e' or '\u2066' or '\u2067' or '\u2068' or '\u2069' => $"\\u{(int)c:x4}", // line breaks, bidi overrides
                _ => c.ToString(),
            });
        }
        return result.ToString();
    }

    private static bool NeedsWork(string text, int maxLength)
    {
        if (text.Length > maxLength) return true;
        foreach (var c in text)
            if (c < ' ' || c is >= '\x7f' and <= '\x9f' or '\u2028' or '\u2029' or '\u202e' or >= '\u2066' and <= '\u2069') return true;
        return false;
    }
}
