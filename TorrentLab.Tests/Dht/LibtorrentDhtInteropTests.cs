using System.Net;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>Our DHT node against a local DHT of real libtorrent nodes on 127.0.0.1 (skipped visibly without
/// python3-libtorrent; mandatory with TORRENTLAB_REQUIRE_INTEROP=1). Every node bootstraps only from these.</summary>
[Trait("Tier", "Slow")]
public class LibtorrentDhtInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DhtNodeOptions Options(IReadOnlyList<string> bootstrap, string? state = null) => new()
    {
        Bootstrap = bootstrap, StatePath = state, LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        QueryTimeout = TimeSpan.FromSeconds(3), LookupTimeout = TimeSpan.FromSeconds(20),
    };

    private static async Task<List<IPEndPoint>> CollectAsync(DhtNode node, string infoHash)
    {
        var found = new List<IPEndPoint>();
        await foreach (var peer in node.GetPeersAsync(InfoHash.FromHex(infoHash), Ct)) found.Add(peer);
        return found;
    }

    [Fact]
    public async Task OurNode_PingsEveryLibtorrentNode_AndJoinsTheirDht()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);

        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]), Ct);
        var ids = new List<NodeId>();
        foreach (var port in dht.Ports) ids.Add(await node.PingAsync(new IPEndPoint(IPAddress.Loopback, port), Ct));

        Assert.Equal(dht.Ports.Count, ids.Distinct().Count());
        Assert.DoesNotContain(node.Id, ids);
        // BEP 42: libtorrent's answers name the address our queries came from (its top-level "ip"), and four nodes
        // saying so make it ours (loopback voters count once per port: they share a machine).
        Assert.Equal(IPAddress.Loopback, node.ExternalAddress);
        await node.Bootstrapped;
        Assert.True(node.NodeCount >= 2, $"only {node.NodeCount} nodes in the table after bootstrap");
        Assert.Equal(0, node.Stats.Dropped); // everything libtorrent sent decoded
    }

    [Fact]
    public async Task GetPeers_FindsTheLibtorrentSeederOfATrackerlessTorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);

        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]), Ct);
        var found = await CollectAsync(node, dht.InfoHash);

        Assert.Contains(dht.Seeder, found);
        Assert.Empty(Torrent.Load(dht.TorrentPath).TrackerTiers); // the torrent names no tracker
    }

    [Fact]
    public async Task AReadOnlyNode_IsAnsweredByEveryLibtorrentNode_FindsTheSeeder_AndIsNeverQueriedBack()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);

        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]) with { ReadOnly = true }, Ct);
        foreach (var port in dht.Ports) await node.PingAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
        var found = await CollectAsync(node, dht.InfoHash);

        Assert.Contains(dht.Seeder, found);
        // BEP 43: libtorrent keeps a node whose queries say "ro" out of its table, so its own lookup (which asks every
        // node it knows: five in all, under K) never asks ours.
        await dht.GetPeersAsync(dht.InfoHash, Ct);
        Assert.Equal(0, node.Stats.IgnoredQueries);
        Assert.Equal(0, node.Stats.QueriesAnswered);
    }

    [Theory]
    [InlineData(2)] // one bootstrap node, one seeder
    [InlineData(3)]
    public async Task GetPeers_FirstLookupRightAfterStart_FromOneBootstrapNode_FindsTheSeeder(int nodes)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, nodes, Ct);

        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]), Ct);
        var found = await CollectAsync(node, dht.InfoHash);   // not waiting for the join: the lookup starts at once

        Assert.Contains(dht.Seeder, found);
    }

    [Fact]
    public async Task LibtorrentNodes_QueryOurNode_AnnounceToItWithOurToken_AndFindThePeersItServes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 3, Ct, seed: false);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]) with { Log = log.Enqueue }, Ct);

        // libtorrent hands out only nodes it has itself heard answer: wait until one of its nodes queried ours.
        await Wait.UntilAsync(() => node.Stats.QueriesAnswered > 0, TimeSpan.FromSeconds(30), Ct);

        // The seeder announces once our node is in the DHT: with four nodes in all, ours is among the 8 closest, so
        // libtorrent asks it for a token (get_peers) and announces with that token (announce_peer).
        await dht.SeedAsync(Ct);
        var hash = InfoHash.FromHex(dht.InfoHash);
        await Wait.UntilAsync(() => node.StoredPeers(hash).Contains(dht.Seeder), TimeSpan.FromSeconds(30), Ct);

        Assert.True(node.StoredPeers(hash).Contains(dht.Seeder), $"{node.Stats} table {node.NodeCount}; {string.Join(" | ", log)}; ports {string.Join(",", dht.Ports)}");
        Assert.True(node.Stats.QueriesAnswered >= 2, node.Stats.ToString());

        // Our node announces for another hash with the tokens libtorrent's nodes gave it: they accept.
        var ours = InfoHash.FromHex("00112233445566778899aabbccddeeff00112233");
        Assert.True(await node.AnnounceAsync(ours, 41234, ct: Ct) >= 1);

        // A peer that only our node knows (stored directly, announced nowhere): a libtorrent lookup can only find it
        // in a get_peers answer of ours.
        var onlyOurs = InfoHash.FromHex("99887766554433221100ffeeddccbbaa99887766");
        node.Peers.Add(DhtNode.ToNodeId(onlyOurs), IPEndPoint.Parse("127.0.0.1:42345"));
        Assert.Contains("127.0.0.1:42345", await dht.GetPeersAsync(onlyOurs.Hex, Ct));
        Assert.Contains("127.0.0.1:41234", await dht.GetPeersAsync(ours.Hex, Ct));
    }

    [Fact]
    public async Task Restart_ReusesTheSavedRoutingTable_WithNoBootstrapNode()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);
        var state = Path.Combine(folder.Path, "state", "dht.json");

        NodeId firstId;
        await using (var first = await DhtNode.StartAsync(Options([dht.First.ToString()], state), Ct))
        {
            firstId = first.Id;
            await first.Bootstrapped;
            Assert.True(first.NodeCount > 0);
        }
        Assert.True(File.Exists(state));

        await using var second = await DhtNode.StartAsync(Options([], state), Ct);
        var found = await CollectAsync(second, dht.InfoHash);

        Assert.Equal(firstId, second.Id);
        Assert.True(second.NodeCount > 0, "no node answered from the saved table");
        Assert.Contains(dht.Seeder, found);
    }
}
