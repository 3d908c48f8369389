using System.Net;
using TorrentLab.Client;
using TorrentLab.Dht;
using TorrentLab.Lab;
using TorrentLab.Magnet;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Client;

/// <summary>Where a magnet link's peers come from (<c>Client/MagnetPeers.cs</c>), through the front door: a link with
/// only <c>xt</c> finds its peers in the DHT (a node of ours on 127.0.0.1, a seeder of ours announced to it).</summary>
[Trait("Tier", "Slow")]
public class MagnetPeersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string XtOnly(TestTorrents.Built built) => $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}";

    [Fact]
    public async Task XtOnlyLink_FetchesTheMetadataFromASeederTheDhtFound()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], announce: null);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeder = await LocalDht.SeedAsync(built, folder.Combine("seed"), bootstrap, Ct);

        var opened = await TorrentClient.OpenAsync(XtOnly(built), LocalDht.Options(folder.Combine("out"), bootstrap.LocalEndPoint!), ct: Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
        Assert.Equal(2, opened.Torrent.Files.Count);
        Assert.Empty(opened.Peers); // the link named none: the DHT's are for the download to find again
    }

    [Fact]
    public async Task XtOnlyLink_WithTheDhtOff_FailsSayingSo()
    {
        var built = TestTorrents.SingleFile(announce: null);
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false });

        var error = await Assert.ThrowsAsync<MetadataException>(() => TorrentClient.OpenAsync(XtOnly(built), options, ct: Ct));

        Assert.Equal("the magnet link names no tracker (tr) and no peer (x.pe), and the DHT is off (--no-dht)", error.Message);
    }

    [Fact]
    public async Task XtOnlyLink_DhtWithNobodyToAsk_FailsSayingTheDhtFoundNone()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null);
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { DhtBootstrap = [], DhtStatePath = folder.Combine("none.json") });

        var error = await Assert.ThrowsAsync<MetadataException>(() => TorrentClient.OpenAsync(XtOnly(built), options, ct: Ct));

        Assert.Equal("the magnet link names no tracker (tr) and no peer (x.pe), and the DHT found none", error.Message);
    }

    private static Task<TrackerServer> TrackerAsync() =>
        TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromSeconds(60) }, Ct);

    [Fact]
    public async Task LinkWithATrackerThatHasNoPeerYet_WaitsAndAsksAgain_UntilTheSeederAnnounces()
    {
        var built = TestTorrents.SingleFile(length: 100_000, announce: null);
        await using var tracker = await TrackerAsync();
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with { ServeMetadata = true });
        var link = $"{XtOnly(built)}&tr={Uri.EscapeDataString(tracker.HttpAnnounceUrl)}";
        var waiting = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false }) with { StallTimeout = TimeSpan.FromSeconds(60), Waiting = waiting.Enqueue };

        var opening = TorrentClient.OpenAsync(link, options, ct: Ct);
        // The seeder announces only once the tracker has answered the fetch's first announce (with no peer).
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);
        Assert.False(opening.IsCompleted);
        await new TrackerClient([[tracker.HttpAnnounceUrl]]).AnnounceAsync(
            new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), seeder.EndPoint.Port, 0, 0, 0, AnnounceEvent.Started), Ct);
        var opened = await opening.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
        Assert.Contains(waiting, line => line.StartsWith($"waiting for the metadata of {built.Torrent.InfoHash.Hex}: the link's trackers gave no peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LinkWithATrackerThatNeverHasAPeer_GivesUpAtTheStallTimeoutSayingWhy()
    {
        var built = TestTorrents.SingleFile(announce: null);
        await using var tracker = await TrackerAsync();
        var link = $"{XtOnly(built)}&tr={Uri.EscapeDataString(tracker.HttpAnnounceUrl)}";
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false }) with { StallTimeout = TimeSpan.FromSeconds(1) };

        var error = await Assert.ThrowsAsync<MetadataException>(() => TorrentClient.OpenAsync(link, options, ct: Ct));

        Assert.StartsWith("the link's trackers gave no peer (gave up after", error.Message);
    }

    /// <summary>Issue 34, item 8: a trackerless link gave up after its first DHT lookup found nobody.</summary>
    [Fact]
    public async Task XtOnlyLink_DhtHasNoPeerAtFirst_WaitsAndAsksTheDhtAgain_UntilASeederAnnounces()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 100_000, announce: null, seed: 8);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        built.WritePayload(folder.Combine("seed"));
        await using var seeder = await Seeder.StartAsync(built.Torrent, LocalDht.Options(folder.Combine("seed"), bootstrap.LocalEndPoint!).WithSession(s => s with { Dht = false }), ct: Ct);
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = LocalDht.Options(folder.Combine("out"), bootstrap.LocalEndPoint!) with { Waiting = _ => waited.TrySetResult() };

        var opening = TorrentClient.OpenAsync(XtOnly(built), options, ct: Ct);
        await Task.WhenAny(waited.Task, opening).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.False(opening.IsCompleted, "the fetch ended after its first lookup found nobody");   // it waits, saying so
        // Only now does the DHT learn of the seeder: announced for it to the bootstrap node, and to the fetch's own DHT
        // node too when the bootstrap node names it (whether it does depends on where the fetch's retries are).
        await using (var announcer = await DhtNode.StartAsync(new DhtNodeOptions
        {
            Bootstrap = [bootstrap.LocalEndPoint!.ToString()], LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0), LoopbackOnly = true,
        }, Ct))
        {
            await announcer.Bootstrapped.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.InRange(await announcer.AnnounceAsync(built.Torrent.InfoHash, seeder.Port, ct: Ct), 1, 2);
        }
        var opened = await opening.WaitAsync(TimeSpan.FromSeconds(90), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
    }
}
