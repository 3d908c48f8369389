using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Tests.Client;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 28 tracker exchange (<c>Extensions/TrackerExchangeExtension.cs</c>) between two of our peers on
/// loopback: the trackers sit outside the info dictionary, so two copies of one torrent may list different ones.</summary>
[Trait("Tier", "Slow")]
public class TrackerExchangeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADownloader_HearsTheSeedsTrackers_AndLogsThoseItLacks_WithoutAnnouncingToThem()
    {
        using var folder = new TempFolder();
        var theirs = TestTorrents.SingleFile(256 * 1024, pieceLength: 32 * 1024, name: "tex.bin", announce: "http://127.0.0.1:1/seeds-tracker", seed: 28);
        var ours = TestTorrents.SingleFile(256 * 1024, pieceLength: 32 * 1024, name: "tex.bin", announce: "http://127.0.0.1:1/our-tracker", seed: 28);
        Assert.Equal(theirs.Torrent.InfoHash, ours.Torrent.InfoHash);
        theirs.WritePayload(folder.Combine("seed"));
        await using var seeder = await Seeder.StartAsync(theirs.Torrent,
            new DownloadOptions { OutputDirectory = folder.Combine("seed"), Session = TorrentSessionTests.Loopback() }, ct: Ct);
        var lines = new ConcurrentQueue<string>();

        // 64 KiB/s: about 4 s, well after the extension handshakes.
        await TorrentClient.DownloadAsync(ours.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            Session = TorrentSessionTests.Loopback(), DownloadLimit = new RateLimit(64 * 1024), Log = lines.Enqueue,
        }, progress: null, Ct);

        var told = Assert.Single(lines, l => l.Contains("(lt_tex, BEP 28", StringComparison.Ordinal));
        Assert.EndsWith(": http://127.0.0.1:1/seeds-tracker", told, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("our-tracker", StringComparison.Ordinal)); // we announce to our own
        Assert.DoesNotContain(lines, l => l.Contains("seeds-tracker", StringComparison.Ordinal) && l != told); // never to theirs
        Assert.Equal(ours.Payload, File.ReadAllBytes(folder.Combine("out", "tex.bin")));
    }
}
