using System.Text.Json;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

[Trait("Tier", "Slow")]
public class InfoCommandTests
{
    // Each fixture and the golden file its output must equal (rewritten with TORRENTLAB_UPDATE_GOLDEN=1).
    public static TheoryData<string, string> Fixtures => new()
    {
        { "single/hello.txt.torrent", "hello" },
        { "multi/sample.torrent", "sample" },
        { "corpus/libtorrent-sample.torrent", "libtorrent-sample" },
        { "multi/sample-v2.torrent", "sample-v2" },         // BEP 52 v2-only, made by libtorrent
        { "multi/sample-hybrid.torrent", "sample-hybrid" }, // BEP 52 hybrid with pad files, made by libtorrent
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Info_PrintsTheGoldenText(string fixture, string golden)
    {
        var result = CliRunner.Run(["info", TestPaths.Fixture(fixture)]);
        Assert.Equal("", result.Stderr);
        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        AssertGolden($"{golden}.info.txt", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void InfoJson_PrintsTheGoldenJson(string fixture, string golden)
    {
        var result = CliRunner.Run(["info", "--json", TestPaths.Fixture(fixture)]);
        Assert.Equal("", result.Stderr);
        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        AssertGolden($"{golden}.info.json", result.Stdout);
    }

    [Fact]
    public void Info_SingleFile_StartsWithTheLinesCheckersMatch()
    {
        var lines = CliRunner.Run(["info", TestPaths.Fixture("single", "hello.txt.torrent")]).Stdout.Split('\n');
        Assert.Equal("Tracker URL: http://127.0.0.1:6969/announce", lines[0]);
        Assert.Equal($"Length: {new FileInfo(TestPaths.Fixture("single", "hello.txt")).Length}", lines[1]);
        Assert.Matches("^Info Hash: [0-9a-f]{40}$", lines[2]);
        Assert.Equal("Piece Length: 32768", lines[3]);
        Assert.Equal("Piece Hashes:", lines[4]);
        Assert.Matches("^[0-9a-f]{40}$", lines[5]);
        Assert.Matches("^[0-9a-f]{40}$", lines[6]);
        Assert.Equal("Name: hello.txt", lines[7]);
    }

    [Fact]
    public void InfoJson_HasTheSameFactsAsTheText()
    {
        var json = JsonDocument.Parse(CliRunner.Run(["info", "--json", TestPaths.Fixture("multi", "sample.torrent")]).Stdout).RootElement;
        var text = CliRunner.Run(["info", TestPaths.Fixture("multi", "sample.torrent")]).Stdout;
        Assert.Contains($"Info Hash: {json.GetProperty("infoHash").GetString()}\n", text);
        Assert.Contains($"Length: {json.GetProperty("length").GetInt64()}\n", text);
        Assert.Equal(4, json.GetProperty("files").GetArrayLength());
        Assert.Contains("sample/notes-é.txt", text);
    }

    [Fact]
    public void Info_AfterTheClassroomLines_GivesTheSizeInBinaryUnits()
    {
        var text = CliRunner.Run(["info", TestPaths.Fixture("multi", "sample.torrent")]).Stdout;

        Assert.Contains("\nName: sample\nSize: 51.3 KiB in 4 files, 2 pieces of 32.0 KiB\nFiles: 4\n", text);
        Assert.Contains("  2: sample/data/numbers.csv (30.8 KiB)\n", text);
    }

    [Fact]
    public void InfoSummary_LeadsWithNameSizeAndFiles_WithoutThePieceHashes()
    {
        var result = CliRunner.Run(["info", "--summary", TestPaths.Fixture("multi", "sample.torrent")]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal(["Name: sample", "Size: 51.3 KiB in 4 files, 2 pieces of 32.0 KiB", "Files: 4"], lines[..3]);
        Assert.Contains("Info Hash: 9151e784e55ba6b4505dbda176ad8e3dfca9a8ea", lines);
        Assert.DoesNotContain("Piece Hashes:", result.Stdout);
        Assert.DoesNotContain("e0e52a7a8c22a5181e9398995645f85ea5dbc7f1", result.Stdout);
    }

    [Fact]
    public void Info_Folder_SaysItIsAFolder()
    {
        using var folder = new TempFolder();

        var result = CliRunner.Run(["info", folder.Path]);

        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.Equal($"error: {folder.Path} is a folder, not a file\n", result.Stderr);
    }

    [Fact]
    public void Info_MissingFile_IsAnIoErrorOnOneLine()
    {
        var result = CliRunner.Run(["info", "/nonexistent/missing.torrent"]);
        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("missing.torrent", result.Stderr);
    }

    [Fact]
    public void Info_InvalidMetainfo_NamesTheKeyPathAndExitsBadInput()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("bad.torrent");
        File.WriteAllText(path, "d4:infod6:lengthi-5e4:name1:a12:piece lengthi16384e6:pieces0:ee");
        var result = CliRunner.Run(["info", path]);
        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("error: invalid torrent: info.length: must not be negative, got -5\n", result.Stderr);
    }

    [Fact]
    public void Info_InvalidBencode_GivesTheByteOffsetAndExitsBadInput()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("bad.torrent");
        File.WriteAllText(path, "d4:infoi03ee");
        var result = CliRunner.Run(["info", path]);
        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("error: invalid bencode: leading zero in integer at byte 8\n", result.Stderr);
    }

    [Fact]
    public void Info_TorrentOf200MB_IsRefusedByItsLengthBeforeItIsRead()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("huge.torrent");
        using (var file = File.Create(path))
        {
            file.Write("d4:infod"u8); // a plausible start; the rest is a sparse hole, never read
            file.SetLength(200_000_000);
        }

        var result = CliRunner.Run(["info", path]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("", result.Stdout);
        // The length named, not a bencode error at some byte: the check ran before reading.
        Assert.Equal("error: invalid torrent: the file is 200000000 bytes; the limit for a .torrent is 67108864 (64 MiB)\n", result.Stderr);
    }

    [Fact]
    public void Info_MoreBencodeValuesThanTheLimit_IsReportedAsALimitNotAsInvalidBencode()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("many.torrent");
        using (var file = File.Create(path))
        {
            file.Write("d4:infol"u8);
            var zeros = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("i0e", 100_000)));
            for (var i = 0; i < 41; i++) file.Write(zeros); // 4,100,000 values: above the 4,000,000 limit
            file.Write("ee"u8);
        }

        var result = CliRunner.Run(["info", path]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: input over a limit: ", result.Stderr);
        Assert.DoesNotContain("invalid bencode", result.Stderr);
    }

    [Fact]
    public void Info_WithoutArgument_IsAUsageError()
    {
        var result = CliRunner.Run(["info"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    private static void AssertGolden(string name, string actual)
    {
        var path = TestPaths.Fixture("golden", name);
        if (TestPaths.UpdateGolden)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"golden file {path} is missing; run with TORRENTLAB_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
