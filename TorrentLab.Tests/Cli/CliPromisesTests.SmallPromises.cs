using System.Text.RegularExpressions;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

// The small promises a newcomer tripped on: a magnet link nothing can find peers for is a usage error; another tool's
// spelling of an option is pointed at ours; a read-only folder is one line of ours; the seeding time counts down; the
// demo writes to a folder of its own run.
public partial class CliPromisesTests
{
    private static readonly string Hash = new('c', 40);

    /// <summary>No tracker, no x.pe, and the DHT off: nothing could find a peer, so the command line is what is wrong.</summary>
    [Theory]
    [InlineData("main")]
    [InlineData("magnet_download")]
    [InlineData("magnet_download_piece")]
    [InlineData("magnet_info")]
    public void MagnetLink_NoTrackerNoPeerAndNoDht_IsAUsageErrorSayingNothingCanFindPeers(string command)
    {
        using var folder = new TempFolder();
        var link = $"magnet:?xt=urn:btih:{Hash}&dn=x";
        string[] args = command switch
        {
            "main" => [link, "-o", folder.Path, "--no-dht"],
            "magnet_download" => [command, "-o", folder.Combine("x"), link, "--no-dht"],
            "magnet_download_piece" => [command, "-o", folder.Combine("x"), link, "0", "--no-dht"],
            _ => [command, link, "--no-dht"],
        };

        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == CliRunner.Codes.Usage, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: the magnet link names no tracker (tr) and no peer (x.pe), and --no-dht turns the DHT off: there is no way to find peers",
            result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Theory]
    [InlineData("-p", "--private")]    // mktorrent's and transmission-create's private flag; -p is --port here
    [InlineData("-d", "--no-date")]    // mktorrent's "no creation date"; -d is --download-dir here
    [InlineData("--privte", "--private")] // a typo of one of the command's long options
    public void Create_AnotherToolsSpellingOrATypo_IsAnUnknownOptionThatNamesTheOneMeant(string word, string meant)
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.Combine("a.bin"), new byte[1000]);

        var result = CliRunner.Run(["create", word, folder.Combine("a.bin"), "-o", folder.Combine("a.torrent")]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal($"error: unknown option '{word}'; did you mean '{meant}'? (see 'torrentlab --help')\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.False(File.Exists(folder.Combine("a.torrent")));
    }

    /// <summary>A write refused by a read-only file system: one line of ours naming the folder that is read-only,
    /// the I/O exit code, no .NET wording.</summary>
    [Theory]
    [InlineData("main")]     // the ledger is the first write
    [InlineData("download")] // the staging folder beside the target
    [InlineData("create")]   // the .torrent file
    public void ReadOnlyFolder_IsOneLineNamingTheFolder(string command)
    {
        using var folder = new TempFolder();
        using var disk = Tmpfs.Mount(folder.Combine("ro"), "1m", readOnly: true);
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        var torrent = built.WriteTorrent(folder.Path);
        File.WriteAllBytes(folder.Combine("a.bin"), new byte[1000]);
        string[] args = command switch
        {
            "main" => [torrent, "-o", disk.Path, "--no-dht", "--peer", "127.0.0.1:9", "--quiet"],
            "download" => [command, "-o", Path.Combine(disk.Path, "x.bin"), torrent, "--no-dht", "--peer", "127.0.0.1:9", "--quiet"],
            _ => [command, folder.Combine("a.bin"), "-o", Path.Combine(disk.Path, "a.torrent"), "--quiet"],
        };

        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == CliRunner.Codes.Io, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: the folder '{disk.Path}' is read-only (a read-only file system): cannot write '{disk.Path}/", result.Stderr);
        Assert.DoesNotContain("Read-only file system :", result.Stderr);
    }

    /// <summary>The seeding line counts down what is left of <c>--seed-time</c> (it said "until 4s" throughout).</summary>
    [Fact]
    public async Task Download_SeedTime_TheSeedingLineCountsDownWhatIsLeft()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--no-dht", "--seed", "--seed-time", "4s"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, $"exit {result.ExitCode}: {result.Stderr}");
        var seeding = result.Stderr.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("seeding ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(seeding);
        Assert.All(seeding, line => Assert.Matches(@"; until 00:0[0-4] from now, or Ctrl-C$", line));
    }

    /// <summary>Without <c>-o</c>, each run gets a new folder of its own under the temporary folder (before, every demo
    /// of every user wrote to one fixed folder there), and says where it is.</summary>
    [Fact]
    public void Demo_WithoutOutput_RunsInAFolderOfItsOwnAndSaysWhere()
    {
        var folders = new List<string>();
        try
        {
            for (var run = 0; run < 2; run++)
            {
                var result = CliRunner.Run(["demo", "--quiet"], TimeSpan.FromSeconds(60));

                Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
                var files = Regex.Match(result.Stdout, "^files: (.+)$", RegexOptions.Multiline).Groups[1].Value.TrimEnd('\r');
                Assert.True(Directory.Exists(files), result.Stdout);
                folders.Add(Path.GetDirectoryName(files)!);
            }

            Assert.NotEqual(folders[0], folders[1]);
            foreach (var folder in folders)
            {
                Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetTempPath()), Path.GetDirectoryName(folder));
                Assert.StartsWith("torrentlab-demo-", Path.GetFileName(folder), StringComparison.Ordinal);
                if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            }
        }
        finally
        {
            foreach (var folder in folders) Directory.Delete(folder, recursive: true);
        }
    }
}
