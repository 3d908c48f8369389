using System.Security.Cryptography;
using TorrentLab.Cli.Commands;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Wire;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Cli;

/// <summary>The magnet commands run as a process against in-process synthetic peers that serve metadata (given by x.pe).</summary>
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

        var result = CliRunner.Run(["magnet_handshake", Link(built, peer)]);

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

        var result = CliRunner.Run(["magnet_info", Link(built, peer), "--save-torrent", saved]);

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

        var result = CliRunner.Run(["magnet_download_piece", "-o", temp.Combine("piece-3"), Link(built, peer), "3"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(built.Payload[(3 * 32 * 1024)..], File.ReadAllBytes(temp.Combine("piece-3")));   // the short last piece
    }

    [Fact]
    public async Task MagnetDownload_WritesTheWholeFile()
    {
        var built = TestTorrents.SingleFile(length: 300_000, pieceLength: 64 * 1024, announce: null);
        await using var peer = Seeder(built);
        using var temp = new TempFolder();

        var result = CliRunner.Run(["magnet_download", "-o", temp.Combine("out.bin"), Link(built, peer)]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(temp.Combine("out.bin"))));
    }

    [Fact]
    public void MagnetInfo_NoTrackerAndNoPeer_FailsWithOneLine()
    {
        var result = CliRunner.Run(["magnet_info", "magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db"]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.Equal("error: metadata: the magnet link names no tracker (tr) and no peer (x.pe); TorrentLab uses no DHT\n", result.Stderr);
    }
}
