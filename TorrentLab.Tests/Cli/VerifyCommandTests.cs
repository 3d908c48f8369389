using TorrentLab.Cli;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

[Trait("Tier", "Slow")]
public class VerifyCommandTests
{
    private static readonly TestTorrents.Built Built =
        TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], pieceLength: 16 * 1024, name: "folder");

    [Fact]
    public void Verify_HalfWrittenDownload_ReportsEachFileAndExitsVerifyFailed()
    {
        using var temp = new TempFolder();
        var torrent = Built.WriteTorrent(temp.Path);
        var output = temp.Combine("out");
        Directory.CreateDirectory(temp.Combine("out", "folder"));
        File.WriteAllBytes(temp.Combine("out", "folder", "a.bin"), Built.Files[0].Data); // b.bin never arrived

        var result = CliRunner.Run(["verify", torrent, "--output", output]);

        Assert.Equal(ExitCodes.VerifyFailed, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        // a.bin is pieces 0-2, b.bin pieces 2-4 (piece 2 holds the end of one and the start of the other).
        Assert.Contains("    66.7%  2/3 pieces          folder/a.bin", lines);
        Assert.Contains("     0.0%  0/3 pieces          folder/b.bin  (missing)", lines);
        Assert.Contains("total: 2/5 pieces (40.0%), 32768 of 70000 bytes verified", result.Stdout);
        Assert.Equal("incomplete: 3 of 5 pieces are missing or damaged\n", result.Stderr);
        var ledger = new ResumeLedger(Built.Torrent, output).Validate();
        Assert.Equal([0, 1], ledger.Trusted!.SetIndexes());
    }

    [Fact]
    public void Verify_CompleteDownload_ExitsOkAndWritesATrustedLedger()
    {
        using var temp = new TempFolder();
        var torrent = Built.WriteTorrent(temp.Path);
        Built.WritePayload(temp.Combine("out"));

        var result = CliRunner.Run(["verify", torrent, "--output", temp.Combine("out")]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Contains("total: 5/5 pieces (100.0%), 70000 of 70000 bytes verified", result.Stdout);
        Assert.Equal("", result.Stderr);
        Assert.True(new ResumeLedger(Built.Torrent, temp.Combine("out")).Validate().Trusted!.IsComplete);
    }

    [Fact]
    public void Verify_NotATorrent_IsBadInput()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("x.torrent"), "hello");
        var result = CliRunner.Run(["verify", temp.Combine("x.torrent"), "--output", temp.Path]);
        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Verify_MissingOutputFolder_IsAnIoError()
    {
        using var temp = new TempFolder();
        var torrent = Built.WriteTorrent(temp.Path);
        var result = CliRunner.Run(["verify", torrent, "--output", temp.Combine("nowhere")]);
        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.StartsWith("error: output folder", result.Stderr);
    }

    [Fact]
    public void Verify_MissingOutputOption_IsAUsageError()
    {
        var result = CliRunner.Run(["verify", "x.torrent"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
    }

    private static string WriteV2(TempFolder temp, TorrentLab.Creation.TorrentFormat format)
    {
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files = [(["a.bin"], TestTorrents.Payload(70_000, 21)), (["b.bin"], TestTorrents.Payload(3_000, 22))];
        var bytes = TorrentLab.Creation.TorrentBuilder.Create("v2folder", files,
            new TorrentLab.Creation.TorrentCreateOptions { PieceLength = 32 * 1024, Format = format, CreationDate = null });
        Directory.CreateDirectory(temp.Combine("out", "v2folder"));
        foreach (var (path, data) in files) File.WriteAllBytes(temp.Combine("out", "v2folder", path[0]), data.ToArray());
        var torrent = temp.Combine("v2.torrent");
        File.WriteAllBytes(torrent, bytes);
        return torrent;
    }

    [Fact]
    public void Verify_V2Torrent_ChecksByMerkleTreesAndRecordsTheScheme()
    {
        using var temp = new TempFolder();
        var torrent = WriteV2(temp, TorrentLab.Creation.TorrentFormat.V2);

        var intact = CliRunner.Run(["verify", torrent, "--output", temp.Combine("out")]);
        var bytes = File.ReadAllBytes(temp.Combine("out", "v2folder", "a.bin"));
        bytes[40_000] ^= 1; // piece 1 of a.bin
        File.WriteAllBytes(temp.Combine("out", "v2folder", "a.bin"), bytes);
        var damaged = CliRunner.Run(["verify", torrent, "--output", temp.Combine("out")]);

        Assert.Equal(ExitCodes.Ok, intact.ExitCode);
        Assert.Contains("total: 4/4 pieces (100.0%), 73000 of 73000 bytes verified", intact.Stdout);
        Assert.Contains("(pieces verified with merkle-sha256)", intact.Stdout);
        Assert.Equal(ExitCodes.VerifyFailed, damaged.ExitCode);
        Assert.Contains("total: 3/4 pieces (75.0%), 40232 of 73000 bytes verified", damaged.Stdout);
    }

    [Fact]
    public void Verify_HybridTorrent_ChecksBothHashes()
    {
        using var temp = new TempFolder();
        var result = CliRunner.Run(["verify", WriteV2(temp, TorrentLab.Creation.TorrentFormat.Hybrid), "--output", temp.Combine("out")]);
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("(pieces verified with sha1+merkle-sha256)", result.Stdout);
    }

    [Fact]
    public void MainDownload_OfAV2OnlyTorrentWhoseDataIsThere_VerifiesItByMerkleTreesAndFinishes()
    {
        using var temp = new TempFolder();
        var torrent = WriteV2(temp, TorrentLab.Creation.TorrentFormat.V2);

        var result = CliRunner.Run([torrent, "--output", temp.Combine("out"), "--quiet"]);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.Stderr);
        Assert.Equal(TestTorrents.Payload(70_000, 21), File.ReadAllBytes(temp.Combine("out", "v2folder", "a.bin")));
    }
}
