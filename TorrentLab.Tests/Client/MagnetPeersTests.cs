using TorrentLab.Client;
using TorrentLab.Magnet;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>Where a magnet link's peers come from (<c>Client/MagnetPeers.cs</c>), through the front door: a link with
/// only <c>xt</c> finds its peers in the DHT (a node of ours on 127.0.0.1, a seeder of ours announced to it).</summary>
public class MagnetPeersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string XtOnly(TestTorrents.Built built) => $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}";

    [Fact]
    public async Task XtOnlyLink_FetchesTheMetadataFromASeederTheDhtFound()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], announce: null);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeder = await LocalDht.SeedAsync(built, folder.Combine("seed"), bootstrap, Ct);

        var opened = await TorrentClient.OpenAsync(XtOnly(built), LocalDht.Options(folder.Combine("out"), bootstrap.LocalEndPoint!), ct: Ct)
            .WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(built.Torrent.InfoHash, opened.Torrent.InfoHash);
        Assert.Equal(2, opened.Torrent.Files.Count);
        Assert.Empty(opened.Peers); // the link named none: the DHT's are for the download to find again
    }

    [Fact]
    public async Task XtOnlyLink_WithTheDhtOff_FailsSayingSo()
    {
        var built = TestTorrents.SingleFile(announce: null);
        var options = TorrentClient.PeerFinding(null) with { Dht = false };

        var error = await Assert.ThrowsAsync<MetadataException>(() => TorrentClient.OpenAsync(XtOnly(built), options, ct: Ct));

        Assert.Equal("the magnet link names no tracker (tr) and no peer (x.pe), and the DHT is off (--no-dht)", error.Message);
    }

    [Fact]
    public async Task XtOnlyLink_DhtWithNobodyToAsk_FailsSayingTheDhtFoundNone()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null);
        var options = TorrentClient.PeerFinding(null) with { DhtBootstrap = [], DhtStatePath = folder.Combine("none.json") };

        var error = await Assert.ThrowsAsync<MetadataException>(() => TorrentClient.OpenAsync(XtOnly(built), options, ct: Ct));

        Assert.Equal("the magnet link names no tracker (tr) and no peer (x.pe), and the DHT found none", error.Message);
    }
}
