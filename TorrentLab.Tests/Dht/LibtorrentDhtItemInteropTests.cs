using System.Net;
using System.Security.Cryptography;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 44 items and BEP 51 samples between our node and a local DHT of real libtorrent nodes on 127.0.0.1
/// (skipped visibly without python3-libtorrent; mandatory with TORRENTLAB_REQUIRE_INTEROP=1).</summary>
[Trait("Tier", "Slow")]
public class LibtorrentDhtItemInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<DhtNode> JoinAsync(LibtorrentDht dht)
    {
        var node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            Bootstrap = [dht.First.ToString()], LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            QueryTimeout = TimeSpan.FromSeconds(3), LookupTimeout = TimeSpan.FromSeconds(20),
        }, Ct);
        await node.Bootstrapped;
        return node;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    // A value nobody else put: every run stores a new item.
    private static byte[] FreshValue(string what)
    {
        var text = $"{what} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        return Encoding.ASCII.GetBytes($"{text.Length}:{text}");
    }

    [Fact]
    public async Task OurImmutablePut_IsFoundByLibtorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, seed: false);
        await using var node = await JoinAsync(dht);
        var value = FreshValue("immutable from TorrentLab");

        var put = await node.PutImmutableAsync(value, Ct);
        var answer = await dht.AskAsync($"get_immutable {put.Item.Target.Hex}", Ct);

        Assert.True(put.Nodes > 0, "no libtorrent node stored our item");
        Assert.Equal($"item {Hex(value)}", answer);
    }

    [Fact]
    public async Task OurMutablePut_IsFoundByLibtorrent_WhichCheckedOurSignature()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, seed: false);
        await using var node = await JoinAsync(dht);
        var seed = RandomNumberGenerator.GetBytes(32);
        var salt = "torrentlab"u8.ToArray();
        var value = FreshValue("mutable from TorrentLab");

        var put = await node.PutMutableAsync(seed, value, salt, ct: Ct);
        // libtorrent drops an answer whose signature does not verify, so an answer at all means it checked.
        var answer = await dht.AskAsync($"get_mutable {Hex(Ed25519.PublicKey(seed))} {Hex(salt)}", Ct);

        Assert.True(put.Nodes > 0, "no libtorrent node stored our item");
        Assert.Equal($"mutable 1 {Hex(value)} {Hex(put.Item.Signature!)}", answer);
    }

    [Fact]
    public async Task LibtorrentImmutablePut_IsFoundByUs()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, seed: false);
        await using var node = await JoinAsync(dht);
        var data = RandomNumberGenerator.GetBytes(24);

        var put = (await dht.AskAsync($"put_immutable {Hex(data)}", Ct)).Split(' ');
        var item = await node.GetImmutableAsync(NodeId.FromHex(put[1]), Ct);

        Assert.NotEqual("0", put[2]);
        Assert.NotNull(item);
        Assert.Equal([.. "24:"u8, .. data], item.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a salt")]
    public async Task LibtorrentMutablePut_IsFoundByUs_SignedAsWeWouldSignIt(string saltText)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, seed: false);
        await using var node = await JoinAsync(dht);
        var seed = RandomNumberGenerator.GetBytes(32);
        var publicKey = Ed25519.PublicKey(seed);
        var salt = Encoding.ASCII.GetBytes(saltText);
        var data = RandomNumberGenerator.GetBytes(16);

        // libtorrent signs with the 64-byte expanded secret of our seed; its put starts at sequence number 1.
        var put = (await dht.AskAsync($"put_mutable {Hex(Ed25519.ExpandedSecret(seed))} {Hex(publicKey)} {Hex(data)} {(salt.Length > 0 ? Hex(salt) : "-")}", Ct)).Split(' ');
        var item = await node.GetMutableAsync(publicKey, salt, Ct);

        Assert.NotEqual("0", put[2]);
        Assert.NotNull(item);
        Assert.Equal([.. "16:"u8, .. data], item.Value);
        Assert.Equal(1, item.Sequence);
        Assert.True(item.IsSignatureValid());
        // Ed25519 signatures are deterministic: libtorrent's equals ours for the same key and bytes.
        Assert.Equal(Hex(Ed25519.Sign(seed, DhtItem.SignedBytes(salt, 1, item.Value))), Hex(item.Signature!));
    }

    [Fact]
    public async Task LibtorrentSampleInfohashes_OfOurNode_ListsTheInfoHashesWeStore()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 2, Ct, seed: false);
        await using var node = await JoinAsync(dht);
        var hashes = Enumerable.Range(0, 3).Select(_ => InfoHash.Compute(RandomNumberGenerator.GetBytes(8))).ToList();
        // The store as announces fill it (announce_peer itself is tested against libtorrent elsewhere).
        foreach (var hash in hashes) node.Peers.Add(DhtNode.ToNodeId(hash), IPEndPoint.Parse("127.0.0.1:6881"));

        var answer = (await dht.AskAsync($"sample {node.LocalEndPoint!.Port}", Ct)).Split(' ');

        Assert.Equal("sample", answer[0]);
        Assert.Equal("3", answer[1]);                                          // num
        Assert.Equal(((int)DhtNode.SampleInterval.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), answer[2]);
        Assert.Equal(hashes.Select(h => h.Hex).Order(), answer[3..].Order());
    }

    [Fact]
    public async Task OurSampleInfohashes_OfLibtorrentNodes_FindsTheSeedersTorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);   // the last node seeds and announced
        await using var node = await JoinAsync(dht);

        var samples = new List<InfohashSample>();
        foreach (var port in dht.Ports) samples.Add(await node.SampleInfohashesAsync(new IPEndPoint(IPAddress.Loopback, port), ct: Ct));

        var holders = samples.Where(s => s.Samples.Contains(InfoHash.FromHex(dht.InfoHash))).ToList();
        Assert.NotEmpty(holders);                        // the announce reached at least two nodes (LibtorrentDht waits for it)
        Assert.All(holders, s => Assert.True(s.Num >= 1));
        Assert.Contains(samples, s => s.Nodes.Count > 0); // and they name nodes to walk on to
    }
}
