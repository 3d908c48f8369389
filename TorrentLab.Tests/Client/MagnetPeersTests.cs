using System.Net;
using TorrentLab.Client;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Magnet;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
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
    public async Task XtOnlyLink_FetchesTheMetadataFromASeederTheDhtFound_ThroughANodeTheDhtDoesNotKeep()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], announce: null);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeder = await LocalDht.SeedAsync(built, folder.Combine("seed"), bootstrap, Ct);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var opened = await TorrentClient.OpenAsync(XtOnly(built), LocalDht.Options(folder.Combine("out"), bootstrap.LocalEndPoint!) with { Log = log.Enqueue }, ct: Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
        Assert.Equal(2, opened.Torrent.Files.Count);
        Assert.Empty(opened.Peers); // the link named none: the DHT's are for the download to find again
        // BEP 43: the fetch's own node lived for its lookup only and said so; the bootstrap node answered it (the seeder
        // was found through it) but keeps only the seeder's node, which stays.
        Assert.Contains(log, l => l.StartsWith("dht: a read-only node (BEP 43) on UDP 127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal([seeder.DhtNode!.Id], LocalDht.Routed(bootstrap));
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
        // The fetch's clock is a manual one: its pause between rounds (5 s after the first) passes when the test says.
        var clock = new ManualClock();
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false, Time = clock }) with { StallTimeout = TimeSpan.FromSeconds(60), Waiting = waiting.Enqueue };

        var opening = TorrentClient.OpenAsync(link, options, ct: Ct);
        // The seeder announces only once the tracker has answered the fetch's first announce (with no peer).
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);
        Assert.False(opening.IsCompleted);
        await new TrackerClient([[tracker.HttpAnnounceUrl]]).AnnounceAsync(
            new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), seeder.EndPoint.Port, 0, 0, 0, AnnounceEvent.Started), Ct);
        // It said why it waits and armed its pause: once that pause has passed, it asks the tracker again.
        await Wait.UntilAsync(() => !waiting.IsEmpty && clock.PendingTimers.Contains(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(30),
            "the fetch never paused before asking again", Ct);
        Assert.False(opening.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(5));
        var opened = await opening.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
        Assert.Contains(waiting, line => line.StartsWith($"waiting for the metadata of {built.Torrent.InfoHash.Hex}: the link's trackers gave no peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFetchWithoutASession_TellsTheTrackerThePortItsDownloadWillListenOn()
    {
        var built = TestTorrents.SingleFile(announce: null);
        await using var tracker = await TrackerAsync();
        var link = $"{XtOnly(built)}&tr={Uri.EscapeDataString(tracker.HttpAnnounceUrl)}";
        // magnet_download -p 51413: nothing listens while the metadata is fetched, and the trackers hear 51413, not 6881.
        var options = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false, ListenPort = 51413 }) with { StallTimeout = TimeSpan.FromSeconds(60) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var opening = TorrentClient.OpenAsync(link, options, ct: stop.Token);
        await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), "the fetch never announced", Ct);
        var announced = Assert.Single(tracker.GetSwarm(built.Torrent.InfoHash).Peers);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening);

        Assert.Equal(51413, announced.EndPoint.Port);
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

    /// <summary>Issue 34, item 8: a trackerless link gave up after its first DHT lookup found nobody. On the simulated
    /// network (each party a host of its own): the rounds' pauses pass in virtual time.</summary>
    [Fact]
    public void XtOnlyLink_DhtHasNoPeerAtFirst_WaitsAndAsksTheDhtAgain_UntilASeederAnnounces() =>
        Simulated.Passes(DhtAskedAgain, seed: 34);

    internal static async Task DhtAskedAgain(SimRun sim)
    {
        sim.Network.SpreadAddresses = true; // a /24 each: a bucket keeps one node per /24
        var link = new LinkSpec(TimeSpan.FromMilliseconds(20));
        var bootHost = sim.Network.AddHost("bootstrap", link);
        var seedHost = sim.Network.AddHost("seed", link);
        var host = sim.Network.AddHost("downloader", link);
        var built = TestTorrents.SingleFile(length: 100_000, announce: null, seed: 8);
        DhtNodeOptions Node(SimHost on, int port, string[] bootstrap) => new()
        {
            Bootstrap = bootstrap, LocalEndPoint = new IPEndPoint(IPAddress.Any, port), Network = on, Clock = sim.Clock, LoopbackOnly = false,
        };
        await using var bootstrap = await DhtNode.StartAsync(Node(bootHost, 6881, []));
        var bootstrapAt = $"{bootHost.Address}:6881";
        built.WritePayload(sim.FolderOf(seedHost));
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, new SessionSettings { ListenPort = 6881, Dht = false, Transport = PeerTransport.Tcp }));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine }, allowPartial: false);
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(host), Log = host.LogLine, StallTimeout = TimeSpan.FromSeconds(60),
            Session = sim.SessionOn(host, new SessionSettings { ListenPort = 6881, DhtBootstrap = [bootstrapAt] }),
            Waiting = line =>
            {
                host.LogLine(line);
                waited.TrySetResult();
            },
        };

        var opening = TorrentClient.OpenAsync(XtOnly(built), options);
        await Task.WhenAny(waited.Task, opening).WaitAsync(TimeSpan.FromSeconds(60), sim.Clock);
        Assert.False(opening.IsCompleted, "the fetch ended after its first lookup found nobody");   // it waits, saying so
        // Only now does the DHT learn of the seeder: a node on the seeder's host announces its peer port, to the bootstrap
        // node alone, the one it knows: the fetch's own node is read-only (BEP 43), so the bootstrap node never names it.
        await using (var announcer = await DhtNode.StartAsync(Node(seedHost, 6882, [bootstrapAt])))
        {
            await announcer.Bootstrapped.WaitAsync(TimeSpan.FromSeconds(30), sim.Clock);
            Assert.Equal(1, await announcer.AnnounceAsync(built.Torrent.InfoHash, 6881));
        }
        var opened = await opening.WaitAsync(TimeSpan.FromSeconds(90), sim.Clock);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
    }
}
