using System.Net;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>Nodes on an in-memory datagram network (<see cref="DhtTestNetwork"/>): the node as packet-in, packet-out.</summary>
[Trait("Tier", "Slow")]
public class DhtNodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly InfoHash Hash = InfoHash.FromHex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");

    /// <summary>A network of <paramref name="count"/> nodes, each bootstrapped from the first.</summary>
    private static async Task<(DhtTestNetwork Network, List<(DhtNode Node, IPEndPoint EndPoint)> Nodes)> NetworkAsync(int count)
    {
        var network = new DhtTestNetwork();
        var nodes = Enumerable.Range(0, count).Select(_ => network.Add()).ToList();
        foreach (var (node, _) in nodes.Skip(1)) await node.BootstrapAsync([nodes[0].EndPoint], Ct);
        foreach (var (node, _) in nodes) await node.BootstrapAsync([], Ct); // a second round, as a refresh would
        return (network, nodes);
    }

    [Fact]
    public async Task Ping_ReturnsTheOtherNodesId_AndBothLearnEachOther()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();

        Assert.Equal(b.Id, await a.PingAsync(bAddress, Ct));
        Assert.Equal(1, a.NodeCount);
        Assert.Equal(1, b.NodeCount);       // b heard a query from a
        Assert.Equal(1, b.Stats.QueriesAnswered);
    }

    [Fact]
    public async Task Announce_ThenGetPeersFromAnotherNode_FindsThePeer()
    {
        var (_, nodes) = await NetworkAsync(24);

        var accepted = await nodes[5].Node.AnnounceAsync(Hash, 7000, ct: Ct);
        var found = new List<IPEndPoint>();
        await foreach (var peer in nodes[17].Node.GetPeersAsync(Hash, Ct)) found.Add(peer);

        Assert.InRange(accepted, 1, RoutingTable.K);
        Assert.Equal([new IPEndPoint(nodes[5].EndPoint.Address, 7000)], found);
    }

    [Fact]
    public async Task GetPeers_ReaderStopsAfterTheFirstPeer_TheLookupEndsCleanly()
    {
        var (_, nodes) = await NetworkAsync(12);
        await nodes[1].Node.AnnounceAsync(Hash, 7001, ct: Ct);
        await nodes[2].Node.AnnounceAsync(Hash, 7002, ct: Ct);

        IPEndPoint? first = null;
        await foreach (var peer in nodes[9].Node.GetPeersAsync(Hash, Ct))
        {
            first = peer;
            break;
        }

        Assert.NotNull(first);
    }

    [Fact]
    public async Task Announce_WithImpliedPort_StoresTheUdpSourcePort()
    {
        var (_, nodes) = await NetworkAsync(6);

        await nodes[2].Node.AnnounceAsync(Hash, 7000, impliedPort: true, ct: Ct);

        var stored = nodes.SelectMany(n => n.Node.StoredPeers(Hash)).Distinct().ToList();
        Assert.Equal([nodes[2].EndPoint], stored); // the node's UDP port (6881), not 7000
    }

    [Fact]
    public async Task Lookup_ConvergesTowardsTheTarget()
    {
        var (_, nodes) = await NetworkAsync(40);
        var target = DhtNode.ToNodeId(Hash);
        var hops = new List<LookupHop>();

        await foreach (var _ in nodes[3].Node.GetPeersAsync(target, hops.Add, Ct)) { }

        // The node closest to the target among all 40 was reached.
        var closest = nodes.Select(n => n.Node.Id).Where(id => id != nodes[3].Node.Id)
            .OrderBy(id => id, Comparer<NodeId>.Create(target.CompareDistance)).First();
        Assert.Contains(hops, h => h.Id == closest);
    }

    [Fact]
    public async Task AnnouncePeer_WithATokenNeverIssued_IsRefusedWithError203()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();
        var query = new KrpcQuery([], KrpcMethods.AnnouncePeer, a.Id) { InfoHash = DhtNode.ToNodeId(Hash), Port = 7000, Token = "forged!!"u8.ToArray() };

        var e = await Assert.ThrowsAsync<DhtException>(() => a.QueryAsync(bAddress, query, Ct));

        Assert.Equal(KrpcError.Protocol, e.ErrorCode);
        Assert.Empty(b.StoredPeers(Hash));
    }

    [Fact]
    public async Task UnknownMethod_IsAnsweredWithError204()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (_, bAddress) = network.Add();

        var e = await Assert.ThrowsAsync<DhtException>(() => a.QueryAsync(bAddress, new KrpcQuery([], "vote", a.Id), Ct));

        Assert.Equal(KrpcError.MethodUnknown, e.ErrorCode);
    }

    [Fact]
    public void Receive_MalformedDatagrams_AreDroppedAndCounted_NeverThrown()
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add();
        var from = IPEndPoint.Parse("127.0.0.200:5000");

        node.Receive(Encoding.ASCII.GetBytes("not bencode at all"), from);
        node.Receive(Encoding.ASCII.GetBytes("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe"), from); // a 3-byte id
        node.Receive(Array.Empty<byte>(), from);

        Assert.Equal(3, node.Stats.Dropped);
        Assert.Equal(0, node.NodeCount);
    }

    [Fact]
    public void Receive_AResponseNobodyAskedFor_IsCountedAsUnmatched()
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add();

        node.Receive(KrpcCodec.Encode(new KrpcResponse("zz"u8.ToArray(), NodeId.Random())), IPEndPoint.Parse("127.0.0.9:1"));

        Assert.Equal(1, node.Stats.Unmatched);
        Assert.Equal(0, node.NodeCount);
    }

    [Fact]
    public async Task Save_ThenANewNodeFromTheFile_KeepsItsIdAndStartsFromTheSavedNodes()
    {
        using var folder = new TempFolder();
        var (_, nodes) = await NetworkAsync(10);
        var path = Path.Combine(folder.Path, "dht.json");
        nodes[4].Node.Snapshot().Save(path);

        var reloaded = DhtState.Load(path, null)!;

        Assert.Equal(nodes[4].Node.Id, reloaded.NodeId);
        Assert.Equal(nodes[4].Node.NodeCount, reloaded.Contacts.Count);
        Assert.Contains("\"nodes\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedStateFile_IsIgnoredWithALogLine()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "dht.json");
        File.WriteAllText(path, "{ not json");
        var log = new List<string>();

        Assert.Null(DhtState.Load(path, log.Add));
        Assert.Contains(path, Assert.Single(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoopbackOnlyNode_RefusesThePublicRouters_WithoutAskingDns()
    {
        var options = new DhtNodeOptions { Bootstrap = DhtNodeOptions.PublicRouters, LoopbackOnly = true, LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };

        var e = await Assert.ThrowsAsync<DhtException>(() => DhtNode.StartAsync(options, Ct));

        Assert.Contains("router.bittorrent.com:6881 is not a loopback address", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("64313a7264", true)]   // "d1:rd": a KRPC dictionary
    [InlineData("4100", false)]        // a uTP packet: type and version 1 in the first byte
    [InlineData("", false)]
    public void IsKrpc_TellsDhtDatagramsFromOthersByTheFirstByte(string hex, bool expected) =>
        Assert.Equal(expected, DhtNode.IsKrpc(Convert.FromHexString(hex)));

    [Fact]
    public void TheTestSuite_RunsEveryNodeLoopbackOnly() =>
        Assert.True(new DhtNodeOptions { Bootstrap = [] }.LoopbackOnly);
}
