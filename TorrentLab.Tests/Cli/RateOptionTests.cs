using TorrentLab.Cli.Commands;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

public class RateOptionTests
{
    [Theory]
    [InlineData("0", 0L)]             // unlimited
    [InlineData("1048576", 1048576L)] // plain bytes per second
    [InlineData("500K", 512_000L)]    // binary units, as aria2 reads them
    [InlineData("500k", 512_000L)]
    [InlineData("2M", 2_097_152L)]
    [InlineData("1.5M", 1_572_864L)]
    [InlineData("1G", 1_073_741_824L)]
    [InlineData(" 64K ", 65_536L)]
    public void TryParse_NumberWithOptionalUnit_IsBytesPerSecond(string text, long expected) =>
        Assert.Equal(expected, RateOption.TryParse(text));

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("2X")]
    [InlineData("-1")]
    [InlineData("1e3")]
    [InlineData("2MB")]
    [InlineData("9999999G")] // beyond 1 TiB/s: a typo
    public void TryParse_Malformed_IsNull(string text) => Assert.Null(RateOption.TryParse(text));

    [Fact]
    public void Limit_Zero_IsNoLimitAndAPositiveRateIsABucket()
    {
        Assert.Null(RateOption.Limit(0));
        Assert.Equal(2 << 20, RateOption.Limit(2 << 20)!.BytesPerSecond);
    }

    [Fact]
    public void MainCommand_BadRate_SaysWhatItExpects()
    {
        var result = CliRunner.Run([TestPaths.Fixture("single", "hello.txt.torrent"), "--max-download-rate", "2X"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--max-download-rate expects bytes per second such as 500K, 2M, 1.5M or 1048576 (0: unlimited), got '2X'", result.Stderr);
    }

    [Fact]
    public void MainCommand_RateWithTheSinglePeerReferencePath_IsAUsageErrorSayingWhy()
    {
        var result = CliRunner.Run([TestPaths.Fixture("single", "hello.txt.torrent"), "--max-download-rate", "1M", "--max-peers", "1"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("need the swarm engine", result.Stderr);
    }

    [Fact]
    public void Seed_BadUploadRate_IsAUsageError()
    {
        using var folder = new TempFolder("torrentlab-seed-rate");
        var built = TestTorrents.SingleFile(length: 10_000);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));
        var result = CliRunner.Run(["seed", torrent, "--data", folder.Combine("data"), "--max-upload-rate", "lots"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--max-upload-rate expects bytes per second", result.Stderr);
    }

    [Fact]
    public void Serve_BadRate_IsAUsageError()
    {
        var result = CliRunner.Run(["serve", "--max-download-rate", "1.5X", "--port", "0"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains("--max-download-rate expects bytes per second", result.Stderr);
    }
}
