using TorrentLab.Client;
using System.Net;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Pieces;

/// <summary>A hybrid torrent (BEP 52, with a BEP 47 pad file after every file) seeded by libtorrent: the swarm
/// engine fetches the files and not the padding.</summary>
[Trait("Tier", "Slow")]
public class PadFileInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SwarmDownload_HybridFromLibtorrent_ReceivesWithinTwoPercentOfThePayload()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-pad-lt");
        var random = new Random(47);
        // Ten files of 600-800 KB in 256 KiB pieces: about 1.3 MB of padding, 18 % of the payload.
        var files = Enumerable.Range(0, 10)
            .Select(i => ((IReadOnlyList<string>)[$"file{i}.bin"], (ReadOnlyMemory<byte>)TestTorrents.Payload(random.Next(600_000, 800_000), i)))
            .ToList();
        var bytes = TorrentBuilder.Create("padded", files, new TorrentCreateOptions { PieceLength = 256 * 1024, Format = TorrentFormat.Hybrid });
        var torrent = Torrent.Parse(bytes);
        var torrentPath = folder.Combine("padded.torrent");
        await File.WriteAllBytesAsync(torrentPath, bytes, Ct);
        Directory.CreateDirectory(folder.Combine("seed", "padded"));
        foreach (var (path, data) in files) await File.WriteAllBytesAsync(folder.Combine("seed", "padded", path[0]), data.ToArray(), Ct);
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);

        var result = await TorrentClient.DownloadAsync(torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            StallTimeout = TimeSpan.FromSeconds(20),
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        foreach (var (path, data) in files)
            Assert.Equal(data.ToArray(), await File.ReadAllBytesAsync(folder.Combine("out", "padded", path[0]), Ct));
        Assert.False(Directory.Exists(folder.Combine("out", "padded", ".pad"))); // pad files are never written
        var padding = torrent.TotalLength - torrent.PayloadLength;
        Assert.True(padding > torrent.PayloadLength / 10, $"only {padding} bytes of padding");
        Assert.True(result.Downloaded <= torrent.PayloadLength * 1.02,
            $"received {result.Downloaded} bytes for a payload of {torrent.PayloadLength} ({padding} bytes of padding)");
    }
}
