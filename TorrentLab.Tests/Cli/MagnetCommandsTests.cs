using System.Security.Cryptography;
using TorrentLab.Cli.Commands;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Wire;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Cli;

/// <summary>The magnet commands run as a process against in-process synthetic peers that serve metadata (given by x.pe).</summary>
[Trait("Tier", "Slow")]
public class MagnetCommandsTests
{
    private static SyntheticPeer Seeder(TestTorrents.Built built) =>
        SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with { ServeMetadata = true, Connection = TestDownloader.Quick });

    private static string Link(TestTorrents.Built built, SyntheticPeer peer) => built.Torrent.MagnetLink + "&x.pe=" + Uri.EscapeDataString(peer.EndPoint.ToString());

    [Fact]
    public async Task MagnetHandshake_PrintsPeerIdAndTheirMetadataExtensionId()
    {
        var built = TestTorrents.SingleFile(announce: null);
        await using var peer = Seeder(built);

        var result = await CliRunner.RunAsync(["magnet_handshake", Link(built, peer)]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal($"Peer ID: {peer.PeerId.Hex}\nPeer Metadata Extension ID: 2\n", result.Stdout);   // THEIR id, not our 3
    }

    [Fact]
    public async Task MagnetInfo_PrintsWhatInfoPrintsForTheTorrent()
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("sub/b.bin", 30_000)], name: "folder");
        await using var peer = Seeder(built);
        using var temp = new TempFolder();
        var saved = temp.Combine("saved.torrent");

        var result = await CliRunner.RunAsync(["magnet_info", Link(built, peer), "--save-torrent", saved]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(InfoCommand.Text(InfoReport.From(built.Torrent)), result.Stdout);   // Tracker URL, Length, Info Hash, ...
        Assert.Equal(built.Torrent.InfoHash, TorrentLab.Metainfo.Torrent.Load(saved).InfoHash);
    }

    [Fact]
    public async Task MagnetDownloadPiece_WritesTheVerifiedPiece()
    {
        var built = TestTorrents.SingleFile(length: 100_000, pieceLength: 32 * 1024, announce: null);
        await using var peer = Seeder(built);
        using var temp = new TempFolder();

        var result = await CliRunner.RunAsync(["magnet_download_piece", "-o", temp.Combine("piece-3"), Link(built, peer), "3"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(built.Payload[(3 * 32 * 1024)..], File.ReadAllBytes(temp.Combine("piece-3")));   // the short last piece
    }

    [Fact]
    public async Task MagnetDownload_WritesTheWholeFile()
    {
        var built = TestTorrents.SingleFile(length: 300_000, pieceLength: 64 * 1024, announce: null);
        await using var peer = Seeder(built);
        using var temp = new TempFolder();

        var result = await CliRunner.RunAsync(["magnet_download", "-o", temp.Combine("out.bin"), Link(built, peer)]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(temp.Combine("out.bin"))));
    }

    [Fact]
    public async Task MagnetInfo_XtOnly_FindsItsPeerThroughTheDhtBootstrapNodeGiven()
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("sub/b.bin", 30_000)], name: "folder", announce: null);
        using var temp = new TempFolder();
        await using var bootstrap = await LocalDht.StartNodeAsync(TestContext.Current.CancellationToken);
        await using var seeder = await LocalDht.SeedAsync(built, temp.Combine("seed"), bootstrap, TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync(["magnet_info", $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}", "--dht-bootstrap", bootstrap.LocalEndPoint!.ToString()]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(InfoCommand.Text(InfoReport.From(built.Torrent)), result.Stdout);
    }

    [Fact]
    public void MagnetInfo_XtOnly_PublicRoutersAreRefusedOffLoopback_SoNoPeerIsFound()
    {
        // The suite runs loopback-only (TORRENTLAB_DHT_LOOPBACK_ONLY=1, inherited by the CLI): the default bootstrap
        // routers are skipped without a DNS query or a packet, and the lookup has nobody to ask.
        var result = CliRunner.Run(["magnet_info", "magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db", "-v"]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.Contains("skipping bootstrap node: bootstrap node router.bittorrent.com:6881 is not a loopback address", result.Stderr);
        Assert.EndsWith("error: metadata: the magnet link names no tracker (tr) and no peer (x.pe), and the DHT found none\n", result.Stderr);
    }

    [Theory]
    [InlineData("router.example")]   // no port
    [InlineData("127.0.0.1:0")]      // port 0
    [InlineData("127.0.0.1:70000")]  // port over 65535
    public void MagnetInfo_BadDhtBootstrap_IsAUsageError(string value)
    {
        var result = CliRunner.Run(["magnet_info", "magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db", "--dht-bootstrap", value]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal($"error: --dht-bootstrap expects HOST:PORT (e.g. 127.0.0.1:6881, [::1]:6881, localhost:6881) with a port in 1..65535, got '{value}' (see 'torrentlab --help')\n", result.Stderr);
    }
}
