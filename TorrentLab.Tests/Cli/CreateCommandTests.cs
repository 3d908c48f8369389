using TorrentLab.Metainfo;
using TorrentLab.Tests.Creation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

[Trait("Tier", "Slow")]
public class CreateCommandTests
{
    [Fact]
    public void Create_Folder_WritesATorrentThatLoadsWithEveryOption()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large);
        var output = temp.Combine("out.torrent");

        var result = CliRunner.Run(["create", root, "-o", output, "--tracker", "http://127.0.0.1:1/a,http://127.0.0.1:2/b",
            "--tracker", "udp://127.0.0.1:3", "--piece-length", "32K", "--private", "--comment", "made in a test",
            "--web-seed", "http://127.0.0.1:4/", "--no-date"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal("", result.Stderr); // not a terminal and quick: no progress lines
        var torrent = Torrent.Load(output);
        Assert.Equal("large", torrent.Name);
        Assert.Equal(["large/one.bin", "large/two/empty", "large/two/three.bin", "large/z.bin"], torrent.Files.Select(f => f.DisplayPath));
        Assert.Equal(32 * 1024, torrent.PieceLength);
        Assert.True(torrent.IsPrivate);
        Assert.Equal("http://127.0.0.1:1/a", torrent.Announce);
        Assert.Equal([["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"], ["udp://127.0.0.1:3"]], torrent.AnnounceTiers);
        Assert.Equal("made in a test", torrent.Comment);
        Assert.Equal(["http://127.0.0.1:4/"], torrent.WebSeeds);
        Assert.Equal("TorrentLab 0.1.0", torrent.CreatedBy);
        Assert.Null(torrent.CreationDate);
        Assert.Contains(torrent.InfoHash.Hex, result.Stdout);
    }

    [Fact]
    public void Create_WithoutOutput_WritesNameDotTorrentInTheWorkingFolder()
    {
        using var temp = new TempFolder();
        var file = temp.Combine("data.bin");
        File.WriteAllBytes(file, TestTorrents.Payload(50_000));

        var result = CliRunner.Run(["create", "data.bin", "-q"], workingDirectory: temp.Path);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var torrent = Torrent.Load(temp.Combine("data.bin.torrent"));
        Assert.Equal("data.bin", torrent.Name);
        Assert.Equal(16 * 1024, torrent.PieceLength); // automatic for 50 KB
        Assert.NotNull(torrent.CreationDate);
    }

    [Fact]
    public void Create_MissingInput_IsAnIoErrorOnOneLine()
    {
        using var temp = new TempFolder();

        var result = CliRunner.Run(["create", temp.Combine("missing"), "-o", temp.Combine("x.torrent")]);

        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.Equal($"error: file not found: {temp.Combine("missing")}\n", result.Stderr);
        Assert.False(File.Exists(temp.Combine("x.torrent")));
    }

    [Theory]
    [InlineData("1000")]   // not a power of two
    [InlineData("8K")]     // below 16 KiB
    [InlineData("32M")]    // above 16 MiB
    [InlineData("49152")]  // 48 KiB
    [InlineData("big")]
    public void Create_BadPieceLength_IsAUsageError(string pieceLength)
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.Combine("f"), [1, 2, 3]);

        var result = CliRunner.Run(["create", temp.Combine("f"), "-o", temp.Combine("x.torrent"), "--piece-length", pieceLength]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("--piece-length", result.Stderr);
        Assert.False(File.Exists(temp.Combine("x.torrent")));
    }

    [Fact]
    public void Create_BadTrackerUrl_IsAUsageError()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.Combine("f"), [1, 2, 3]);

        var result = CliRunner.Run(["create", temp.Combine("f"), "--tracker", "not a url"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Create_OutputExists_IsRefusedUnlessForced()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.Combine("f"), [1, 2, 3]);
        File.WriteAllText(temp.Combine("x.torrent"), "keep me");

        var refused = CliRunner.Run(["create", temp.Combine("f"), "-o", temp.Combine("x.torrent")]);
        Assert.Equal(CliRunner.Codes.Io, refused.ExitCode);
        Assert.Contains("already exists", refused.Stderr);
        Assert.Equal("keep me", File.ReadAllText(temp.Combine("x.torrent")));

        var forced = CliRunner.Run(["create", temp.Combine("f"), "-o", temp.Combine("x.torrent"), "--force"]);
        Assert.Equal(CliRunner.Codes.Ok, forced.ExitCode);
        Assert.Equal("f", Torrent.Load(temp.Combine("x.torrent")).Name);
    }

    [Fact]
    public void Create_LinkOutOfTheFolder_FailsOnOneLineNamingTheLink()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("a", 10)]);
        File.WriteAllText(temp.Combine("secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), "../secret");

        var result = CliRunner.Run(["create", root, "-o", temp.Combine("x.torrent")]);

        Assert.Equal(CliRunner.Codes.Failed, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: {Path.Combine(root, "escape")}: is a symbolic link to ", result.Stderr);
        Assert.False(File.Exists(temp.Combine("x.torrent")));
    }

    [Theory]
    [InlineData("--v2", true)]
    [InlineData("--hybrid", false)]
    public void Create_V2OrHybrid_WritesAMetaVersion2TorrentAndPrintsItsV2InfoHash(string flag, bool v2Only)
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", PayloadFolders.Large);
        var output = temp.Combine("out.torrent");

        var result = CliRunner.Run(["create", root, "-o", output, "-l", "256K", flag, "--quiet"]);

        Assert.Equal(0, result.ExitCode);
        var torrent = Torrent.Load(output);
        Assert.Equal(2, torrent.MetaVersion);
        Assert.Equal(v2Only, torrent.IsV2Only);
        Assert.Contains($"v2 info hash {torrent.InfoHashV2!.Value.Hex}", result.Stdout);
        Assert.Contains("4 file(s)", result.Stdout); // pad files are not counted
    }

    [Fact]
    public void Create_V2AndHybridTogether_IsAUsageError()
    {
        using var temp = new TempFolder();
        var file = temp.Combine("f.bin");
        File.WriteAllBytes(file, [1, 2, 3]);

        var result = CliRunner.Run(["create", file, "--v2", "--hybrid", "-o", temp.Combine("x.torrent")]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--v2 and --hybrid exclude each other", result.Stderr);
        Assert.False(File.Exists(temp.Combine("x.torrent")));
    }
}
