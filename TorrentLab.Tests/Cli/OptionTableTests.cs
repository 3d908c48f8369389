using System.CommandLine;
using System.CommandLine.Help;
using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Console output is swapped while these tests run a command in-process: nothing else may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console output";
}

/// <summary>Every option of every command, one row each: given a value it cannot use, the command refuses it with one
/// line naming the option and exit code 2, before any work starts (the .torrent each command is given does not exist:
/// a check that ran after the work began would report the missing file, exit 4, instead). A guard fails when a command
/// gains an option without a row. What each option does is proven beside its command (the PortCommand, Seed, Serve,
/// Download, Dht and Lab tests); options here name where.</summary>
[Collection(ConsoleCollection.Name)]
public class OptionTableTests
{
    private const string Magnet = "magnet:?xt=urn:btih:0000000000000000000000000000000000000000";
    private const string Hash = "0000000000000000000000000000000000000000";

    /// <summary>The words each command needs to parse, around the option under test (before it, after it).</summary>
    private static readonly Dictionary<string, (string[] Before, string[] After)> Bases = new()
    {
        [""] = (["x.torrent"], []),
        ["demo"] = ([], []),
        ["create"] = (["missing-folder"], []),
        ["info"] = (["x.torrent"], []),
        ["verify"] = (["x.torrent"], []),
        ["peers"] = (["x.torrent"], []),
        ["scrape"] = (["x.torrent"], []),
        ["tracker"] = ([], []),
        ["handshake"] = (["x.torrent", "127.0.0.1:1"], []),
        ["download_piece"] = (["-o", "p", "x.torrent", "0"], []),
        ["download"] = (["-o", "out", "x.torrent"], []),
        ["magnet_handshake"] = ([Magnet], []),
        ["magnet_info"] = ([Magnet], []),
        ["magnet_download_piece"] = (["-o", "p", Magnet, "0"], []),
        ["magnet_download"] = (["-o", "out", Magnet], []),
        ["dht ping"] = (["127.0.0.1:1"], []),
        ["dht get_peers"] = ([Hash], []),
        ["dht get"] = ([Hash], []),
        ["dht put"] = (["hello"], []),
        ["dht sample_infohashes"] = (["127.0.0.1:1"], []),
        ["serve"] = ([], []),
        ["import qbittorrent"] = (["missing-folder"], []),
        ["import transmission"] = (["missing-folder"], []),
        ["add"] = (["x.torrent"], []),
        ["seed"] = (["x.torrent", "-d", "."], []),
        ["lab check"] = ([], ["--", "missing-program"]),
        ["lab class"] = (["missing-roster.txt"], []),
        ["lab swarm"] = ([], []),
        ["why"] = ([Hash], []),
        ["pieces"] = ([Hash], []),
        ["replay"] = (["missing-recording.json"], []),
    };

    private const string AFile = "{file}";     // an existing file where a folder belongs
    private const string AFolder = "{folder}"; // an existing folder where a file belongs

    /// <summary>A bad value per option, by name (or "command option" when the same name means another thing there).
    /// Flags take no value, so they have none to refuse (<c>--seed=maybe</c> leaves "maybe" to the parser as a word of
    /// its own); every option that takes a value has a row.</summary>
    private static readonly Dictionary<string, string> Bad = new()
    {
        ["--output"] = AFile,
        ["create --output"] = AFolder,
        ["why --url"] = "ftp://127.0.0.1:1",
        ["pieces --url"] = "ftp://127.0.0.1:1",
        ["download_piece --output"] = AFolder,
        ["magnet_download_piece --output"] = AFolder,
        ["--data"] = AFile,
        ["--downloads"] = AFile,
        ["add --downloads"] = AFile,        // the serve list's folder, as serve's and import's
        ["--log-file"] = AFolder,
        ["--save-torrent"] = AFolder,
        ["--dht-state"] = AFolder,
        ["--state"] = AFolder,
        ["--key-file"] = AFolder,
        ["--seed-ratio"] = "-1",
        ["--seed-time"] = "-5",
        ["--stall-timeout"] = "0",
        ["--max-download-rate"] = "-1",
        ["--max-upload-rate"] = "fast",
        ["--max-peers"] = "0",
        ["--port"] = "70000",
        ["peers --port"] = "0",             // the port told to the tracker: 1..65535
        ["--peer-port"] = "-1",
        ["--tracker"] = "ftp://tracker.example/announce",
        ["--peer"] = "nohost",
        ["--peer-scope"] = "lan",
        ["--encryption"] = "maybe",
        ["--transport"] = "quic",
        ["--bind"] = "nowhere",
        ["--bind-interface"] = "tun 0",     // a space: no interface is named so
        ["--dht-bootstrap"] = "nohost",
        ["--port-mapping-protocols"] = "upnp,ftp",
        ["--proxy"] = "socks4://127.0.0.1:1080",
        ["--select-file"] = "0",
        ["--timeout"] = "0",
        ["--interval"] = "0",
        ["--peer-timeout"] = "0",
        ["--max-torrents-per-address"] = "0",
        ["--host"] = "nowhere",
        ["--allow"] = "missing.torrent",
        ["--allowed-host"] = "host:80",
        ["--base-path"] = "torrents/",
        ["--max-active"] = "1001",
        ["--transmission-web"] = "/nonexistent-folder",
        ["--piece-length"] = "1000",
        ["--web-seed"] = "ftp://seed.example/file",
        ["--key"] = "abc",
        ["--salt"] = new string('s', 65),
        ["--seq"] = "-1",
        ["--target"] = "abc",
        ["--stage"] = "no-such-stage",
        ["--through"] = "no-such-stage",
        ["--seed"] = "soon",
        ["--slow"] = "0.5",
        ["--time-limit"] = "0",
        ["--jobs"] = "0",
        ["--peers"] = "-1",
        ["--faults"] = "bogus",
        ["--payload-size"] = "0",
        ["--blocklist"] = AFolder,
        ["--ban-client"] = "id:",
        ["--watch"] = AFile,
        ["--keep-free"] = "lots",
        ["--on-added"] = "\"unclosed",
        ["--on-complete"] = "'unclosed",
        ["--webhook"] = "ftp://127.0.0.1:1/hook",
        ["--record"] = AFolder,
        ["--frames"] = "0",
        ["--pause"] = "-1s",
    };

    /// <summary>Options that take any value they are given, and why (what a wrong one does is tested where named).</summary>
    private static readonly Dictionary<string, string> AnyValue = new()
    {
        ["download --output"] = "the file or folder to create; one in the way is refused once the torrent is known (DownloadCommandTests.ForeignFiles)",
        ["magnet_download --output"] = "as download's",
        ["--select"] = "a glob, matched against the torrent's files once it is loaded; one matching none is refused before any download (SelectionSettingsTests)",
        ["--token"] = "any text is a token (ServeCommandTests)",
        ["--comment"] = "any text is a comment (CreateCommandTests)",
    };

    /// <summary>Every option of every command, with the words that name its command.</summary>
    public static IEnumerable<(string Command, string[] Path, Option Option)> AllOptions() =>
        ValueParsersTests.Commands(CliApp.Build(), [])
            .SelectMany(c => c.Command.Options
                .Where(o => o is not HelpOption and not VersionOption)
                .Select(o => (string.Join(' ', c.Path), c.Path, o)));

    [Fact]
    public void EveryOptionOfEveryCommand_HasARow()
    {
        var missing = AllOptions()
            .Where(o => o.Option.ValueType != typeof(bool) && Row(o.Command, o.Option.Name) is null && !AnyValue.ContainsKey($"{o.Command} {o.Option.Name}") && !AnyValue.ContainsKey(o.Option.Name))
            .Select(o => $"{o.Command} {o.Option.Name}".Trim())
            .ToList();

        Assert.True(missing.Count == 0, "options without a row in OptionTableTests: " + string.Join(", ", missing));
        Assert.True(AllOptions().Count(o => o.Option.ValueType != typeof(bool)) > 120, $"only {AllOptions().Count()} options found");
    }

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var (command, _, option) in AllOptions())
            if (option.ValueType != typeof(bool) && Row(command, option.Name) is not null)
                rows.Add(command, option.Name);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task BadValue_IsRefusedBeforeAnyWork_OneLineNamingTheOption(string command, string name)
    {
        using var temp = new TempFolder();
        var file = temp.Combine("a-file");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var folder = temp.Combine("a-folder");
        Directory.CreateDirectory(folder);
        var option = AllOptions().Single(o => o.Command == command && o.Option.Name == name).Option;
        var (before, after) = Bases[command];
        before = WithoutOption(before, option);
        string[] given = [name, Row(command, name)!.Replace(AFile, file, StringComparison.Ordinal).Replace(AFolder, folder, StringComparison.Ordinal)];
        string[] args = [.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), .. before, .. given, .. after];

        var (code, stderr) = await RunInProcessAsync(args, temp.Path);

        Assert.True(code == CliRunner.Codes.Usage, $"{string.Join(' ', args)}: exit {code}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.True(option.Aliases.Append(name).Any(a => line.Contains(a, StringComparison.Ordinal)), $"{string.Join(' ', args)}: the error does not name {name}: {line}");
    }

    private static string? Row(string command, string name) =>
        Bad.TryGetValue($"{command} {name}", out var own) ? own : Bad.TryGetValue(name, out var shared) && !AnyValue.ContainsKey($"{command} {name}") ? shared : null;

    /// <summary>The base words without the option under test (download's <c>-o out</c> when -o is tested).</summary>
    private static string[] WithoutOption(string[] words, Option option)
    {
        var list = words.ToList();
        var at = list.FindIndex(w => w == option.Name || option.Aliases.Contains(w));
        if (at >= 0) list.RemoveRange(at, 2);
        return [.. list];
    }

    /// <summary>Runs the command in this process, in <paramref name="folder"/>, with stdout and stderr captured (the
    /// commands' own errors are written to the console, not to the parser's writer).</summary>
    private static async Task<(int Code, string Stderr)> RunInProcessAsync(string[] args, string folder)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldError, oldFolder) = (Console.Out, Console.Error, Environment.CurrentDirectory);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        Environment.CurrentDirectory = folder;
        try
        {
            var run = CliApp.RunAsync(args, stderr, stdout);
            var code = await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            return (code, stderr.ToString().ReplaceLineEndings("\n"));
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
            Environment.CurrentDirectory = oldFolder;
        }
    }
}
