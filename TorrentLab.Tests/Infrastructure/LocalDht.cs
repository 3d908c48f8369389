using System.Net;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.Swarm;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A DHT of our own on 127.0.0.1: one node that bootstraps from nobody, and seeders of ours that announced
/// themselves to it, for trackerless downloads and xt-only magnet links.</summary>
public static class LocalDht
{
    /// <summary>Download or seed options on loopback that bootstrap the DHT from <paramref name="bootstrap"/> only.</summary>
    public static DownloadOptions Options(string output, IPEndPoint bootstrap) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            DhtBootstrap = [bootstrap.ToString()],
            ConnectTimeout = TimeSpan.FromSeconds(5),
            HandshakeTimeout = TimeSpan.FromSeconds(5),
        },
        OutputDirectory = output,
        StallTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>A node on 127.0.0.1 that bootstraps from nobody: the others bootstrap from it.</summary>
    public static Task<DhtNode> StartNodeAsync(CancellationToken ct) =>
        DhtNode.StartAsync(new DhtNodeOptions { Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, ct);

    /// <summary>The ids of the nodes <paramref name="node"/>'s routing table holds, in its buckets and among the
    /// replacements.</summary>
    internal static List<NodeId> Routed(DhtNode node)
    {
        lock (node.TableLock)
            return [.. node.Table.Entries.Select(e => e.Contact.Id), .. node.Table.Buckets.SelectMany(b => b.Replacements).Select(c => c.Id)];
    }

    /// <summary>Our seeder of <paramref name="built"/> (data below <paramref name="data"/>), returned once
    /// <paramref name="bootstrap"/> stores its address (it announced itself).</summary>
    internal static async Task<Seeder> SeedAsync(TestTorrents.Built built, string data, DhtNode bootstrap, CancellationToken ct)
    {
        built.WritePayload(data);
        var seeder = await Seeder.StartAsync(built.Torrent, Options(data, bootstrap.LocalEndPoint!), ct: ct);
        var expected = new IPEndPoint(IPAddress.Loopback, seeder.Port);
        await Wait.UntilAsync(() => bootstrap.StoredPeers(built.Torrent.InfoHash).Contains(expected), TimeSpan.FromSeconds(30), ct);
        Assert.Contains(expected, bootstrap.StoredPeers(built.Torrent.InfoHash));
        return seeder;
    }
}
