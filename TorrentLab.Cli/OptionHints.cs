using System.CommandLine;
using System.Runtime.CompilerServices;

namespace TorrentLab.Cli;

/// <summary>What an unknown option probably meant, added to its usage error: another tool's spelling of one of the
/// command's options (<c>create -p</c> is mktorrent's <c>--private</c>), or the closest of its long options to a
/// mistyped one (<c>--privte</c>).</summary>
internal static class OptionHints
{
    private static readonly ConditionalWeakTable<Option, List<string>> OtherSpellings = new();

    /// <summary>Records that other tools spell <paramref name="option"/> <paramref name="spelling"/>, a spelling that is
    /// not an alias here (<c>-p</c> is always <c>--port</c> in this tool): an unknown <paramref name="spelling"/> on its
    /// command names <paramref name="option"/> as what was meant.</summary>
    public static Option<T> SpelledElsewhere<T>(this Option<T> option, string spelling)
    {
        OtherSpellings.GetOrCreateValue(option).Add(spelling);
        return option;
    }

    /// <summary>The hint for the unknown <paramref name="word"/> on <paramref name="command"/>
    /// (<c>; did you mean '--private'?</c>), or "" when no option is close.</summary>
    public static string For(Command command, string word)
    {
        var options = OptionsOf(command).Where(o => !o.Hidden).ToList();
        foreach (var option in options)
            if (OtherSpellings.TryGetValue(option, out var spellings) && spellings.Contains(word))
                return $"; did you mean '{option.Name}'?";
        if (!word.StartsWith("--", StringComparison.Ordinal)) return ""; // a short option is one letter: any is "close"
        var closest = options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal))
            .OrderBy(n => CliApp.Distance(n, word)).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
        // One edit in three letters after the dashes, at least one: --outptu is --output, --bad is not --lsd.
        return closest is not null && CliApp.Distance(closest, word) <= Math.Max(1, (word.Length - 2) / 3) ? $"; did you mean '{closest}'?" : "";
    }

    /// <summary>The options <paramref name="command"/> takes: its own, and the recursive ones of the commands above it.</summary>
    private static IEnumerable<Option> OptionsOf(Command command)
    {
        foreach (var option in command.Options) yield return option;
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in parent.Options.Where(o => o.Recursive))
                yield return option;
    }
}
