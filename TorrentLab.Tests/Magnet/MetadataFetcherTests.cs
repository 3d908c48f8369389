using System.Net;
using TorrentLab.Lab;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Wire;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Magnet;

public class MetadataFetcherTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    // 1075 pieces of 1 KiB: 21,500 bytes of hashes, so the info dictionary takes two 16 KiB metadata pieces.
    private static readonly TestTorrents.Built Big = TestTorrents.SingleFile(length: 1_100_000, pieceLength: 1024, name: "big.bin");
    private static readonly TestTorrents.Built Small = TestTorrents.SingleFile(length: 50_000, pieceLength: 16 * 1024, name: "small.bin");

    private static readonly MetadataFetchOptions Quick = new()
    {
        Connection = TestDownloader.Quick,
        PeerTimeout = TimeSpan.FromSeconds(5),
        Timeout = TimeSpan.FromSeconds(20),
    };

    private static SyntheticPeer Seeder(TestTorrents.Built built, SyntheticBehaviour behaviour = SyntheticBehaviour.Normal, bool serve = true) =>
        SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, behaviour) with
        {
            ServeMetadata = serve,
            Connection = TestDownloader.Quick,
        });

    private static MagnetLink Link(TestTorrents.Built built) => MagnetLink.Parse(built.Torrent.MagnetLink);

    [Fact]
    public async Task FetchAsync_SeveralHonestPeers_ReturnsTheVerifiedInfoDictionary()
    {
        await using var a = Seeder(Big);
        await using var b = Seeder(Big);
        await using var c = Seeder(Big);
        Assert.True(Big.Torrent.RawInfo.Length > 16 * 1024);

        var raw = await MetadataFetcher.FetchAsync(Link(Big), PeerId.CreateOurs(), [a.EndPoint, b.EndPoint, c.EndPoint], Quick, Ct);

        Assert.Equal(Big.Torrent.RawInfo.ToArray(), raw);
        var torrent = Torrent.ParseInfo(raw);
        Assert.Equal(Big.Torrent.InfoHash, torrent.InfoHash);
        Assert.Equal(1075, torrent.PieceCount);
    }

    [Fact]
    public async Task FetchAsync_CorruptAndRejectingPeersAmongHonestOnes_StillGetsVerifiedMetadata()
    {
        await using var corrupt = Seeder(Big, SyntheticBehaviour.CorruptMetadata);
        await using var rejecting = Seeder(Big, SyntheticBehaviour.RejectMetadata);
        await using var honest = Seeder(Big);

        // Which peer serves which piece depends on timing; whatever the order, only verified bytes come out.
        var raw = await MetadataFetcher.FetchAsync(Link(Big), PeerId.CreateOurs(), [corrupt.EndPoint, rejecting.EndPoint, honest.EndPoint], Quick, Ct);

        Assert.Equal(Big.Torrent.RawInfo.ToArray(), raw);
    }

    [Fact]
    public async Task FetchAsync_OnlyACorruptPeer_BansItAndFails()
    {
        await using var corrupt = Seeder(Small, SyntheticBehaviour.CorruptMetadata);

        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(Link(Small), PeerId.CreateOurs(), [corrupt.EndPoint], Quick, Ct));

        Assert.Contains($"{corrupt.EndPoint}: banned: its metadata failed the info hash check", e.Message);
        Assert.Contains(corrupt.Log, line => line.Contains("(corrupted)"));
    }

    [Fact]
    public async Task FetchAsync_OnlyARejectingPeer_FailsSayingSo()
    {
        await using var rejecting = Seeder(Small, SyntheticBehaviour.RejectMetadata);

        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(Link(Small), PeerId.CreateOurs(), [rejecting.EndPoint], Quick, Ct));

        Assert.Contains($"{rejecting.EndPoint}: rejected piece 0", e.Message);
    }

    [Fact]
    public async Task FetchAsync_PeerWithoutTheExtensionProtocol_IsNotAsked()
    {
        await using var plain = Seeder(Small, serve: false);

        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(Link(Small), PeerId.CreateOurs(), [plain.EndPoint], Quick, Ct));

        Assert.Contains("does not speak the extension protocol", e.Message);
    }

    [Fact]
    public async Task FetchAsync_MetadataLargerThanTheLimit_IsRefusedBeforeAnyRequest()
    {
        await using var seeder = Seeder(Small);

        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(Link(Small), PeerId.CreateOurs(), [seeder.EndPoint], Quick with { MaxMetadataSize = 100 }, Ct));

        Assert.Contains($"metadata_size {Small.Torrent.RawInfo.Length} is outside 1..100 bytes", e.Message);
        Assert.DoesNotContain(seeder.Log, line => line.Contains("answered"));
    }

    [Fact]
    public async Task FetchAsync_NoPeers_FailsAtOnce()
    {
        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(Link(Small), PeerId.CreateOurs(), [], Quick, Ct));

        Assert.Contains("no peer to ask", e.Message);
    }

    [Theory]
    [InlineData(-16 * 1024)] // the real size minus 16 KiB
    [InlineData(null)]       // 1 byte
    public async Task FetchAsync_FirstPeerUnderstatesMetadataSize_IsBannedAndTheHonestPeerDelivers(int? offset)
    {
        var real = Big.Torrent.RawInfo.Length;
        await using var liar = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(Big.Torrent, Big.Payload) with
        {
            ServeMetadata = true, Connection = TestDownloader.Quick, AnnouncedMetadataSize = offset is { } o ? real + o : 1,
        });
        // The honest peer speaks half a second later, so the liar's size is the one the fetch hears first.
        await using var honest = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(Big.Torrent, Big.Payload) with
        {
            ServeMetadata = true, Connection = TestDownloader.Quick, ExtensionHandshakeDelay = TimeSpan.FromMilliseconds(500),
        });
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var raw = await MetadataFetcher.FetchAsync(Link(Big), PeerId.CreateOurs(), [liar.EndPoint, honest.EndPoint],
            Quick with { Log = log.Enqueue }, Ct);

        Assert.Equal(Big.Torrent.RawInfo.ToArray(), raw);
        Assert.Contains(log, line => line.StartsWith($"peer {liar.EndPoint}:", StringComparison.Ordinal) && line.Contains("banned"));
    }

    [Fact]
    public async Task FetchAsync_XPeAddressesNoClientMayContact_AreNeverDialled()
    {
        // x.pe from a hostile link: unspecified, multicast (SSDP), broadcast, link-local. None is a peer.
        var link = MagnetLink.Parse(Small.Torrent.MagnetLink + "&x.pe=0.0.0.0:6881&x.pe=239.255.255.250:1900&x.pe=255.255.255.255:6881&x.pe=169.254.169.254:80");
        Assert.Equal(4, link.Peers.Count);

        var e = await Assert.ThrowsAsync<MetadataException>(() =>
            MetadataFetcher.FetchAsync(link, PeerId.CreateOurs(), link.Peers, Quick, Ct));

        Assert.Contains("no peer to ask", e.Message);
    }

    [Fact]
    public void MagnetTorrentFile_Build_KeepsTheInfoHashAndTrackers()
    {
        var link = MagnetLink.Parse(Small.Torrent.MagnetLink + "&tr=udp%3A%2F%2F127.0.0.1%3A9%2F&ws=http%3A%2F%2F127.0.0.1%2Fw");

        var torrent = Torrent.Parse(MagnetTorrentFile.Build(link, Small.Torrent.RawInfo));

        Assert.Equal(Small.Torrent.InfoHash, torrent.InfoHash);
        Assert.Equal("http://127.0.0.1:1/announce", torrent.Announce);
        Assert.Equal(2, torrent.AnnounceTiers.Count);
        Assert.Equal(["http://127.0.0.1/w"], torrent.WebSeeds);
        Assert.Throws<ArgumentException>(() => MagnetTorrentFile.Build(link, Big.Torrent.RawInfo));
    }
}
