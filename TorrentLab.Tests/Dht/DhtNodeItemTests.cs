using System.Net;
using System.Security.Cryptography;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 44 items and BEP 51 samples between nodes on the in-memory network (<see cref="DhtTestNetwork"/>).</summary>
[Trait("Tier", "Slow")]
public class DhtNodeItemTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(DhtNode Node, IPEndPoint EndPoint)>> NetworkAsync(int count)
    {
        var network = new DhtTestNetwork();
        var nodes = Enumerable.Range(0, count).Select(_ => network.Add()).ToList();
        foreach (var (node, _) in nodes.Skip(1)) await node.BootstrapAsync([nodes[0].EndPoint], Ct);
        foreach (var (node, _) in nodes) await node.BootstrapAsync([], Ct);
        return nodes;
    }

    /// <summary>A get to <paramref name="to"/> for its write token (what a put must echo).</summary>
    private static async Task<byte[]> TokenAsync(DhtNode from, IPEndPoint to, NodeId target) =>
        (await from.QueryAsync(to, new KrpcQuery([], KrpcMethods.Get, from.Id) { Target = target }, Ct)).Token!;

    private static async Task<DhtException> RefusedPutAsync(DhtNode from, IPEndPoint to, DhtItem item, long? cas = null, byte[]? token = null)
    {
        token ??= await TokenAsync(from, to, item.Target);
        return await Assert.ThrowsAsync<DhtException>(() =>
            from.QueryAsync(to, new KrpcQuery([], KrpcMethods.Put, from.Id) { Token = token, Item = item, Cas = cas }, Ct));
    }

    [Fact]
    public async Task PutImmutable_ThenGetFromAnotherNode_ReturnsTheValue()
    {
        var nodes = await NetworkAsync(16);
        var value = "d3:agei30e4:name5:alicee"u8.ToArray();

        var put = await nodes[3].Node.PutImmutableAsync(value, Ct);
        var got = await nodes[11].Node.GetImmutableAsync(put.Item.Target, Ct);

        Assert.Equal(RoutingTable.K, put.Nodes);
        Assert.NotNull(got);
        Assert.Equal(value, got.Value);
        Assert.Equal(RoutingTable.K, nodes.Count(n => n.Node.StoredItem(put.Item.Target) is not null));
    }

    [Fact]
    public async Task GetImmutable_OfATargetNobodyHolds_IsNull()
    {
        var nodes = await NetworkAsync(6);
        Assert.Null(await nodes[2].Node.GetImmutableAsync(DhtItem.ImmutableTarget("7:missing"u8), Ct));
    }

    [Fact]
    public async Task PutMutable_TwiceWithoutASequence_TheSecondFollowsTheFirst_AndGetReturnsTheNewest()
    {
        var nodes = await NetworkAsync(16);
        var seed = RandomNumberGenerator.GetBytes(32);
        var salt = "profile"u8.ToArray();

        var first = await nodes[1].Node.PutMutableAsync(seed, "5:hello"u8.ToArray(), salt, ct: Ct);
        var second = await nodes[2].Node.PutMutableAsync(seed, "7:goodbye"u8.ToArray(), salt, ct: Ct);
        var got = await nodes[9].Node.GetMutableAsync(Ed25519.PublicKey(seed), salt, Ct);

        Assert.Equal(1, first.Item.Sequence);
        Assert.Equal(2, second.Item.Sequence);
        Assert.True(second.Nodes > 0);
        Assert.NotNull(got);
        Assert.Equal("7:goodbye"u8.ToArray(), got.Value);
        Assert.Equal(2, got.Sequence);
        Assert.True(got.IsSignatureValid());
        Assert.Null(await nodes[9].Node.GetMutableAsync(Ed25519.PublicKey(seed), "other salt"u8.ToArray(), Ct));
    }

    [Fact]
    public async Task Put_MutableWithALowerSequence_IsRefusedWith302_AndTheStoredItemStays()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();
        var seed = RandomNumberGenerator.GetBytes(32);
        var newer = DhtItem.SignMutable(seed, "3:new"u8.ToArray(), 10);
        await a.QueryAsync(bAddress, new KrpcQuery([], KrpcMethods.Put, a.Id) { Token = await TokenAsync(a, bAddress, newer.Target), Item = newer }, Ct);

        var e = await RefusedPutAsync(a, bAddress, DhtItem.SignMutable(seed, "3:old"u8.ToArray(), 9));

        Assert.Equal(KrpcError.SequenceTooLow, e.ErrorCode);
        Assert.Equal(10, b.StoredItem(newer.Target)!.Sequence);
    }

    [Fact]
    public async Task Put_WithACasThatDoesNotMatch_IsRefusedWith301()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();
        var seed = RandomNumberGenerator.GetBytes(32);
        var stored = DhtItem.SignMutable(seed, "1:a"u8.ToArray(), 3);
        await a.QueryAsync(bAddress, new KrpcQuery([], KrpcMethods.Put, a.Id) { Token = await TokenAsync(a, bAddress, stored.Target), Item = stored }, Ct);

        var e = await RefusedPutAsync(a, bAddress, DhtItem.SignMutable(seed, "1:b"u8.ToArray(), 4), cas: 2);

        Assert.Equal(KrpcError.CasMismatch, e.ErrorCode);
        Assert.Equal("1:a"u8.ToArray(), b.StoredItem(stored.Target)!.Value);
    }

    [Fact]
    public async Task Put_WithABadSignature_IsRefusedWith206_AndNothingIsStored()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();
        var item = DhtItem.SignMutable(RandomNumberGenerator.GetBytes(32), "4:real"u8.ToArray(), 1);
        var forged = item with { Value = "4:fake"u8.ToArray() };

        var e = await RefusedPutAsync(a, bAddress, forged);

        Assert.Equal(KrpcError.InvalidSignature, e.ErrorCode);
        Assert.Null(b.StoredItem(item.Target));
    }

    [Fact]
    public async Task Put_OverTheLimits_IsRefusedWith205And207()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();
        var big = new DhtItem { Value = Encoding.ASCII.GetBytes("1001:" + new string('x', 1001)) };
        var seed = RandomNumberGenerator.GetBytes(32);
        var salted = DhtItem.SignMutable(seed, "1:v"u8.ToArray(), 1) with { Salt = new byte[65] };

        Assert.Equal(KrpcError.ValueTooBig, (await RefusedPutAsync(a, bAddress, big)).ErrorCode);
        Assert.Equal(KrpcError.SaltTooBig, (await RefusedPutAsync(a, bAddress, salted)).ErrorCode);
        Assert.Equal(0, b.StoredItemCount);
    }

    [Fact]
    public async Task Put_WithATokenNeverIssued_IsRefusedWith203()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (b, bAddress) = network.Add();

        var e = await RefusedPutAsync(a, bAddress, DhtItem.Immutable("1:x"u8.ToArray()), token: "forged!!"u8.ToArray());

        Assert.Equal(KrpcError.Protocol, e.ErrorCode);
        Assert.Equal(0, b.StoredItemCount);
    }

    [Fact]
    public async Task Get_WithASequenceTheAskerHasAlready_AnswersTheSequenceWithoutTheValue()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (_, bAddress) = network.Add();
        var item = DhtItem.SignMutable(RandomNumberGenerator.GetBytes(32), "2:v5"u8.ToArray(), 5);
        await a.QueryAsync(bAddress, new KrpcQuery([], KrpcMethods.Put, a.Id) { Token = await TokenAsync(a, bAddress, item.Target), Item = item }, Ct);

        var same = await a.QueryAsync(bAddress, new KrpcQuery([], KrpcMethods.Get, a.Id) { Target = item.Target, Sequence = 5 }, Ct);
        var older = await a.QueryAsync(bAddress, new KrpcQuery([], KrpcMethods.Get, a.Id) { Target = item.Target, Sequence = 4 }, Ct);

        Assert.Null(same.Item);
        Assert.Equal(5, same.Sequence);
        Assert.Equal("2:v5"u8.ToArray(), older.Item!.Value);
    }

    [Fact]
    public async Task GetMutable_IgnoresAnAnswerWhoseSignatureDoesNotVerify()
    {
        var network = new DhtTestNetwork();
        var (a, _) = network.Add();
        var (liar, liarAddress) = network.Add();
        await a.BootstrapAsync([liarAddress], Ct);
        var seed = RandomNumberGenerator.GetBytes(32);
        var item = DhtItem.SignMutable(seed, "4:true"u8.ToArray(), 1);
        // Planted straight into the store, as a dishonest node would serve it.
        liar.Items.Put(item with { Value = "5:false"u8.ToArray() });

        Assert.Null(await a.GetMutableAsync(Ed25519.PublicKey(seed), null, Ct));
        // The same node serving an honest item is heard.
        var honestSeed = RandomNumberGenerator.GetBytes(32);
        liar.Items.Put(DhtItem.SignMutable(honestSeed, "6:honest"u8.ToArray(), 1));
        Assert.Equal("6:honest"u8.ToArray(), (await a.GetMutableAsync(Ed25519.PublicKey(honestSeed), null, Ct))?.Value);
    }

    [Fact]
    public async Task SampleInfohashes_ReturnsTheInfoHashesAnnouncedToTheNode_WithNumIntervalAndNodes()
    {
        var network = new DhtTestNetwork();
        var (asker, _) = network.Add();
        var (node, nodeAddress) = network.Add();
        var (third, thirdAddress) = network.Add();
        await node.PingAsync(thirdAddress, Ct);
        var hashes = Enumerable.Range(1, 3).Select(i => InfoHash.FromHex(new string((char)('a' + i), 40))).ToList();
        foreach (var hash in hashes) node.Peers.Add(DhtNode.ToNodeId(hash), IPEndPoint.Parse($"127.0.0.9:{7000}"));

        var sample = await asker.SampleInfohashesAsync(nodeAddress, ct: Ct);

        Assert.Equal(hashes.OrderBy(h => h.Hex), sample.Samples.OrderBy(h => h.Hex));
        Assert.Equal(3, sample.Num);
        Assert.Equal(DhtNode.SampleInterval, sample.Interval);
        Assert.Contains(sample.Nodes, n => n.Id == third.Id);
    }

    [Fact]
    public async Task SampleInfohashes_OfAFullStore_SendsAtMost20_AndNumCountsThemAll()
    {
        var network = new DhtTestNetwork();
        var (asker, _) = network.Add();
        var (node, nodeAddress) = network.Add();
        for (var i = 0; i < 50; i++) node.Peers.Add(NodeId.Random(), IPEndPoint.Parse("127.0.0.9:7000"));

        var sample = await asker.SampleInfohashesAsync(nodeAddress, ct: Ct);

        Assert.Equal(DhtNode.MaxSamples, sample.Samples.Count);
        Assert.Equal(DhtNode.MaxSamples, sample.Samples.Distinct().Count());
        Assert.Equal(50, sample.Num);
    }
}
