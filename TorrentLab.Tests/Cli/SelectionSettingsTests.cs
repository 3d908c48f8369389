using System.CommandLine;
using TorrentLab.Cli;
using TorrentLab.Cli.Commands;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>--select-file 1,3-5</c> and <c>--select GLOB</c>: which files the main download fetches.</summary>
[Trait("Tier", "Slow")]
public class SelectionSettingsTests
{
    private static readonly TestTorrents.Built Built =
        TestTorrents.MultiFile([("a.bin", 10), ("docs/b.txt", 20), ("docs/c.txt", 30), ("d.bin", 40), ("e.bin", 50)], name: "five");

    private static IReadOnlyList<FilePriority>? Priorities(params string[] args)
    {
        var settings = new SelectionSettings();
        var command = new RootCommand();
        settings.AddTo(command);
        var parse = command.Parse(args);
        settings.Check(parse);
        return settings.Priorities(parse, Built.Torrent);
    }

    private static string Selected(IReadOnlyList<FilePriority>? priorities) =>
        string.Concat(priorities!.Select(p => p == FilePriority.Skip ? '-' : 'x'));

    [Theory]
    [InlineData("1", "x----")]
    [InlineData("1,3-5", "x-xxx")]
    [InlineData("2-2", "-x---")]
    [InlineData(" 5 , 1 ", "x---x")]
    [InlineData("1-5", "xxxxx")]
    public void SelectFile_IndicesAndRanges_SelectThoseFilesOnly(string list, string expected)
    {
        Assert.Equal(expected, Selected(Priorities("--select-file", list)));
    }

    [Theory]
    [InlineData("0", "counts files from 1")]
    [InlineData("3-1", "ends before it starts")]
    [InlineData("a", "expects file indices")]
    [InlineData("1,,2", "expects file indices")]
    [InlineData("1-2-3", "expects file indices")]
    [InlineData("-1", "expects file indices")]
    [InlineData("", "expects file indices")]
    [InlineData("6", "out of range: the torrent has 5 file(s)")]
    [InlineData("2-9", "out of range")]
    [InlineData("99999999999", "expects file indices")]
    public void SelectFile_BadList_IsAUsageError(string list, string message)
    {
        var error = Assert.Throws<UsageException>(() => Priorities("--select-file", list));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Neither_Option_LeavesTheSelectionToTheLedger()
    {
        Assert.Null(Priorities());
    }

    [Theory]
    [InlineData("*.txt", "-xx--")]
    [InlineData("five/docs/*", "-xx--")]
    [InlineData("**.bin", "x--xx")]
    [InlineData("?.bin", "x--xx")]
    public void Select_Glob_MatchesNamesOrPaths(string glob, string expected)
    {
        Assert.Equal(expected, Selected(Priorities("--select", glob)));
    }

    /// <summary>Issue 39, finding 8: other clients match a glob against the path inside the torrent, so users write
    /// <c>docs/**</c> where we matched only <c>five/docs/**</c>; both are accepted.</summary>
    [Theory]
    [InlineData("docs/**", "-xx--")]
    [InlineData("docs/*.txt", "-xx--")]
    [InlineData("docs/b.txt", "-x---")]
    [InlineData("five/docs/**", "-xx--")]
    [InlineData("**/c.txt", "--x--")]
    public void Select_GlobWithAFolder_MatchesThePathInsideTheTorrentOrWithItsFolder(string glob, string expected)
    {
        Assert.Equal(expected, Selected(Priorities("--select", glob)));
    }

    [Fact]
    public void Select_AndSelectFile_Combine()
    {
        Assert.Equal("x-x-x", Selected(Priorities("--select-file", "1,5", "--select", "c.txt")));
    }

    [Fact]
    public void Select_GlobMatchingNothing_IsAUsageError()
    {
        var error = Assert.Throws<UsageException>(() => Priorities("--select", "*.iso"));

        Assert.Contains("no file of the torrent matches '*.iso'", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3-1")]
    [InlineData("x")]
    [InlineData("6")]   // out of range: known once the torrent is read, still before anything is created
    public void MainCommand_BadSelectFile_ExitsWithTheUsageCodeAndOneLine(string list)
    {
        using var temp = new TempFolder();
        var torrent = Built.WriteTorrent(temp.Path);

        var result = CliRunner.Run([torrent, "-o", temp.Combine("out"), "--select-file", list, "--no-dht", "--port", "0"], TimeSpan.FromSeconds(30));

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("--select-file", result.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out", "five")));
    }
}
