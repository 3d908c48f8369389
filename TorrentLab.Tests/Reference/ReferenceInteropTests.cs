using System.Security.Cryptography;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reference;

/// <summary>The CLI's single-peer download against real clients nobody here wrote, all on 127.0.0.1.</summary>
[Trait("Tier", "Slow")]
public class ReferenceInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void AssertDownloaded(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.Equal(SHA1.HashData(data), SHA1.HashData(File.ReadAllBytes(Path.Combine(output, path))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cli_FromLibtorrentSeederThroughOpentracker_DownloadsSingleAndMultiFileTorrents(bool multiFile)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-ref-lt");
        var port = OpenTracker.ReservePort();
        var announce = $"http://127.0.0.1:{port}/announce";
        var built = multiFile
            ? TestTorrents.MultiFile([("a.bin", 1_500_000), ("nested/b.bin", 700_000), ("nested/empty.txt", 0)], pieceLength: 64 * 1024, name: "set", announce: announce)
            : TestTorrents.SingleFile(length: 3_000_000, pieceLength: 256 * 1024, name: "movie.bin", announce: announce);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var tracker = OpenTracker.Start(port, [built.Torrent.InfoHash], folder.Path);
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrent, folder.Combine("seed"), folder.Path, Ct);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--max-peers", "1", "--no-resume", "--port", "7311"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        AssertDownloaded(built, folder.Combine("out"));
        Assert.Matches(@"from 1 peer(;|\s*$)", result.Stdout);
    }

    [Fact]
    public async Task Cli_Handshake_PrintsLibtorrentsPeerId()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-ref-hs");
        var built = TestTorrents.SingleFile(length: 100_000, announce: null);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrent, folder.Combine("seed"), folder.Path, Ct);

        var result = await CliRunner.RunAsync(["handshake", torrent, $"127.0.0.1:{seeder.Port}"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        // libtorrent's BEP 20 prefix is -LT, hex 2d4c54.
        Assert.Matches("^Peer ID: 2d4c54[0-9a-f]{34}\n$", result.Stdout);
    }

    [Fact]
    public async Task Cli_FromAria2Seeder_DownloadsAndVerifies()
    {
        var aria2 = Interop.RequireExecutable("aria2c");
        using var folder = new TempFolder("torrentlab-ref-aria2");
        var built = TestTorrents.MultiFile([("x.bin", 900_000), ("y/z.bin", 400_000)], pieceLength: 32 * 1024, name: "pack",
            announce: "http://127.0.0.1:9/announce"); // nothing listens there: we dial aria2 directly
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = InteropProcess.Aria2Seeder(aria2, torrent, folder.Combine("seed"), uploadLimit: 0); // 0: no limit
        Assert.True(ProcessRunner.WaitForTcp(seeder.Port, TimeSpan.FromSeconds(15)), "aria2c did not start listening");

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--max-peers", "1", "--peer", $"127.0.0.1:{seeder.Port}", "--quiet"],
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        AssertDownloaded(built, folder.Combine("out"));
    }
}
