using System.CommandLine;
using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Every number and duration option of every command refuses a value it cannot use where the command line is
/// parsed: one line naming the option and what it accepts, exit 2, before any work starts (the torrents named here do
/// not exist: a check that ran later would report the missing file instead).</summary>
public class OptionRulesTests
{
    [Theory]
    // the main download
    [InlineData("--max-peers must be 1 or more", "x.torrent", "--max-peers", "0")]
    [InlineData("--max-peers must be 1 or more", "x.torrent", "-m", "-3")]
    [InlineData("--port must be 0..65535", "x.torrent", "--port", "70000")]
    [InlineData("--port must be 0..65535", "x.torrent", "-p", "-1")]
    [InlineData("--stall-timeout expects a duration above 0", "x.torrent", "--stall-timeout", "0")]
    [InlineData("--stall-timeout expects a duration above 0", "x.torrent", "--stall-timeout", "-5")]
    [InlineData("--stall-timeout expects a duration above 0", "x.torrent", "--stall-timeout", "5x")]
    [InlineData("--seed-time expects a duration of 0 or more", "x.torrent", "--seed-time", "-5")]
    [InlineData("--seed-time expects a duration of 0 or more", "x.torrent", "--seed-time", "99999999h")]
    [InlineData("--seed-ratio must be a number from 0 to 1000000", "x.torrent", "--seed-ratio", "-1")]
    [InlineData("--seed-ratio must be a number from 0 to 1000000", "x.torrent", "--seed-ratio", "NaN")]
    [InlineData("--max-download-rate expects bytes per second", "x.torrent", "--max-download-rate", "-1")]
    [InlineData("--max-upload-rate expects bytes per second", "x.torrent", "--max-upload-rate", "fast")]
    // the classroom commands
    [InlineData("--max-peers must be 1 or more", "download", "-o", "out", "x.torrent", "--max-peers", "0")]
    [InlineData("--port must be 0..65535", "download", "-o", "out", "x.torrent", "--port", "65536")]
    [InlineData("--stall-timeout expects a duration above 0", "download_piece", "-o", "p", "x.torrent", "0", "--stall-timeout", "-1")]
    [InlineData("--port must be 0..65535", "magnet_download", "-o", "out", "magnet:?xt=urn:btih:0000000000000000000000000000000000000000", "--port", "-1")]
    [InlineData("--stall-timeout expects a duration above 0", "magnet_info", "magnet:?xt=urn:btih:0000000000000000000000000000000000000000", "--stall-timeout", "-5")]
    [InlineData("--port must be 1..65535", "peers", "x.torrent", "--port", "0")]
    [InlineData("--max-peers must be 1 or more", "demo", "--max-peers", "0")]
    [InlineData("--stall-timeout expects a duration above 0", "demo", "--stall-timeout", "0s")]
    [InlineData("--piece-length must be a power of two", "create", "missing-folder", "--piece-length", "1000")]
    // seed and serve
    [InlineData("--port must be 0..65535", "seed", "x.torrent", "-d", "data", "-p", "70000")]
    [InlineData("--max-peers must be 1 or more", "seed", "x.torrent", "-d", "data", "-m", "0")]
    [InlineData("--max-upload-rate expects bytes per second", "seed", "x.torrent", "-d", "data", "--max-upload-rate", "-5")]
    [InlineData("--port must be 0..65535", "serve", "--port", "70000")]
    [InlineData("--peer-port must be 0..65535", "serve", "--peer-port", "-1")]
    [InlineData("--max-peers must be 1 or more", "serve", "--max-peers", "0")]
    [InlineData("--max-active must be 1..1000", "serve", "--max-active", "0")]
    [InlineData("--max-active must be 1..1000", "serve", "--max-active", "1001")]
    [InlineData("--seed-ratio must be a number from 0 to 1000000", "serve", "--seed-ratio", "-1")]
    [InlineData("--seed-time expects a duration of 0 or more", "serve", "--seed-time", "-5")]
    // the DHT commands
    [InlineData("--timeout expects a duration above 0 up to 1h", "dht", "ping", "127.0.0.1:1", "--timeout", "0")]
    [InlineData("--timeout expects a duration above 0 up to 1h", "dht", "get_peers", "0000000000000000000000000000000000000000", "--timeout", "-1")]
    [InlineData("--timeout expects a duration above 0 up to 1h", "dht", "put", "hello", "--timeout", "2h")]
    [InlineData("--port must be 0..65535", "dht", "put", "hello", "--port", "70000")]
    [InlineData("--port must be 0..65535", "dht", "get", "0000000000000000000000000000000000000000", "-p", "-1")]
    [InlineData("--port must be 0..65535", "dht", "sample_infohashes", "127.0.0.1:1", "--port", "65536")]
    [InlineData("--seq expects a number of 0 or more", "dht", "put", "hello", "--key-file", "k", "--seq", "-1")]
    public async Task BadValue_IsRefusedWhereParsed_OneLineNamingTheOptionAndItsRange(string expected, params string[] args)
    {
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(args, stderr, new StringWriter());

        Assert.Equal(CliRunner.Codes.Usage, code);
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {expected}", line);
    }

    [Theory]
    [InlineData("--seed-time", "30", 30 * 60)]   // a bare number keeps the option's unit: minutes
    [InlineData("--seed-time", "90s", 90)]
    [InlineData("--seed-time", "2h", 2 * 3600)]
    [InlineData("--seed-time", "0", 0)]          // 0: stop seeding at once
    [InlineData("--stall-timeout", "30", 30)]    // a bare number keeps the option's unit: seconds
    [InlineData("--stall-timeout", "10m", 600)]
    [InlineData("--stall-timeout", "1.5h", 5400)]
    [InlineData("--stall-timeout", "1d", 86400)]
    public void Duration_TakesASuffixOrTheOptionsOwnUnit(string option, string value, int seconds)
    {
        var root = CliApp.Build();
        var parse = root.Parse(["x.torrent", option, value]);

        Assert.Empty(parse.Errors);
        Assert.Equal(TimeSpan.FromSeconds(seconds), parse.GetValue((Option<TimeSpan?>)root.Options.Single(o => o.Name == option)));
    }

    [Fact]
    public void DhtTimeout_TakesADurationAsSeconds()
    {
        var root = CliApp.Build();
        var put = root.Subcommands.Single(c => c.Name == "dht").Subcommands.Single(c => c.Name == "put");
        var parse = root.Parse(["dht", "put", "hello", "--timeout", "2m"]);

        Assert.Empty(parse.Errors);
        Assert.Equal(120.0, parse.GetValue((Option<double>)put.Options.Single(o => o.Name == "--timeout")));
    }

    /// <summary>No short option means two things: the same letter names the same setting in every command that has it.</summary>
    [Fact]
    public void ShortOptions_EachLetterHasOneMeaningAcrossCommands()
    {
        var meanings = new Dictionary<string, HashSet<string>>();
        foreach (var (_, command) in ValueParsersTests.Commands(CliApp.Build(), []))
            foreach (var option in command.Options)
                foreach (var alias in option.Aliases.Where(a => a.Length == 2 && a[0] == '-'))
                {
                    if (!meanings.TryGetValue(alias, out var names)) meanings[alias] = names = [];
                    names.Add(Meaning(option.Name));
                }

        Assert.All(meanings, pair => Assert.True(pair.Value.Count == 1, $"{pair.Key} means {string.Join(" and ", pair.Value)}"));
        Assert.Equal("--download-dir", Meaning(CliApp.Build().Options.Single(o => o.Aliases.Contains("-d")).Name));
    }

    /// <summary>Options that name one setting under two names (seed's --data is its download folder).</summary>
    private static string Meaning(string name) => name switch
    {
        "--output" or "--data" or "--download-dir" => "--download-dir",
        _ => name,
    };
}
