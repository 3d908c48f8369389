using System.Net;
using System.Text;
using Moq;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 43 read-only nodes: a query marked <c>"ro": 1</c> is answered but its sender is never put in the routing
/// table; a read-only node (<see cref="DhtNodeOptions.ReadOnly"/>) marks its own queries so and answers none.</summary>
public class DhtReadOnlyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A ping, written out by hand so the test does not lean on our encoder; <paramref name="ro"/> goes between
    /// "q" and "t", where bencode's key order puts "ro".</summary>
    private static byte[] Ping(string ro) => Encoding.ASCII.GetBytes($"d1:ad2:id20:{new string('x', 20)}e1:q4:ping{ro}1:t2:aa1:y1:qe");

    private static bool Routes(DhtNode node, NodeId id) => LocalDht.Routed(node).Contains(id);

    [Theory]
    [InlineData("2:roi1e", false)]
    [InlineData("", true)]
    [InlineData("2:roi0e", true)]
    [InlineData("2:ro1:1", true)] // not an integer: ignored, the query is still good
    public void AQuery_IsAnswered_AndItsSenderRoutedUnlessItSaysItIsReadOnly(string ro, bool routed)
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add();
        var (_, sender) = network.Add();

        node.Receive(Ping(ro), sender);

        Assert.Equal(1, node.Stats.QueriesAnswered);
        Assert.Equal(1, network.Sent); // the answer
        Assert.Equal(routed, Routes(node, new NodeId(Encoding.ASCII.GetBytes(new string('x', 20)))));
        Assert.Equal(routed ? 1 : 0, node.NodeCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EveryQueryOfAReadOnlyNode_CarriesRo1_AndOnlyThen(bool readOnly)
    {
        // What the node asks its sender to send is the thing under test: a mock sender, checked call by call.
        var sender = new Mock<IDatagramSender>(MockBehavior.Strict);
        var sent = new List<byte[]>();
        sender.Setup(s => s.SendAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<IPEndPoint>(), It.IsAny<CancellationToken>()))
            .Callback((ReadOnlyMemory<byte> datagram, IPEndPoint _, CancellationToken _) => sent.Add(datagram.ToArray()))
            .Returns(ValueTask.CompletedTask);
        var node = new DhtNode(new DhtNodeOptions
        {
            Bootstrap = [], ReadOnly = readOnly, LoopbackOnly = true, LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 6881),
        }, sender.Object);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var ping = node.PingAsync(IPEndPoint.Parse("127.0.0.2:6881"), stop.Token); // the query leaves before the wait

        sender.Verify(s => s.SendAsync(It.IsAny<ReadOnlyMemory<byte>>(), IPEndPoint.Parse("127.0.0.2:6881"), It.IsAny<CancellationToken>()), Times.Once);
        sender.VerifyNoOtherCalls();
        var datagram = Assert.Single(sent);
        Assert.Equal(readOnly, Encoding.ASCII.GetString(datagram).Contains("2:roi1e", StringComparison.Ordinal));
        Assert.Equal(readOnly, Assert.IsType<KrpcQuery>(KrpcCodec.Decode(datagram)).ReadOnly);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ping);
    }

    [Fact]
    public void AReadOnlyNode_AnswersNoQuery_NotEvenAMalformedOneWithAnError_AndRoutesNoSender()
    {
        var network = new DhtTestNetwork();
        var (node, _) = network.Add(readOnly: true);
        var (_, sender) = network.Add();

        node.Receive(Ping(""), sender);
        node.Receive(Encoding.ASCII.GetBytes("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe"), sender); // a 3-byte id: no error 203

        Assert.Equal(0, network.Sent);
        Assert.Equal(0, node.Stats.QueriesAnswered);
        Assert.Equal(0, node.Stats.ErrorsSent);
        Assert.Equal(1, node.Stats.IgnoredQueries);
        Assert.Equal(0, node.NodeCount);
    }

    [Fact]
    public async Task AReadOnlyNode_PingsANode_WhichAnswersButKeepsItOutOfItsTable()
    {
        var network = new DhtTestNetwork();
        var (readOnly, _) = network.Add(readOnly: true);
        var (other, otherAddress) = network.Add();

        Assert.Equal(other.Id, await readOnly.PingAsync(otherAddress, Ct));

        Assert.Equal(1, readOnly.NodeCount); // it learns the nodes that answer it
        Assert.Equal(1, other.Stats.QueriesAnswered);
        Assert.Equal(0, other.NodeCount);
    }

    [Fact]
    public async Task AReadOnlyNode_FindsAnAnnouncedPeer_AndNoNodeItAskedKeepsIt()
    {
        var network = new DhtTestNetwork();
        var nodes = Enumerable.Range(0, 10).Select(_ => network.Add()).ToList();
        foreach (var (node, _) in nodes.Skip(1)) await node.BootstrapAsync([nodes[0].EndPoint], Ct);
        var hash = InfoHash.FromHex("4343434343434343434343434343434343434343");
        await nodes[3].Node.AnnounceAsync(hash, 7043, ct: Ct);
        var (readOnly, _) = network.Add(readOnly: true);
        await readOnly.BootstrapAsync([nodes[0].EndPoint], Ct);

        var found = new List<IPEndPoint>();
        await foreach (var peer in readOnly.GetPeersAsync(hash, Ct)) found.Add(peer);

        Assert.Contains(new IPEndPoint(nodes[3].EndPoint.Address, 7043), found);
        Assert.True(readOnly.Stats.QueriesSent > nodes.Count / 2, readOnly.Stats.ToString()); // it did walk the DHT
        Assert.DoesNotContain(nodes, n => Routes(n.Node, readOnly.Id));
    }
}
