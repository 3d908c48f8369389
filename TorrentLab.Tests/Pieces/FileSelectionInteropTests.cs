using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Pieces;

/// <summary>One file of a multi-file torrent, from a libtorrent seeder: that file arrives whole, the others get only the
/// bytes of the pieces they share with it, and little more than the file is received.</summary>
[Trait("Tier", "Slow")]
public class FileSelectionInteropTests
{
    private const int PieceLength = 256 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 4.7 MB in 256 KiB pieces, no file boundary on a piece boundary: b.bin shares its first piece with a.bin and its
    // last with c.bin.
    private static TestTorrents.Built Built() =>
        TestTorrents.MultiFile([("a.bin", 1_000_003), ("b.bin", 2_500_001), ("c.bin", 1_200_007)], pieceLength: PieceLength, name: "three", announce: null);

    /// <summary>The selected file is identical; a skipped file is absent or holds, where it overlaps a piece of the
    /// selected file, exactly the torrent's bytes, and zeros (a sparse hole) elsewhere.</summary>
    private static void AssertOnlyTheMiddleFile(TestTorrents.Built built, string output)
    {
        Assert.Equal(built.Files[1].Data, File.ReadAllBytes(Path.Combine(output, "three", "b.bin")));
        var (wantedStart, wantedEnd) = (1_000_003 / PieceLength * PieceLength, ((1_000_003 + 2_500_001 - 1) / PieceLength + 1) * PieceLength);
        foreach (var (file, offset) in new[] { (0, 0L), (2, 3_500_004L) })
        {
            var path = Path.Combine(output, built.Files[file].Path);
            if (!File.Exists(path)) continue;
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length <= built.Files[file].Data.Length, $"{path} is {bytes.Length} bytes");
            for (var i = 0; i < bytes.Length; i++)
            {
                var inShared = offset + i >= wantedStart && offset + i < wantedEnd;
                var expected = inShared ? built.Files[file].Data[i] : (byte)0;
                if (bytes[i] != expected) Assert.Fail($"{path} byte {i}: expected {expected} ({(inShared ? "shared piece" : "hole")}), got {bytes[i]}");
            }
        }
    }

    [Fact]
    public async Task DownloadAsync_ReferencePath_OneFileFromLibtorrent_FetchesOnlyItsPieces()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-select-lt");
        var built = Built();
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);

        var result = await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            MaxPeers = 1,
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            StallTimeout = TimeSpan.FromSeconds(30),
            FilePriorities = [FilePriority.Skip, FilePriority.Normal, FilePriority.Skip],
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);

        AssertOnlyTheMiddleFile(built, folder.Combine("out"));
        Assert.True(result.Downloaded <= 2_500_001 + 2 * PieceLength, $"received {result.Downloaded} bytes for a file of 2500001");
        Assert.Equal((11 * (long)PieceLength, 2), result.Selected); // pieces 3..13 hold b.bin
    }

    [Fact]
    public async Task Cli_SelectFile_SwarmFromLibtorrent_FetchesOneFileThenResumesAndVerifiesIt()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-select-cli");
        var built = Built();
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);
        string[] download = [torrentPath, "-o", folder.Combine("out"), "--port", "0", "--bind", "127.0.0.1", "--no-dht",
            "--peer", $"127.0.0.1:{seeder.Port}", "--stall-timeout", "30", "--quiet"];

        var first = await CliRunner.RunAsync([.. download, "--select-file", "2", "--sequential"], TimeSpan.FromSeconds(90));

        Assert.True(first.ExitCode == CliRunner.Codes.Ok, first.Stderr);
        AssertOnlyTheMiddleFile(built, folder.Combine("out"));
        var received = long.Parse(System.Text.RegularExpressions.Regex.Match(first.Stdout, @"received (\d+) bytes").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(received <= 2_500_001 + 2 * PieceLength, $"received {received} bytes for a file of 2500001: {first.Stdout}");
        Assert.Contains("2 files skipped", first.Stdout);

        // Without --select-file the ledger's selection applies: nothing left to fetch, the skipped files stay as they are.
        var again = await CliRunner.RunAsync(download, TimeSpan.FromSeconds(60));
        Assert.True(again.ExitCode == CliRunner.Codes.Ok, again.Stderr);
        Assert.Contains("received 0 bytes", again.Stdout);
        AssertOnlyTheMiddleFile(built, folder.Combine("out"));

        var verify = await CliRunner.RunAsync(["verify", torrentPath, "-o", folder.Combine("out")], TimeSpan.FromSeconds(60));
        Assert.True(verify.ExitCode == CliRunner.Codes.Ok, verify.Stdout + verify.Stderr);
        Assert.Contains("(skipped)", verify.Stdout);
        Assert.Contains("11/11 wanted pieces verified", verify.Stdout);
    }
}
