using System.CommandLine;
using System.Text;

namespace TorrentLab.Cli;

/// <summary>Help as a user of the tool reads it: the usage line starts with <c>torrentlab</c> (not the assembly's
/// name), and a subcommand's usage and argument list leave out the root's optional torrent argument, which belongs to
/// the main download only.</summary>
internal static class HelpText
{
    public const string ToolName = "torrentlab";

    /// <summary>An alias accepted but not shown: <c>--bootstrap</c>, the classroom's name for the dht commands'
    /// <c>--dht-bootstrap</c> (one name per setting in help and docs).</summary>
    public const string HiddenAlias = "--bootstrap";

    /// <summary>Rewrites the help System.CommandLine wrote for <paramref name="command"/>.</summary>
    public static string Rewrite(string help, RootCommand root, Command command)
    {
        var subcommand = !ReferenceEquals(command, root);
        var rootArguments = string.Concat(root.Arguments.Select(a => $" [<{a.Name}>]"));
        var rootArgumentLines = root.Arguments.Select(a => $"  <{a.Name}>").ToList();
        var text = new StringBuilder();
        var section = "";
        foreach (var line in help.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0 && !char.IsWhiteSpace(trimmed[0])) section = trimmed;
            var rewritten = trimmed;
            if (section == "Usage:" && trimmed.StartsWith("  " + root.Name, StringComparison.Ordinal))
            {
                rewritten = "  " + ToolName + trimmed[(2 + root.Name.Length)..];
                if (subcommand && rewritten.StartsWith("  " + ToolName + rootArguments + " ", StringComparison.Ordinal))
                    rewritten = "  " + ToolName + rewritten[(2 + ToolName.Length + rootArguments.Length)..];
            }
            else if (subcommand && section == "Arguments:" && root.Arguments.Any(a => IsArgumentLine(trimmed, a, root)))
            {
                continue;
            }
            else if (section == "Options:" && WithoutHiddenAlias(trimmed) is { } shown)
            {
                rewritten = shown;
            }
            text.Append(rewritten).Append('\n');
        }
        return string.Join('\n', WithoutEmptySections(text.ToString().TrimEnd('\n').Split('\n'))) + Environment.NewLine;

        // A heading whose lines were all left out above (a subcommand's "Arguments:" with only the root's argument)
        // goes too, with the blank line after it.
        static IEnumerable<string> WithoutEmptySections(string[] lines)
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var heading = lines[i].Length > 0 && !char.IsWhiteSpace(lines[i][0]) && lines[i].EndsWith(':');
                if (heading && (i + 1 == lines.Length || lines[i + 1].Length == 0))
                {
                    i++; // and the blank line
                    continue;
                }
                yield return lines[i];
            }
        }

        // "  --bootstrap, --dht-bootstrap <x>  Text" becomes "  --dht-bootstrap <x>               Text": the column kept.
        static string? WithoutHiddenAlias(string line)
        {
            foreach (var form in new[] { HiddenAlias + ", ", ", " + HiddenAlias })
            {
                var at = line.IndexOf(form, StringComparison.Ordinal);
                if (at < 0 || at > line.IndexOf("  ", 2, StringComparison.Ordinal)) continue;
                var cut = line.Remove(at, form.Length);
                var gap = cut.IndexOf("  ", 2, StringComparison.Ordinal);
                return gap < 0 ? cut : cut.Insert(gap, new string(' ', form.Length));
            }
            return null;
        }

        static bool IsArgumentLine(string line, Argument argument, RootCommand root) =>
            line.StartsWith($"  <{argument.Name}>", StringComparison.Ordinal) && argument.Description is { } d
            && line.EndsWith(d, StringComparison.Ordinal) && root.Arguments.Contains(argument);
    }
}
