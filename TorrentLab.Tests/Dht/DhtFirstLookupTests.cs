using System.Net;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>Issue 34, item 8: with a single bootstrap node, the first get_peers lookup, started right after the node,
/// returned nothing (it began from an empty table while the join was still on its way), and a trackerless magnet
/// link gave up after it. Our own nodes on 127.0.0.1: the lookup now starts from the joined table.</summary>
public class DhtFirstLookupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DhtNodeOptions Options(params IPEndPoint[] bootstrap) => new()
    {
        Bootstrap = [.. bootstrap.Select(e => e.ToString())],
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        LoopbackOnly = true,
        QueryTimeout = TimeSpan.FromMilliseconds(500),   // a node that left (the seeder's) costs the lookups this long
    };

    [Fact]
    public async Task GetPeers_RightAfterStartFromOneBootstrapNode_FindsThePeerAnnouncedThere()
    {
        var hash = new InfoHash([.. Enumerable.Range(0, 20).Select(i => (byte)(i * 11))]);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using (var seeder = await DhtNode.StartAsync(Options(bootstrap.LocalEndPoint!), Ct))
        {
            await seeder.Bootstrapped.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(1, await seeder.AnnounceAsync(hash, 6881, ct: Ct));   // the bootstrap node stores 127.0.0.1:6881
        }

        await using var node = await DhtNode.StartAsync(Options(bootstrap.LocalEndPoint!), Ct);
        var found = new List<IPEndPoint>();
        await foreach (var peer in node.GetPeersAsync(hash, Ct)) found.Add(peer);   // at once: not waiting for the join

        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 6881), found);
    }
}
