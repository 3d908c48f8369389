using System.Net;
using TorrentLab.Bencode;
using TorrentLab.Client;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The DHT as a peer source of the engine (<c>Swarm/TorrentSwarm.Dht.cs</c>): seeders and downloaders of ours
/// that find each other through a DHT node of ours, with no tracker at all, each on a simulated host of its own (the
/// session's DHT against real UDP is what the interop tests with libtorrent's DHT check).</summary>
[Trait("Tier", "Slow")]
public class TorrentSwarmDhtTests
{
    private const int PeerPort = 6881;
    private static readonly LinkSpec Link = new(TimeSpan.FromMilliseconds(20));

    /// <summary>The DHT node the others bootstrap from, on a host of its own; the run spreads hosts over /24s, as a
    /// routing table keeps one node per /24 in a bucket.</summary>
    private static async Task<DhtNode> BootstrapNodeAsync(SimRun sim)
    {
        sim.Network.SpreadAddresses = true;
        var host = sim.Network.AddHost("bootstrap", Link);
        return await DhtNode.StartAsync(new DhtNodeOptions
        {
            Bootstrap = [], LocalEndPoint = new IPEndPoint(host.Address, PeerPort), Network = host, Clock = sim.Clock, LoopbackOnly = false,
        });
    }

    /// <summary>Download or seed options on <paramref name="host"/> that bootstrap the DHT from <paramref name="bootstrap"/>
    /// only (<see cref="LocalDht.Options"/> on the simulated network).</summary>
    private static DownloadOptions Options(SimRun sim, SimHost host, string output, DhtNode bootstrap)
    {
        var options = LocalDht.Options(output, bootstrap.LocalEndPoint!);
        return options with { Session = sim.SessionOn(host, options.Session! with { ListenPort = PeerPort }), Log = host.LogLine };
    }

    /// <summary>Our seeder of <paramref name="built"/> on a new host, returned once the bootstrap node stores its address
    /// (it announced itself).</summary>
    private static async Task<Seeder> SeedThroughDhtAsync(SimRun sim, TestTorrents.Built built, DhtNode bootstrap, string name = "seed")
    {
        var host = sim.Network.AddHost(name, Link);
        var data = sim.FolderOf(host);
        built.WritePayload(data);
        var seeder = await Seeder.StartAsync(built.Torrent, Options(sim, host, data, bootstrap));
        var expected = new IPEndPoint(host.Address, seeder.Port);
        Assert.True(await sim.WaitUntil(() => bootstrap.StoredPeers(built.Torrent.InfoHash).Contains(expected), TimeSpan.FromMinutes(1)),
            $"the bootstrap node never stored {expected}");
        return seeder;
    }

    [Fact]
    public void TrackerlessTorrent_DownloadsFromASeederFoundThroughTheDht_AndSavesTheRoutingTableBesideTheLedgers() =>
        Simulated.Passes(Trackerless, seed: 51);

    internal static async Task Trackerless(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: 300_000, announce: null);
        await using var bootstrap = await BootstrapNodeAsync(sim);
        await using var seeder = await SeedThroughDhtAsync(sim, built, bootstrap);
        var host = sim.Network.AddHost("downloader", Link);
        var output = sim.FolderOf(host, "out");

        var result = await TorrentClient.DownloadAsync(built.Torrent, Options(sim, host, output, bootstrap), null, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2), sim.Clock);

        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(output, "payload.bin")));
        Assert.True(result.PeerSources.Dht >= 1, result.PeerSources.ToString());
        Assert.Equal(0, result.PeerSources.Tracker);
        Assert.Equal(0, result.PeerSources.Given);
        var state = Path.Combine(output, ".torrentlab", Session.DhtStateFile);
        Assert.Contains(bootstrap.Id.Hex, File.ReadAllText(state)); // the node it joined through is saved for next time
    }

    [Fact]
    public void Restart_WithNoBootstrapNode_FindsPeersThroughTheSavedRoutingTable() => Simulated.Passes(Restart, seed: 52);

    internal static async Task Restart(SimRun sim)
    {
        var first = TestTorrents.SingleFile(length: 100_000, announce: null, seed: 1);
        var second = TestTorrents.SingleFile(length: 120_000, announce: null, seed: 2);
        await using var bootstrap = await BootstrapNodeAsync(sim);
        await using var seeder1 = await SeedThroughDhtAsync(sim, first, bootstrap, "seed1");
        await using var seeder2 = await SeedThroughDhtAsync(sim, second, bootstrap, "seed2");
        var host = sim.Network.AddHost("downloader", Link);
        var state = sim.FolderOf(host, "dht.json");

        await TorrentClient.DownloadAsync(first.Torrent, Options(sim, host, sim.FolderOf(host, "a"), bootstrap).WithSession(s => s with { DhtStatePath = state }), null, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2), sim.Clock);
        var log = new List<string>();
        void Heard(string line)
        {
            host.LogLine(line);
            log.Add(line);
        }
        // The session's own lines (its DHT's start among them) and the download's.
        var again = Options(sim, host, sim.FolderOf(host, "b"), bootstrap).WithSession(s => s with { DhtBootstrap = [], DhtStatePath = state, Log = Heard }) with { Log = Heard };
        var result = await TorrentClient.DownloadAsync(second.Torrent, again, null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2), sim.Clock);

        Assert.Equal(second.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(host, "b"), "payload.bin")));
        Assert.True(result.PeerSources.Dht >= 1, result.PeerSources.ToString());
        Assert.Contains(log, l => l.Contains("0 bootstrap nodes", StringComparison.Ordinal) && !l.Contains(", 0 saved nodes", StringComparison.Ordinal));
    }

    [Fact]
    public void PrivateTorrent_NeverStartsTheDht_APublicOneDoesOnThePeerPortNumber() => Simulated.Passes(PrivateAndPublic, seed: 53);

    internal static async Task PrivateAndPublic(SimRun sim)
    {
        await using var bootstrap = await BootstrapNodeAsync(sim);
        var (privateTorrent, payload) = PrivateTorrent(50_000);
        var publicTorrent = TestTorrents.SingleFile(length: 50_000, announce: null);
        var privateHost = sim.Network.AddHost("private", Link);
        var publicHost = sim.Network.AddHost("public", Link);
        Directory.CreateDirectory(sim.FolderOf(privateHost));
        File.WriteAllBytes(Path.Combine(sim.FolderOf(privateHost), "private.bin"), payload);
        publicTorrent.WritePayload(sim.FolderOf(publicHost));

        await using var privateSeeder = await Seeder.StartAsync(privateTorrent, Options(sim, privateHost, sim.FolderOf(privateHost), bootstrap));
        await using var publicSeeder = await Seeder.StartAsync(publicTorrent.Torrent, Options(sim, publicHost, sim.FolderOf(publicHost), bootstrap));

        Assert.Null(privateSeeder.DhtEndPoint);   // BEP 27: no DHT for a private torrent
        Assert.Equal(publicSeeder.Port, publicSeeder.DhtEndPoint?.Port);
    }

    [Fact]
    public void DhtOff_StartsNoNode_AndBindsNoUdpPortForIt_ThoughABootstrapNodeIsGiven() => Simulated.Passes(DhtOff, seed: 54);

    /// <summary>Looks at the session itself, not through the seeder: the seeder's own view (<see cref="Seeder.DhtEndPoint"/>)
    /// asks whether its torrent uses the DHT, which is false with the DHT off whatever the session started.</summary>
    internal static async Task DhtOff(SimRun sim)
    {
        await using var bootstrap = await BootstrapNodeAsync(sim);
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        var host = sim.Network.AddHost("seed", Link);
        built.WritePayload(sim.FolderOf(host));
        var options = Options(sim, host, sim.FolderOf(host), bootstrap).WithSession(s => s with { Dht = false });
        await using var session = Session.Start(options.Session);

        await using var seeder = await Seeder.StartAsync(session, built.Torrent, options, allowPartial: false);

        Assert.Null(await session.DhtStarted); // settled at once: no node, now or later
        Assert.Null(session.Dht);
        Assert.Null(session.DhtEndPoint);
        Assert.Equal(0, bootstrap.Stats.Received);
        Assert.Null(seeder.DhtEndPoint);
    }

    [Fact]
    public void Seeder_WritesNoRoutingTableBelowItsDataFolder() => Simulated.Passes(NoRoutingTableBelowData, seed: 55);

    internal static async Task NoRoutingTableBelowData(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        await using var bootstrap = await BootstrapNodeAsync(sim);
        await (await SeedThroughDhtAsync(sim, built, bootstrap)).DisposeAsync();

        Assert.Equal(["payload.bin"], MockSwarm.FilesBelow(sim.FolderOf(sim.Network.Hosts.First(h => h.Name == "seed"))));
    }

    /// <summary>A single-file torrent whose info dictionary says <c>private=1</c> (BEP 27), and its payload.</summary>
    private static (Torrent Torrent, byte[] Payload) PrivateTorrent(int length)
    {
        var payload = TestTorrents.Payload(length, seed: 7);
        var info = new BDictionary()
            .Set("length", new BInteger(length))
            .Set("name", new BString("private.bin"))
            .Set("piece length", new BInteger(16 * 1024))
            .Set("pieces", new BString(TestTorrents.PieceHashes(payload, 16 * 1024)))
            .Set("private", new BInteger(1));
        return (Torrent.Parse(BencodeWriter.Encode(new BDictionary().Set("info", info))), payload);
    }
}
