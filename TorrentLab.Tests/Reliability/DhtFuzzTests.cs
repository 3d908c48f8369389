using System.Net;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>The KRPC decoder under mutated datagrams, and a DHT node under a flood of queries from many ids and
/// addresses: every datagram is decoded or rejected with a <see cref="DhtException"/>, the node never throws, and
/// its memory stays bounded (routing table, rate-limit table, peer store).</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class DhtFuzzTests
{
    private const int Seed = 20251122;

    /// <summary>Valid datagrams of every kind, from our encoder and BEP 5's examples.</summary>
    private static List<byte[]> Seeds()
    {
        var id = NodeId.Random(new Random(1));
        var hash = NodeId.Random(new Random(2));
        var t = "aa"u8.ToArray();
        var nodes = Enumerable.Range(0, 8).Select(i => new NodeContact(NodeId.Random(new Random(10 + i)), new IPEndPoint(IPAddress.Loopback, 6000 + i))).ToList();
        var messages = new KrpcMessage[]
        {
            new KrpcQuery(t, KrpcMethods.Ping, id),
            new KrpcQuery(t, KrpcMethods.FindNode, id) { Target = hash, Want = ["n4", "n6"] },
            new KrpcQuery(t, KrpcMethods.GetPeers, id) { InfoHash = hash },
            new KrpcQuery(t, KrpcMethods.AnnouncePeer, id) { InfoHash = hash, Port = 6881, ImpliedPort = true, Token = "12345678"u8.ToArray() },
            new KrpcResponse(t, id) { Nodes = nodes },
            new KrpcResponse(t, id) { Nodes6 = [new NodeContact(id, IPEndPoint.Parse("[::1]:7000"))] },
            new KrpcResponse(t, id) { Token = "tok"u8.ToArray(), Values = [.. nodes.Select(n => n.EndPoint)] },
            new KrpcError(t, KrpcError.Protocol, "bad token") { Version = [(byte)'L', (byte)'T', 1, 2] },
        };
        return [.. messages.Select(KrpcCodec.Encode),
            Encoding.Latin1.GetBytes("d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re")];
    }

    [Fact]
    public void Krpc_MutatedDatagrams_DecodeOrThrowDhtException()
    {
        var result = FuzzHarness.Run("dht (KRPC)", ReliabilityMode.Count(10_000, 200_000), Seed, Seeds(), input =>
        {
            KrpcCodec.Decode(input);
            return true;
        }, e => e is DhtException);
        ReliabilityReport.Add(result.ToRow("queries, responses and errors mutated"));
        Assert.False(result.Hung, string.Join("\n", result.Lost));
        Assert.True(result.LostCount == 0, $"{result.LostCount} input(s) lost:\n{string.Join("\n", result.Lost)}");
    }

    [Fact]
    public void Node_MutatedDatagrams_AreNeverThrownPastIt()
    {
        var node = new DhtNode(new DhtNodeOptions { Bootstrap = [], LoopbackOnly = true }, new CountingSender());
        var from = IPEndPoint.Parse("127.0.0.2:6881");
        var result = FuzzHarness.Run("dht (node)", ReliabilityMode.Count(5_000, 100_000), Seed + 1, Seeds(), input =>
        {
            node.Receive(input, from); // any exception here is a loss: the node must swallow and count
            return true;
        }, _ => false);
        ReliabilityReport.Add(result.ToRow("DhtNode.Receive of mutated datagrams"));
        Assert.True(result.LostCount == 0, $"{result.LostCount} input(s) lost:\n{string.Join("\n", result.Lost)}");
        Assert.True(node.Stats.Dropped > 0);
    }

    [Fact]
    public async Task QueryFlood_FromManyIdsAndAddresses_KeepsMemoryBounded_AndAnswersCapped()
    {
        var sender = new CountingSender();
        var node = new DhtNode(new DhtNodeOptions { Bootstrap = [], LoopbackOnly = true }, sender);
        var random = new Random(Seed);
        var queries = ReliabilityMode.Count(200_000, 2_000_000);
        long heapBound = 64L << 20; // the bounded tables hold a few MiB at most

        await using (var memory = MemoryWatch.Start())
        {
            for (var i = 0; i < queries; i++)
            {
                var id = NodeId.Random(random);
                var from = new IPEndPoint(new IPAddress([127, (byte)random.Next(256), (byte)random.Next(256), (byte)(1 + random.Next(254))]), 1024 + random.Next(60000));
                KrpcQuery query = (i % 4) switch
                {
                    0 => new KrpcQuery([(byte)i, (byte)(i >> 8)], KrpcMethods.Ping, id),
                    1 => new KrpcQuery([(byte)i, (byte)(i >> 8)], KrpcMethods.FindNode, id) { Target = NodeId.Random(random) },
                    2 => new KrpcQuery([(byte)i, (byte)(i >> 8)], KrpcMethods.GetPeers, id) { InfoHash = NodeId.Random(random) },
                    _ => new KrpcQuery([(byte)i, (byte)(i >> 8)], KrpcMethods.AnnouncePeer, id) { InfoHash = NodeId.Random(random), Port = 6881, Token = "forged!!"u8.ToArray() },
                };
                node.Receive(KrpcCodec.Encode(query), from);
            }
            await memory.DisposeAsync();
            ReliabilityReport.Add(new ReliabilityRow("flood", "dht: queries from random ids and 127.x addresses", queries, queries, "none",
                $"{memory.Figures}; answered {node.Stats.QueriesAnswered}, rate-limited {node.Stats.RateLimited}, table {node.NodeCount} nodes"));
            Assert.True(memory.PeakGrowth < heapBound, memory.Figures);
        }

        Assert.True(node.NodeCount <= NodeId.Bits * RoutingTable.K, $"{node.NodeCount} nodes in the table");
        Assert.Equal(0, node.StoredPeerCount);                                         // forged tokens store nothing
        Assert.True(node.Stats.RateLimited > 0, node.Stats.ToString());                // the global cap held answers back
        Assert.Equal(node.Stats.QueriesAnswered + node.Stats.ErrorsSent, sender.Sent); // one datagram out per answer, never more
    }

    private sealed class CountingSender : IDatagramSender
    {
        private long _sent;
        public long Sent => Interlocked.Read(ref _sent);

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
        {
            Interlocked.Increment(ref _sent);
            return ValueTask.CompletedTask;
        }
    }
}
