using System.Text;
using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>The README's block of common commands, as written: every <c>torrentlab</c> line parses (no unknown option,
/// no value out of range), and every background command is quiet, so its lines never garble the progress bar.</summary>
public class ReadmeCommandsTests
{
    /// <summary>The command lines of the README's "Common commands" block, without the comment, <c>&amp;</c> and redirections.</summary>
    private static List<(string Line, List<string> Words, bool Background)> CommonCommands()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        var section = readme[readme.IndexOf("## Common commands", StringComparison.Ordinal)..];
        var block = section[(section.IndexOf("```sh\n", StringComparison.Ordinal) + 6)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        var commands = new List<(string, List<string>, bool)>();
        foreach (var line in block.Split('\n'))
        {
            if (!line.StartsWith("torrentlab ", StringComparison.Ordinal)) continue;
            var words = Words(line);
            var background = words.Count > 0 && words[^1] == "&";
            words = [.. words.Where(w => w != "&" && !w.StartsWith('>') && !w.StartsWith("2>", StringComparison.Ordinal))];
            commands.Add((line, words.Skip(1).ToList(), background));
        }
        return commands;
    }

    /// <summary>A shell line's words: whitespace-separated, single and double quotes kept together, a <c>#</c> comment dropped.</summary>
    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char? quote = null;
        var any = false;
        foreach (var c in line)
        {
            if (quote is { } q) { if (c == q) quote = null; else word.Append(c); continue; }
            if (c is '\'' or '"') { quote = c; any = true; continue; }
            if (c == '#' && !any) break;
            if (char.IsWhiteSpace(c)) { if (any) words.Add(word.ToString()); word.Clear(); any = false; continue; }
            word.Append(c);
            any = true;
        }
        if (any) words.Add(word.ToString());
        return words;
    }

    [Fact]
    public void EveryCommandOfTheBlock_ParsesAsWritten()
    {
        var commands = CommonCommands();

        Assert.True(commands.Count >= 8, $"only {commands.Count} commands found");
        Assert.All(commands, c =>
        {
            var errors = CliApp.Build().Parse(c.Words).Errors;
            Assert.True(errors.Count == 0, $"{c.Line}: {string.Join("; ", errors.Select(e => e.Message))}");
        });
    }

    /// <summary>A background command's stdout and stderr both go to a file: even a quiet one prints a line when it starts
    /// (the tracker says where it listens), and that line would land in the middle of the download's progress bar.</summary>
    [Fact]
    public void EveryBackgroundCommandOfTheBlock_WritesItsOutputAndErrorsToAFile()
    {
        var background = CommonCommands().Where(c => c.Background).ToList();

        Assert.NotEmpty(background);
        Assert.All(background, c =>
        {
            var words = Words(c.Line);
            Assert.True(words.Any(w => w.StartsWith(">/", StringComparison.Ordinal)), $"stdout not sent to a file: {c.Line}");
            Assert.True(words.Contains("2>&1") || words.Any(w => w.StartsWith("2>/", StringComparison.Ordinal)), $"stderr not sent to a file: {c.Line}");
        });
    }
}
