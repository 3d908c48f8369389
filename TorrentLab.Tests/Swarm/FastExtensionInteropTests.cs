using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 6 against libtorrent: its seeder sends have all and its allowed fast set, and the download uses it.</summary>
[Trait("Tier", "Slow")]
public class FastExtensionInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SwarmDownload_FromALibtorrentSeeder_SeesHaveAllAndAllowedFastInTheTraceAndCompletes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-fast-lt");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(length: 3 << 20, pieceLength: 64 * 1024, announce: tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        // libtorrent 2.0 sends have all to a peer that sets the BEP 6 bit; an allowed fast set only when its size is set.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct,
            settings: """{"allowed_fast_set_size": 5}""");
        var trace = new ConcurrentQueue<string>();
        var ltPeer = $"127.0.0.1:{seeder.Port}";

        await SwarmDownload.RunAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ListenPort = 0,
            BindAddress = IPAddress.Loopback,
            StallTimeout = TimeSpan.FromSeconds(20),
            Trace = e => { if (e.Direction == TorrentLab.Wire.WireDirection.Received && e.Peer.ToString() == ltPeer) trace.Enqueue(e.ToString()); },
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);

        var file = Path.Combine(folder.Combine("out"), built.Files[0].Path);
        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(file));
        var lines = string.Join("\n", trace);
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.Contains(" fast=yes", StringComparison.Ordinal));
        Assert.True(trace.Contains("<- have all"), lines);
        Assert.True(trace.Any(l => l.StartsWith("<- allowed fast index=", StringComparison.Ordinal)), lines);
        Assert.DoesNotContain(trace, l => l.StartsWith("<- bitfield", StringComparison.Ordinal));
    }
}
