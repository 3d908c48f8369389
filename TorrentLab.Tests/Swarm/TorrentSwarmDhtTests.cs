using System.Net;
using TorrentLab.Bencode;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The DHT as a peer source of the engine (<c>Swarm/TorrentSwarm.Dht.cs</c>): seeders and downloaders of ours
/// that find each other through a DHT node of ours on 127.0.0.1, with no tracker at all.</summary>
public class TorrentSwarmDhtTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DownloadOptions Options(string output, IPEndPoint bootstrap) => LocalDht.Options(output, bootstrap);

    private static Task<DhtNode> BootstrapNodeAsync() => LocalDht.StartNodeAsync(Ct);

    private static Task<Seeder> SeedThroughDhtAsync(TestTorrents.Built built, TempFolder folder, DhtNode bootstrap, string name = "seed") =>
        LocalDht.SeedAsync(built, folder.Combine(name), bootstrap, Ct);

    [Fact]
    public async Task TrackerlessTorrent_DownloadsFromASeederFoundThroughTheDht_AndSavesTheRoutingTableBesideTheLedgers()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 300_000, announce: null);
        await using var bootstrap = await BootstrapNodeAsync();
        await using var seeder = await SeedThroughDhtAsync(built, folder, bootstrap);
        var output = folder.Combine("out");

        var result = await SwarmDownload.RunAsync(built.Torrent, Options(output, bootstrap.LocalEndPoint!), null, Ct)
            .WaitAsync(TimeSpan.FromSeconds(90), Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(output, "payload.bin")));
        Assert.True(result.PeerSources.Dht >= 1, result.PeerSources.ToString());
        Assert.Equal(0, result.PeerSources.Tracker);
        Assert.Equal(0, result.PeerSources.Given);
        var state = Path.Combine(output, ".torrentlab", SwarmDownload.DhtStateFile);
        Assert.Contains(bootstrap.Id.Hex, File.ReadAllText(state)); // the node it joined through is saved for next time
    }

    [Fact]
    public async Task Restart_WithNoBootstrapNode_FindsPeersThroughTheSavedRoutingTable()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 100_000, announce: null, seed: 1);
        var second = TestTorrents.SingleFile(length: 120_000, announce: null, seed: 2);
        await using var bootstrap = await BootstrapNodeAsync();
        await using var seeder1 = await SeedThroughDhtAsync(first, folder, bootstrap, "seed1");
        await using var seeder2 = await SeedThroughDhtAsync(second, folder, bootstrap, "seed2");
        var state = folder.Combine("dht.json");

        await SwarmDownload.RunAsync(first.Torrent, Options(folder.Combine("a"), bootstrap.LocalEndPoint!).WithSession(s => s with { DhtStatePath = state }), null, Ct)
            .WaitAsync(TimeSpan.FromSeconds(90), Ct);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var again = Options(folder.Combine("b"), bootstrap.LocalEndPoint!).WithSession(s => s with { DhtBootstrap = [], DhtStatePath = state }) with { Log = log.Enqueue };
        var result = await SwarmDownload.RunAsync(second.Torrent, again, null, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);

        Assert.Equal(second.Payload, File.ReadAllBytes(folder.Combine("b", "payload.bin")));
        Assert.True(result.PeerSources.Dht >= 1, result.PeerSources.ToString());
        Assert.Contains(log, l => l.Contains("0 bootstrap nodes", StringComparison.Ordinal) && !l.Contains(", 0 saved nodes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrivateTorrent_NeverStartsTheDht_APublicOneDoesOnThePeerPortNumber()
    {
        using var folder = new TempFolder();
        await using var bootstrap = await BootstrapNodeAsync();
        var data = folder.Combine("data");
        var (privateTorrent, payload) = PrivateTorrent(50_000);
        Directory.CreateDirectory(data);
        File.WriteAllBytes(Path.Combine(data, "private.bin"), payload);
        var publicTorrent = TestTorrents.SingleFile(length: 50_000, announce: null);
        publicTorrent.WritePayload(data);

        await using var privateSeeder = await Seeder.StartAsync(privateTorrent, Options(data, bootstrap.LocalEndPoint!), ct: Ct);
        await using var publicSeeder = await Seeder.StartAsync(publicTorrent.Torrent, Options(data, bootstrap.LocalEndPoint!), ct: Ct);

        Assert.Null(privateSeeder.DhtEndPoint);   // BEP 27: no DHT for a private torrent
        Assert.Equal(publicSeeder.Port, publicSeeder.DhtEndPoint?.Port);
    }

    [Fact]
    public async Task DhtOff_BindsNoUdpPort()
    {
        using var folder = new TempFolder();
        await using var bootstrap = await BootstrapNodeAsync();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        built.WritePayload(folder.Path);

        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path, bootstrap.LocalEndPoint!).WithSession(s => s with { Dht = false }), ct: Ct);

        Assert.Null(seeder.DhtEndPoint);
    }

    [Fact]
    public async Task Seeder_WritesNoRoutingTableBelowItsDataFolder()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        await using var bootstrap = await BootstrapNodeAsync();
        await (await SeedThroughDhtAsync(built, folder, bootstrap)).DisposeAsync();

        Assert.Equal(["payload.bin"], MockSwarm.FilesBelow(folder.Combine("seed")));
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
