using System.Net;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 42 in the node, on the in-memory network with addresses outside local networks (documentation ranges;
/// nothing leaves the process).</summary>
public class DhtSecureIdTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly InfoHash Hash = InfoHash.FromHex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
    private static readonly IPEndPoint Ours = new(IPAddress.Parse("203.0.113.10"), 6881);

    private static IPEndPoint At(string address, int port = 6881) => new(IPAddress.Parse(address), port);

    [Fact]
    public async Task Answers_NameTheAskersAddress_AndThreeNodesSayingSoMakeItOurs()
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add(at: Ours);
        var others = new[] { "198.51.100.1", "198.51.100.2", "198.51.100.3" }.Select(a => network.Add(at: At(a)).EndPoint).ToList();

        await node.PingAsync(others[0], Ct);
        await node.PingAsync(others[1], Ct);
        Assert.Null(node.ExternalAddress); // two voters are not enough

        await node.PingAsync(others[2], Ct);
        Assert.Equal(Ours.Address, node.ExternalAddress);
    }

    [Fact]
    public async Task OneHostOnManyPorts_CountsAsOneVoter()
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add(at: Ours);
        foreach (var port in new[] { 6881, 6882, 6883, 6884 })
            await node.PingAsync(network.Add(at: At("198.51.100.1", port)).EndPoint, Ct);

        Assert.Null(node.ExternalAddress);
    }

    [Fact]
    public void AnotherAddressNamedByMoreNodes_Wins()
    {
        // Our address changed (another network): the latest votes are weighed, so the new one takes over.
        var (node, _) = new DhtTestNetwork().Add(at: Ours);
        var moved = IPAddress.Parse("203.0.113.99");
        for (var i = 1; i <= 3; i++) node.NoteReportedAddress(Ours, At($"198.51.100.{i}"));
        Assert.Equal(Ours.Address, node.ExternalAddress);
        node.NoteReportedAddress(Ours, At("198.51.100.1")); // the same voter again counts once

        for (var i = 4; i <= 6; i++) node.NoteReportedAddress(new IPEndPoint(moved, 6881), At($"198.51.100.{i}"));
        Assert.Equal(Ours.Address, node.ExternalAddress); // a tie keeps what we had
        node.NoteReportedAddress(new IPEndPoint(moved, 6881), At("198.51.100.7"));

        Assert.Equal(moved, node.ExternalAddress);
    }

    [Fact]
    public async Task AnIdNotFittingTheExternalAddress_IsReplacedByAFittingOneAtTheNextStart()
    {
        using var folder = new TempFolder();
        var state = folder.Combine("dht.json");
        var network = new DhtTestNetwork();
        var (first, _) = network.Add(id: null, at: Ours, statePath: state);
        var firstId = first.Id;
        foreach (var a in new[] { "198.51.100.1", "198.51.100.2", "198.51.100.3" }) await first.PingAsync(network.Add(at: At(a)).EndPoint, Ct);
        Assert.False(SecureNodeId.Matches(firstId, Ours.Address)); // a random id: 1 in 2^21 would fit by chance

        var (second, _) = new DhtTestNetwork().Add(at: Ours, statePath: state);

        Assert.NotEqual(firstId, second.Id);
        Assert.True(SecureNodeId.Matches(second.Id, Ours.Address));
        Assert.Equal(Ours.Address, second.ExternalAddress);
        await second.DisposeAsync(); // saves its state, as every node does when it stops
        var (third, _) = new DhtTestNetwork().Add(at: Ours, statePath: state);
        Assert.Equal(second.Id, third.Id); // a fitting id is kept from then on
    }

    [Fact]
    public void TheRoutersWord_IsOurAddressAtOnce_AndOutranksTheVotes()
    {
        // A port mapping's external address (UPnP, NAT-PMP, PCP): libtorrent ranks the router above every other voter.
        var (node, _) = new DhtTestNetwork().Add(at: Ours);
        var router = IPAddress.Parse("203.0.113.50");

        node.NoteRouterAddress(router);
        Assert.Equal(router, node.ExternalAddress);
        for (var i = 1; i <= 5; i++) node.NoteReportedAddress(Ours, At($"198.51.100.{i}"));

        Assert.Equal(router, node.ExternalAddress);
    }

    [Fact]
    public void APrivateRouterAddress_OrOneOfTheOtherFamily_IsNotOurs()
    {
        var (node, _) = new DhtTestNetwork().Add(at: Ours);

        node.NoteRouterAddress(IPAddress.Parse("192.168.1.1")); // a router behind another NAT
        node.NoteRouterAddress(IPAddress.Parse("2001:db8::1"));  // the IPv6 DHT's business

        Assert.Null(node.ExternalAddress);
    }

    [Fact]
    public async Task TheRoutersAddress_NotFittingOurId_GivesAFittingIdAtTheNextStart()
    {
        using var folder = new TempFolder();
        var state = folder.Combine("dht.json");
        var (first, _) = new DhtTestNetwork().Add(id: null, at: Ours, statePath: state);
        var router = IPAddress.Parse("203.0.113.77");
        Assert.False(SecureNodeId.Matches(first.Id, router));

        first.NoteRouterAddress(router);
        await first.DisposeAsync();
        var (second, _) = new DhtTestNetwork().Add(at: Ours, statePath: state);

        Assert.True(SecureNodeId.Matches(second.Id, router));
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 2)]
    public async Task Announce_WithEnforcement_SkipsTheNodeWhoseIdDoesNotFitItsAddress(bool enforce, int expected)
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add(at: Ours, enforceNodeIds: enforce);
        // Three /24s: a routing table holds one node per /24 in a bucket (RoutingTable.MayHold).
        var fitting = new[] { "198.51.100.1", "198.51.101.2" }
            .Select(a => network.Add(id: SecureNodeId.For(IPAddress.Parse(a)), at: At(a))).ToList();
        var misfit = network.Add(id: NodeId.FromHex("0000000000000000000000000000000000000000"), at: At("198.51.102.3"));
        Assert.False(SecureNodeId.Matches(misfit.Node.Id, misfit.EndPoint.Address));
        await node.BootstrapAsync([.. fitting.Select(f => f.EndPoint), misfit.EndPoint], Ct);

        var accepted = await node.AnnounceAsync(Hash, 7000, ct: Ct);

        Assert.Equal(expected, accepted);
        Assert.All(fitting, f => Assert.Single(f.Node.StoredPeers(Hash)));
        Assert.Equal(enforce ? 0 : 1, misfit.Node.StoredPeers(Hash).Count);
    }
}
