using TorrentLab.Client;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The download limit in the swarm engine (<c>SwarmPeer.Download.cs</c>, <c>Downloads/RateLimit.cs</c>) on a
/// clock of the test's own: what a seeder sends never exceeds what the bucket earned, and each refill is used. Rates
/// over real time are in BENCHMARKS.md (bench: limited-download).</summary>
[Trait("Tier", "Slow")]
public class SwarmRateLimitTests
{
    private const int Block = 16 * 1024, Rate = 64 * 1024, Size = 512 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250); // one block's worth at the rate

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_DownloadLimitOnAClockThatMovesOnlyWhenTold_TakesWhatTheBucketEarnsEachStepAndNoMore()
    {
        var clock = new ManualClock();
        var built = TestTorrents.SingleFile(length: Size, pieceLength: 64 * 1024, name: "limited.bin", announce: null, seed: 39);
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        using var folder = new TempFolder();
        var run = TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
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
            DownloadLimit = new RateLimit(Rate, clock: clock),
        }, null, Ct);

        var advanced = TimeSpan.Zero;
        while (true)
        {
            // The bucket starts with one block (a quarter second of 64 KiB/s is less) and earns one block a step.
            long earned = Block + (long)(Rate * advanced.TotalSeconds);
            var wanted = Math.Min(Size, earned);
            await Wait.UntilAsync(() => seeder.BytesUploaded >= wanted || run.IsCompleted, TimeSpan.FromSeconds(30), Ct);
            Assert.InRange(seeder.BytesUploaded, wanted, earned + Block); // all it earned is used; beyond it, one block of debt at most
            if (seeder.BytesUploaded >= Size) break;
            clock.Advance(Step);
            advanced += Step;
        }
        await run.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("limited.bin")));
        Assert.Equal(Size, seeder.BytesUploaded);
    }
}
