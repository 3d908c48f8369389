using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Creation;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Web seeds against aria2: it downloads the same torrent from the same server on 127.0.0.1, for comparison.</summary>
[Trait("Tier", "Slow")]
public class WebSeedInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WebSeedOnly_Aria2AndTorrentLab_BothDownloadTheSameBytesFromTheSameServer()
    {
        var aria2 = Interop.RequireExecutable("aria2c");
        using var folder = new TempFolder("torrentlab-webseed-aria2");
        Directory.CreateDirectory(folder.Combine("www", "pair"));
        await using var server = await WebSeedServer.StartAsync(folder.Combine("www"), WebSeedServer.Fault.None, Ct);
        var files = new (string[] Path, byte[] Data)[] { (["a.bin"], TestTorrents.Payload(900_000, 61)), (["b", "c.bin"], TestTorrents.Payload(300_001, 62)) };
        foreach (var (path, data) in files)
        {
            var target = Path.Combine([folder.Combine("www", "pair"), .. path]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, data);
        }
        var bytes = TorrentBuilder.Create("pair", [.. files.Select(f => ((IReadOnlyList<string>)f.Path, (ReadOnlyMemory<byte>)f.Data))],
            new TorrentCreateOptions { PieceLength = 64 * 1024, WebSeeds = [server.Url + "/files/"] });
        var torrentPath = folder.Combine("pair.torrent");
        File.WriteAllBytes(torrentPath, bytes);

        using var a2 = InteropProcess.Aria2Downloader(aria2, torrentPath, folder.Combine("a2"));
        var (code, output) = await a2.WaitAsync(InteropProcess.DownloaderPatience, Ct);
        var requestsByAria2 = server.Requests;
        var log = new ConcurrentQueue<string>();
        await TorrentClient.DownloadAsync(Torrent.Parse(bytes), new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = folder.Combine("ours"),
            StallTimeout = TimeSpan.FromSeconds(30), Log = log.Enqueue,
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(code == 0, $"aria2: {output}");
        Assert.True(requestsByAria2 > 0, "aria2 never asked the web seed");
        Assert.True(server.Requests > requestsByAria2, "we never asked the web seed");
        foreach (var (path, data) in files)
        {
            Assert.Equal(data, File.ReadAllBytes(Path.Combine([folder.Combine("a2", "pair"), .. path])));
            Assert.Equal(data, File.ReadAllBytes(Path.Combine([folder.Combine("ours", "pair"), .. path])));
        }
    }
}
