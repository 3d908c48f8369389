using System.CommandLine;
using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>A value the parser rejects is named in the tool's words: the option, what it expects, what it got; never a
/// .NET type name.</summary>
public class ValueParsersTests
{
    [Theory]
    [InlineData("error: --max-peers expects a whole number, got 'two'", "x.torrent", "--max-peers", "two")]
    [InlineData("error: --stall-timeout expects a duration above 0 up to 10000d, such as 30s, 10m or 2h (a bare number is seconds), got 'soon'", "x.torrent", "--stall-timeout", "soon")]
    [InlineData("error: --peer-scope expects any, private or loopback, got 'lan'", "x.torrent", "--peer-scope", "lan")]
    [InlineData("error: <index> expects a whole number, got 'first'", "download_piece", "-o", "p", "x.torrent", "first")]
    [InlineData("error: --max-peers expects a whole number, got '99999999999'", "demo", "--max-peers", "99999999999")] // past int
    public async Task BadValue_IsOneLineNamingTheOptionAndWhatItExpects(string expected, params string[] args)
    {
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(args, stderr, new StringWriter());

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Equal($"{expected} (see 'torrentlab --help')\n", stderr.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>Every option of every command that takes a value other than text, given a word: the error names the option
    /// and the word, and no error names a .NET type.</summary>
    [Fact]
    public void EveryNumberOption_GivenAWord_HasNoDotNetTypeInItsErrors()
    {
        var checkedOptions = 0;
        foreach (var (path, command) in Commands(CliApp.Build(), []))
        {
            foreach (var option in command.Options.Where(o => o.Arity.MaximumNumberOfValues > 0 && IsNumber(o.ValueType)))
            {
                var errors = CliApp.Build().Parse([.. path, option.Name, "two"]).Errors.Select(e => e.Message).ToList();
                Assert.True(errors.Any(e => e.StartsWith(option.Name + " ", StringComparison.Ordinal) && e.Contains("got 'two'", StringComparison.Ordinal)),
                    $"'{string.Join(' ', path)} {option.Name} two': {string.Join(" | ", errors)}");
                Assert.DoesNotContain(errors, e => e.Contains("System.", StringComparison.Ordinal) || e.Contains("TorrentLab.", StringComparison.Ordinal));
                checkedOptions++;
            }
        }
        Assert.True(checkedOptions >= 20, $"only {checkedOptions} number options found");
    }

    private static bool IsNumber(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(TimeSpan));

    [Theory]
    [InlineData("loopback")]
    [InlineData("Loopback")] // the spelling the help showed before: still accepted
    public void PeerScope_AcceptsItsChoiceInAnyCase(string value)
    {
        var root = CliApp.Build();
        var parse = root.Parse(["x.torrent", "--peer-scope", value]);

        Assert.Empty(parse.Errors);
        var option = (Option<string>)root.Options.Single(o => o.Name == "--peer-scope");
        Assert.Equal(TorrentLab.Tracker.PeerScope.Loopback, TorrentLab.Cli.Commands.DownloadSettings.ParsePeerScope(parse.GetValue(option)));
    }

    [Fact]
    public void NumberOption_NotGiven_KeepsItsDefault()
    {
        var root = CliApp.Build();
        var option = (Option<int>)root.Options.Single(o => o.Name == "--max-peers");

        Assert.Equal(50, root.Parse(["x.torrent"]).GetValue(option));
        Assert.Equal(3, root.Parse(["x.torrent", "--max-peers", "3"]).GetValue(option));
    }

    /// <summary>Every command below <paramref name="command"/>, with the words that name it.</summary>
    internal static IEnumerable<(string[] Path, Command Command)> Commands(Command command, string[] path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var found in Commands(sub, [.. path, sub.Name])) yield return found;
    }
}
