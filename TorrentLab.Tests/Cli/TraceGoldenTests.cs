using System.Text.RegularExpressions;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Cli;

/// <summary>The wire trace of a known exchange, compared with a golden file (TORRENTLAB_UPDATE_GOLDEN=1 rewrites it).</summary>
[Trait("Tier", "Slow")]
public partial class TraceGoldenTests
{
    [Fact]
    public async Task DownloadPiece_TraceBytes_MatchesTheGoldenExchange()
    {
        // One piece of one 16 KiB block from a synthetic peer with a fixed id: handshakes, bitfield, interested,
        // unchoke, one request, one piece. Only the time, the port and our random peer id vary; they are masked.
        var built = TestTorrents.SingleFile(length: 3 * 16384, pieceLength: 16384, name: "trace.bin", announce: "http://127.0.0.1:1/announce", seed: 7);
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
        {
            PeerId = new PeerId("-SY0001-goldenpeer00"u8),
        });
        using var folder = new TempFolder();
        var torrent = built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["download_piece", "-o", folder.Combine("piece"), torrent, "1", "--trace-bytes",
            "--peer", peer.EndPoint.ToString()]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var trace = string.Join('\n', result.Stderr.Split('\n')
            .Where(line => TraceLine().IsMatch(line))
            .Select(line => Port().Replace(TraceLine().Replace(line, "TIME PEER"), "PORT"))
            .Select(line => OurPeerId().Replace(line, "OUR-PEER-ID"))) + "\n";
        var golden = TestPaths.Fixture("golden", "trace-download-piece.txt");
        if (TestPaths.UpdateGolden) File.WriteAllText(golden, trace);
        Assert.True(File.Exists(golden), $"golden file {golden} is missing; run with TORRENTLAB_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(golden), trace);
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} 127\.0\.0\.1:\d+")]
    private static partial Regex TraceLine();

    [GeneratedRegex(@"(?<=port=)\d+")]
    private static partial Regex Port();

    // Our BEP 20 id: "-TZ0100-" then 12 random bytes, in hex or as text.
    [GeneratedRegex(@"2d545a303130302d[0-9a-f]{24}|-TZ0100-\S{12}")]
    private static partial Regex OurPeerId();
}
