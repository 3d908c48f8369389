using System.Net;
using System.Net.Sockets;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>BEP 32: our DHT against a local IPv6 DHT of real libtorrent nodes on [::1] (skipped visibly without
/// python3-libtorrent; mandatory with TORRENTLAB_REQUIRE_INTEROP=1). Every node bootstraps only from these.</summary>
[Trait("Tier", "Slow")]
public class LibtorrentDhtIpv6InteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DhtNodeOptions Options(IReadOnlyList<string> bootstrap, Action<string>? log = null) => new()
    {
        Bootstrap = bootstrap, LocalEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0), Log = log,
        QueryTimeout = TimeSpan.FromSeconds(3), LookupTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task OurIPv6Node_JoinsLibtorrentsIPv6Dht_AndFindsTheSeederItAnnounced()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, ipv6: true);

        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]), Ct);   // "[::1]:port"
        await node.Bootstrapped;
        foreach (var port in dht.Ports) await node.PingAsync(new IPEndPoint(IPAddress.IPv6Loopback, port), Ct);
        var found = new List<IPEndPoint>();
        await foreach (var peer in node.GetPeersAsync(InfoHash.FromHex(dht.InfoHash), Ct)) found.Add(peer);

        Assert.Equal(AddressFamily.InterNetworkV6, node.Family);
        Assert.True(node.NodeCount >= 2, $"only {node.NodeCount} nodes in the table after bootstrap");
        Assert.All(node.Table.Entries, e => Assert.Equal(IPAddress.IPv6Loopback, e.Contact.EndPoint.Address));
        Assert.Contains(dht.Seeder, found);           // [::1]:port, from an 18-byte compact peer
        Assert.Equal(0, node.Stats.Dropped);          // every nodes6 and value libtorrent sent decoded
        // BEP 42's "ip" in libtorrent's answers, 18 bytes over IPv6: four nodes saying so make ::1 our address.
        Assert.Equal(IPAddress.IPv6Loopback, node.ExternalAddress);
    }

    [Fact]
    public async Task LibtorrentIPv6Nodes_FindThePeerWeAnnouncedOverIPv6_AndThePeersWeServe()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 3, Ct, seed: false, ipv6: true);
        await using var node = await DhtNode.StartAsync(Options([dht.First.ToString()]), Ct);

        // libtorrent hands out only nodes it has itself heard answer: wait until one of its nodes queried ours.
        await Wait.UntilAsync(() => node.Stats.QueriesAnswered > 0, TimeSpan.FromSeconds(30), Ct);
        await node.Bootstrapped;

        var ours = InfoHash.FromHex("0123012301230123012301230123012301230123");
        var accepted = await node.AnnounceAsync(ours, 41234, ct: Ct);
        // A peer only our node knows: a libtorrent lookup can find it only in a get_peers answer of ours (values over IPv6).
        var onlyOurs = InfoHash.FromHex("3210321032103210321032103210321032103210");
        node.Peers.Add(DhtNode.ToNodeId(onlyOurs), IPEndPoint.Parse("[::1]:42345"));

        Assert.True(accepted >= 1, $"no libtorrent node accepted the announce; {node.Stats}");
        Assert.Contains("[::1]:41234", await dht.GetPeersAsync(ours.Hex, Ct));
        Assert.Contains("[::1]:42345", await dht.GetPeersAsync(onlyOurs.Hex, Ct));
    }

    [Fact]
    public async Task SeederListeningOnIPv6Loopback_AnnouncesOverTheIPv6Dht_AndLibtorrentDownloadsFromIt()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 3, Ct, seed: false, ipv6: true);
        var built = TestTorrents.SingleFile(length: 256 * 1024, pieceLength: 32 * 1024, name: "ours6.bin", announce: null);
        var data = folder.Combine("seed");
        built.WritePayload(data);

        // The session listens on ::1 only: its one DHT node is an IPv6 node, bootstrapped from [::1].
        await using var seeder = await Seeder.StartAsync(built.Torrent, LocalDht.Options(data, dht.First).WithSession(s => s with { BindAddresses = [IPAddress.IPv6Loopback] }), ct: Ct);
        var answer = await dht.DownloadAsync(built.Torrent.InfoHash.Hex, folder.Combine("lt"), Ct);

        Assert.Equal("done", answer);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("lt", "ours6.bin")));
        Assert.Equal(AddressFamily.InterNetworkV6, seeder.DhtNode?.Family);
    }

    [Fact]
    public async Task XtOnlyMagnet_FindsItsPeerThroughTheIPv6Dht_OfADualStackSession()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct, ipv6: true);

        // The default "::" listens on both families: the IPv4 node finds nobody (no IPv4 bootstrap node), its IPv6
        // sibling joins libtorrent's DHT on [::1] and the seeder it finds there feeds the download.
        var result = await CliRunner.RunAsync([$"magnet:?xt=urn:btih:{dht.InfoHash}", "-o", folder.Combine("out"), "--port", "0",
            "--dht-bootstrap", dht.First.ToString(), "--verbose", "--quiet"], TimeSpan.FromSeconds(120));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(File.ReadAllBytes(folder.Combine("payload.bin")), File.ReadAllBytes(folder.Combine("out", "payload.bin")));
        Assert.Matches(@"peers from: tracker 0, dht [1-9]", result.Stderr);
        Assert.Contains("for the IPv6 DHT", result.Stderr, StringComparison.Ordinal);
    }
}
