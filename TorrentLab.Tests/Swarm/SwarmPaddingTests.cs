using TorrentLab.Client;
using System.Net;
using TorrentLab.Cli.Commands;
using TorrentLab.Cli.Display;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>A torrent with BEP 47 pad files through the swarm engine: progress, the closing line and the rate count the
/// files' bytes, never the padding (<see cref="Torrent.GetPiecePayloadLength"/>).</summary>
[Trait("Tier", "Slow")]
public class SwarmPaddingTests
{
    private const int PieceLength = 64 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Hybrid (BEP 52): a.bin 20000 bytes, a pad to the piece's end, b.bin 70000 bytes, a pad to the piece's end:
    // 90000 bytes of files in 3 pieces (196608 bytes of piece space).
    private static readonly byte[] A = TestTorrents.Payload(20_000, 41), B = TestTorrents.Payload(70_000, 42);

    /// <summary>Issue 39, finding 4: the progress line said 192.0 KiB where the files hold 87.9 KiB.</summary>
    [Fact]
    public async Task RunAsync_HybridTorrentWithPadFiles_ProgressAndClosingLineCountOnlyTheFilesBytes()
    {
        var torrent = Torrent.Parse(TorrentBuilder.Create("padded", [(["a.bin"], A), (["b.bin"], B)],
            new TorrentCreateOptions { PieceLength = PieceLength, Format = TorrentFormat.Hybrid, CreationDate = null }));
        byte[] stream = [.. A, .. new byte[PieceLength - A.Length], .. B, .. new byte[2 * PieceLength - B.Length]];
        Assert.Equal(90_000, torrent.PayloadLength);
        Assert.Equal(3 * PieceLength, torrent.TotalLength);
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(torrent, stream));
        using var folder = new TempFolder();
        DownloadProgress? last = null;
        var progress = new SynchronousProgress(p => last = p);

        var result = await TorrentClient.DownloadAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
                DialTcpFirst = true,
            },
            OutputDirectory = folder.Path,
            ExtraPeers = [seeder.EndPoint],
            StallTimeout = TimeSpan.FromSeconds(20),
        }, progress, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(B, File.ReadAllBytes(folder.Combine("padded", "b.bin")));
        Assert.Equal((90_000L, 90_000L), (last!.BytesDone, last.TotalBytes));
        Assert.InRange(result.Downloaded, 90_000, 3 * 16 * 1024 + 90_000 - 1); // at most a block's padding in each piece's last block
        var summary = MainCommand.Summary(torrent, folder.Path, result);
        Assert.Contains($"downloaded 'padded' ({Units.Bytes(90_000)})", summary);
    }
}

file sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
{
    public void Report(DownloadProgress value) => report(value);
}
