using System.Net;
using System.Net.Sockets;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 32, the IPv6 DHT (<c>DhtNode.Ipv6.cs</c>): nodes on ::1 of the in-memory network, and dual-stack hosts
/// whose two nodes (one per family) answer "want" from the right table and look up and announce in both DHTs.</summary>
[Trait("Tier", "Slow")]
public class DhtNodeIpv6Tests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly InfoHash Hash = InfoHash.FromHex("6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b");

    /// <summary>Every node bootstraps from the first, then once more (as a refresh would).</summary>
    private static async Task JoinAllAsync(IReadOnlyList<(DhtNode Node, IPEndPoint EndPoint)> nodes)
    {
        foreach (var (node, _) in nodes.Skip(1)) await node.BootstrapAsync([nodes[0].EndPoint], Ct);
        foreach (var (node, _) in nodes) await node.BootstrapAsync([], Ct);
    }

    private static KrpcQuery FindNode(DhtNode from, params string[] want) =>
        new([], KrpcMethods.FindNode, from.Id) { Target = NodeId.Random(), Want = want };

    [Fact]
    public async Task FindNode_OverIPv6_WithoutWant_AnswersNodes6Only()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.AddIPv6();
        var (b, bAddress) = network.AddIPv6();
        var (_, cAddress) = network.AddIPv6();
        await b.PingAsync(cAddress, Ct);

        var answer = await a.QueryAsync(bAddress, FindNode(a), Ct);

        Assert.Equal(AddressFamily.InterNetworkV6, b.Family);
        Assert.Empty(answer.Nodes);
        Assert.Contains(cAddress, answer.Nodes6.Select(n => n.EndPoint));
    }

    [Fact]
    public async Task FindNode_ToADualStackHost_AnswersTheTablesWantAsksFor()
    {
        var network = new DhtTestNetwork();
        var (asker, _) = network.Add();
        var (b4, b4Address) = network.Add();
        var (b6, _) = network.AddSibling(b4);
        var (_, x4) = network.Add();
        var (_, x6) = network.AddIPv6();
        await b4.PingAsync(x4, Ct);
        await b6.PingAsync(x6, Ct);

        var both = await asker.QueryAsync(b4Address, FindNode(asker, "n4", "n6"), Ct);
        var sixOnly = await asker.QueryAsync(b4Address, FindNode(asker, "n6"), Ct);
        var implied = await asker.QueryAsync(b4Address, FindNode(asker), Ct);

        Assert.Contains(x4, both.Nodes.Select(n => n.EndPoint));
        Assert.Equal([x6], both.Nodes6.Select(n => n.EndPoint));
        Assert.Empty(sixOnly.Nodes);
        Assert.Equal([x6], sixOnly.Nodes6.Select(n => n.EndPoint));
        Assert.Contains(x4, implied.Nodes.Select(n => n.EndPoint)); // BEP 32: no "want", the query's own family
        Assert.Empty(implied.Nodes6);
    }

    [Fact]
    public async Task FindNode_WantN6_ToAnIPv4OnlyNode_AnswersNoNodes6()
    {
        var network = new DhtTestNetwork();
        var (asker, _) = network.Add();
        var (b, bAddress) = network.Add();
        var (_, x4) = network.Add();
        await b.PingAsync(x4, Ct);

        var answer = await asker.QueryAsync(bAddress, FindNode(asker, "n6"), Ct);

        Assert.Empty(answer.Nodes6); // it has no IPv6 table to answer from
        Assert.Empty(answer.Nodes);  // and "n4" was not asked for
    }

    [Fact]
    public async Task Announce_ThenGetPeersFromAnotherNode_OverIPv6_FindsTheIPv6Peer()
    {
        var network = new DhtTestNetwork();
        var nodes = Enumerable.Range(0, 12).Select(_ => network.AddIPv6()).ToList();
        await JoinAllAsync(nodes);

        var accepted = await nodes[3].Node.AnnounceAsync(Hash, 7000, ct: Ct);
        var found = new List<IPEndPoint>();
        await foreach (var peer in nodes[9].Node.GetPeersAsync(Hash, Ct)) found.Add(peer);

        Assert.InRange(accepted, 1, RoutingTable.K);
        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 7000)], found);
        Assert.All(nodes, n => Assert.All(n.Node.Table.Entries, e => Assert.Equal(AddressFamily.InterNetworkV6, e.Contact.EndPoint.AddressFamily)));
    }

    [Fact]
    public async Task DualStackHosts_AnnounceAndGetPeers_RunInBothDhts()
    {
        var network = new DhtTestNetwork();
        var v4 = Enumerable.Range(0, 6).Select(_ => network.Add()).ToList();
        var v6 = Enumerable.Range(0, 6).Select(_ => network.AddIPv6()).ToList();
        await JoinAllAsync(v4);
        await JoinAllAsync(v6);
        var (a4, a4Address) = network.Add();
        var (a6, a6Address) = network.AddSibling(a4);
        var (b4, _) = network.Add();
        var (b6, _) = network.AddSibling(b4);
        foreach (var (node, seed) in new[] { (a4, v4[0].EndPoint), (a6, v6[0].EndPoint), (b4, v4[0].EndPoint), (b6, v6[0].EndPoint) })
            await node.BootstrapAsync([seed], Ct);

        var accepted = await a4.AnnounceAsync(Hash, 7000, ct: Ct);
        var found = new List<IPEndPoint>();
        await foreach (var peer in b4.GetPeersAsync(Hash, Ct)) found.Add(peer);

        Assert.True(accepted >= 2, $"{accepted} nodes accepted the announce");
        Assert.Equal([new IPEndPoint(a4Address.Address, 7000), new IPEndPoint(a6Address.Address, 7000)], found.Order(Comparer<IPEndPoint>.Create((x, y) => x.AddressFamily.CompareTo(y.AddressFamily))));
    }

    [Fact]
    public async Task IPv6Sibling_WithNoIPv6Node_LearnsSomeThroughWantInIPv4Answers()
    {
        var network = new DhtTestNetwork();
        var v6 = Enumerable.Range(0, 5).Select(_ => network.AddIPv6()).ToList();
        await JoinAllAsync(v6);
        var (b4, b4Address) = network.Add();
        var (b6, _) = network.AddSibling(b4);
        await b6.BootstrapAsync([v6[0].EndPoint], Ct);
        var (a4, _) = network.Add();
        var (a6, _) = network.AddSibling(a4);
        Assert.Equal(0, await a6.BootstrapAsync([], Ct)); // no IPv6 node to start from

        await a4.BootstrapAsync([b4Address], Ct);          // asks "want": n4 and n6, its sibling's table being empty
        var joined = await a6.BootstrapAsync([], Ct);

        Assert.True(joined >= 3, $"the IPv6 node knows {joined} nodes");
        Assert.All(a6.Table.Entries, e => Assert.Equal(AddressFamily.InterNetworkV6, e.Contact.EndPoint.AddressFamily));
    }

    [Fact]
    public void Sibling_SharesTheId_AndMustBeOfTheOtherFamily()
    {
        var network = new DhtTestNetwork();
        var (a4, _) = network.Add();
        var (a6, _) = network.AddSibling(a4);

        Assert.Equal(a4.Id, a6.Id); // BEP 32: "a node should use the same node id in both tables"
        Assert.Same(a6, a4.Sibling);
        Assert.Same(a4, a6.Sibling);
        var (b4, _) = network.Add();
        var sameFamily = new DhtNodeOptions { Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        Assert.Throws<InvalidOperationException>(() => b4.CreateSibling(sameFamily, new NullSender()));
        Assert.Throws<InvalidOperationException>(() => a4.CreateSibling(sameFamily with { LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) }, new NullSender()));
    }

    [Fact]
    public void Sibling_TakesAnIdFittingItsIPv6Address_WhenTheSharedOneDoesNot()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "dht.json");
        var external6 = IPAddress.Parse("2001:db8::7");
        // BEP 42: the saved IPv6 address binds the IPv6 node's id; the IPv4 id (random) does not fit it.
        var ipv4Id = NodeId.Random();
        new DhtState(ipv4Id.Hex, []) { Address6 = external6.ToString() }.Save(path);
        var network = new DhtTestNetwork();

        var (a4, _) = network.Add(statePath: path);
        var (a6, _) = network.AddSibling(a4);

        Assert.Equal(ipv4Id, a4.Id);
        Assert.NotEqual(a4.Id, a6.Id);
        Assert.True(SecureNodeId.Matches(a6.Id, external6));
        Assert.Equal(external6, a6.ExternalAddress);
        Assert.Null(a4.ExternalAddress);
    }

    [Fact]
    public async Task StateFile_KeepsBothTables_EachNodeReadsItsFamily()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "dht.json");
        var network = new DhtTestNetwork();
        var (x4, x4Address) = network.Add();
        var (x6, x6Address) = network.AddIPv6();
        var (a4, _) = network.Add(statePath: path);
        var (a6, _) = network.AddSibling(a4);
        await a4.PingAsync(x4Address, Ct);
        await a6.PingAsync(x6Address, Ct);

        a4.Save();
        a6.Save();
        var (b4, _) = network.Add(statePath: path);
        var (b6, _) = network.AddSibling(b4);

        Assert.Equal(a4.Id, b4.Id);
        Assert.Equal(a6.Id, b6.Id);
        Assert.Equal([x4Address], b4.SavedNodes.Select(n => n.EndPoint));
        Assert.Equal([x6Address], b6.SavedNodes.Select(n => n.EndPoint));
        Assert.Equal(x6.Id, Assert.Single(b6.SavedNodes).Id);
        Assert.Equal(x4.Id, Assert.Single(b4.SavedNodes).Id);
        Assert.Contains("\"id6\"", await File.ReadAllTextAsync(path, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_BracketedIPv6Literal_GivesAnIPv6EndPoint_AndAnIPv4NodeJoinsWithoutIt()
    {
        var resolved = await DhtNode.ResolveAsync(["[::1]:6881", "127.0.0.1:6882"], loopbackOnly: true, Ct);
        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 6881), new IPEndPoint(IPAddress.Loopback, 6882)], resolved);

        var network = new DhtTestNetwork();
        var (v6, v6Address) = network.AddIPv6();
        var (v4, _) = network.Add();
        var known = await v4.BootstrapAsync([v6Address], Ct); // an IPv6 bootstrap node is not for the IPv4 DHT

        Assert.Equal(0, known);
        Assert.Equal(0, v6.Stats.Received);
    }

    private sealed class NullSender : IDatagramSender
    {
        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
