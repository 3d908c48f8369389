using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A magnet link's DHT lookup without a session (<c>Client/MagnetPeers.cs</c>) against a local DHT of real
/// libtorrent nodes on 127.0.0.1 (skipped visibly without python3-libtorrent; mandatory with
/// TORRENTLAB_REQUIRE_INTEROP=1): the node of its own that the fetch starts is read-only (BEP 43).</summary>
[Trait("Tier", "Slow")]
public partial class MagnetPeersInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^dht: a read-only node \(BEP 43\) on UDP 127\.0\.0\.1:(\d+) for this lookup$")]
    private static partial Regex ReadOnlyNodeLine();

    [Fact]
    public async Task XtOnlyLink_FetchedThroughAShortLivedNode_GetsTheMetadata_AndNoLibtorrentNodeKeepsItOrQueriesItBack()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await LibtorrentDht.StartAsync(python, folder.Path, 4, Ct);
        var log = new ConcurrentQueue<string>();

        var opened = await TorrentClient.OpenAsync($"magnet:?xt=urn:btih:{dht.InfoHash}",
            LocalDht.Options(folder.Combine("out"), dht.First) with { Log = log.Enqueue }, ct: Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);

        Assert.Equal(dht.InfoHash, opened.Torrent.InfoHash.Hex);
        Assert.Contains(log, l => l.StartsWith("dht: 1 peer(s) for ", StringComparison.Ordinal)); // the seeder, found in the DHT
        // Every round of the fetch started a node of its own (one when the first round got the metadata); each is gone.
        var ours = log.Select(l => ReadOnlyNodeLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(ours);
        // BEP 43: each libtorrent node answered our node's queries (the seeder was found) but put it in no table, live or
        // among the replacements...
        var routed = await dht.RoutedPortsAsync(Ct);
        Assert.All(routed, port => Assert.Contains(port, dht.Ports));
        // ...so a lookup of theirs after the fetch asks only each other, never our node's port, where nobody answers
        // any more. A socket of the test's takes that port to hear a query if one came.
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, ours[^1]));
        Assert.Contains(dht.Seeder.ToString(), await dht.GetPeersAsync(dht.InfoHash, Ct));
        Assert.Equal(0, listener.Available);
    }
}
