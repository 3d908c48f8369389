using TorrentLab.Client;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Reliability;

namespace TorrentLab.Tests.Swarm;

/// <summary>Issue 34: a torrent of 500,000 files created every file (4 min 46 s) before it listened or announced, so no
/// stall timeout or peer could act meanwhile. The swarm engine now creates a file with its first piece, and the rest
/// in the background while it runs; the download counts as complete only once every file exists.</summary>
[Trait("Tier", "Slow")]
public class SwarmDownloadManyFilesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwentyThousandFiles_TheSwarmDialsItsFirstPeerBeforeItHasCreatedThemAll()
    {
        const int count = 20_000;
        var built = TestTorrents.MultiFile([.. Enumerable.Range(0, count).Select(i => ($"d{i / 1000}/f{i}.bin", 16))], name: "many", announce: null);
        using var folder = new TempFolder("torrentlab-many-files");
        using var peer = new TcpListener(IPAddress.Loopback, 0);   // the first peer the swarm dials: only counts files
        peer.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var output = folder.Combine("out");

        var download = TorrentClient.DownloadAsync(built.Torrent, SeederRig.Options(output).WithSession(s => s with { Transport = TorrentLab.Downloads.PeerTransport.Tcp, Dht = false }) with
        {
            ExtraPeers = [(IPEndPoint)peer.LocalEndpoint],
        }, null, stop.Token);
        using var dialled = await peer.AcceptTcpClientAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var existing = Directory.Exists(output) ? Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Count() : 0;
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        Assert.True(existing < count, $"all {count} files existed before the first peer was dialled");
    }

    [Fact]
    public async Task ManyFilesSomeEmpty_DownloadsEveryFile_TheEmptyOnesToo()
    {
        var files = Enumerable.Range(0, 600).Select(i => ($"d{i / 100}/f{i}.bin", i % 7 == 0 ? 0 : 100 + i)).ToList();
        var built = TestTorrents.MultiFile(files, name: "mixed", announce: null, seed: 34);
        await using var rig = await SeederRig.StartAsync(built, Ct);

        var result = await rig.DownloadAsync("honest", Ct);

        Assert.True(rig.Identical("honest"));
        Assert.Empty(result.BadPeers);
        Assert.All(built.Files.Where(f => f.Data.Length == 0), f => Assert.True(File.Exists(Path.Combine(rig.Folder.Combine("honest"), f.Path))));
    }
}
