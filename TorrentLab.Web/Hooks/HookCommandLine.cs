using System.Text;

namespace TorrentLab.Web;

/// <summary>A hook's command line (<c>serve --on-complete</c>, qBittorrent's <c>autorun_program</c>): split into a
/// program and its arguments here, never handed to a shell, then each argument's placeholders replaced.</summary>
/// <remarks>The rule, shell-like as qBittorrent's on Linux (which splits on spaces, double quotes grouping):
/// <list type="bullet">
/// <item>spaces and tabs separate arguments;</item>
/// <item><c>"..."</c> groups, and inside it <c>\"</c> and <c>\\</c> stand for <c>"</c> and <c>\</c>;</item>
/// <item><c>'...'</c> groups, every character inside taken as it is;</item>
/// <item>outside quotes, <c>\</c> takes the next character as it is.</item>
/// </list>
/// Placeholders are replaced after the split, once per argument, in one pass: a torrent's name with spaces, <c>;</c>,
/// <c>$(...)</c>, quotes or <c>%D</c> in it is one argument holding exactly that text, and nothing interprets it.</remarks>
internal static class HookCommandLine
{
    /// <summary>The program and its arguments, as written (placeholders not yet replaced).</summary>
    /// <exception cref="WebApiException">400: a quote left open, a <c>\</c> at the end, or no program.</exception>
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false; // "" is an argument: a quote opens one even with nothing in it
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case ' ' or '\t':
                    if (inWord) words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                case '\'':
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0) throw Refused(commandLine, $"the ' at character {i + 1} is never closed");
                    word.Append(commandLine, i + 1, close - i - 1);
                    (i, inWord) = (close, true);
                    break;
                case '"':
                    i = ReadDoubleQuoted(commandLine, i, word);
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 == commandLine.Length) throw Refused(commandLine, "it ends with a \\ that escapes nothing");
                    word.Append(commandLine[++i]);
                    inWord = true;
                    break;
                default:
                    if (char.IsControl(c)) throw Refused(commandLine, $"it holds a control character at character {i + 1}");
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        if (words.Count == 0 || words[0].Length == 0) throw Refused(commandLine, "it names no program");
        return words;
    }

    /// <summary>Reads <c>"..."</c> from the quote at <paramref name="open"/>; returns the index of its closing quote.</summary>
    private static int ReadDoubleQuoted(string text, int open, StringBuilder word)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '"') return i;
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\') i++;
            word.Append(text[i]);
        }
        throw Refused(text, $"the \" at character {open + 1} is never closed");
    }

    /// <summary>Whether <paramref name="commandLine"/> splits (<see cref="Split"/>); null when it does, else why not.</summary>
    public static string? Problem(string commandLine)
    {
        try
        {
            Split(commandLine);
            return null;
        }
        catch (WebApiException e) { return e.Message; }
    }

    /// <summary>A path as a command line of one word: itself when it needs no quoting, else in single quotes (how a
    /// Transmission script's file name, which is a path and no command line, is kept).</summary>
    public static string Quote(string path) =>
        path.Length > 0 && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '+' or ',' or ':' or '=' or '@')
            ? path
            : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The one word of a command line made by <see cref="Quote"/>, else null (it has arguments).</summary>
    public static string? SingleWord(string commandLine)
    {
        try { return Split(commandLine) is [var only] ? only : null; }
        catch (WebApiException) { return null; }
    }

    /// <summary>Replaces qBittorrent's placeholders in one argument, in one pass (what a value holds is never read as
    /// a placeholder again); a <c>%</c> before any other character stays as it is.</summary>
    public static string Expand(string argument, Func<char, string?> value)
    {
        if (!argument.Contains('%', StringComparison.Ordinal)) return argument;
        var expanded = new StringBuilder(argument.Length + 32);
        for (var i = 0; i < argument.Length; i++)
        {
            if (argument[i] == '%' && i + 1 < argument.Length && value(argument[i + 1]) is { } replaced)
            {
                expanded.Append(replaced);
                i++;
            }
            else expanded.Append(argument[i]);
        }
        return expanded.ToString();
    }

    private static WebApiException Refused(string commandLine, string why) =>
        new(400, $"the hook's command line '{UntrustedText.Clean(commandLine, 120)}' cannot be split: {why}");
}
