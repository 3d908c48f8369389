using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>Blocks that hold only BEP 47 padding are never requested and count as received zeros.</summary>
public class PieceManagerPaddingTests
{
    private const int Block = WireLimits.BlockLength;
    private const int PieceLength = 4 * Block;

    // Hybrid (BEP 52): a.bin 20000 bytes then a pad of 45536 (blocks 2 and 3 of piece 0 are pure padding, block 1 is
    // partly a.bin); b.bin 70000 bytes (piece 1 and 4464 bytes of piece 2), then a pad of 61072 (blocks 1-3 of piece 2).
    private static readonly byte[] A = TestTorrents.Payload(20_000, 31), B = TestTorrents.Payload(70_000, 32);
    private static readonly Torrent Hybrid = Torrent.Parse(TorrentBuilder.Create("h", [(["a.bin"], A), (["b.bin"], B)],
        new TorrentCreateOptions { PieceLength = PieceLength, Format = TorrentFormat.Hybrid, CreationDate = null }));

    private static readonly byte[] Stream = [.. A, .. new byte[PieceLength - A.Length], .. B, .. new byte[3 * PieceLength - A.Length - (PieceLength - A.Length) - B.Length]];

    [Fact]
    public void FillRequests_NeverAsksForABlockOfPadding()
    {
        var manager = new PieceManager(Hybrid, new Bitfield(Hybrid.PieceCount), new PieceManagerOptions { Picker = new SequentialPicker() });
        manager.AddPeer(new PeerKey("A"), Bitfield.Full(Hybrid.PieceCount));
        var requests = new BlockRequest[64];

        var asked = requests[..manager.FillRequests(new PeerKey("A"), requests)];

        Assert.Equal([(0, 0), (0, Block), (1, 0), (1, Block), (1, 2 * Block), (1, 3 * Block), (2, 0)],
            asked.Select(r => (r.Index, r.Begin)));
    }

    [Fact]
    public void OnBlockReceived_OnlyTheDataBlocks_VerifiesEveryPieceAndCountsNoPadding()
    {
        var manager = new PieceManager(Hybrid, new Bitfield(Hybrid.PieceCount), new PieceManagerOptions { Picker = new SequentialPicker() });
        manager.AddPeer(new PeerKey("A"), Bitfield.Full(Hybrid.PieceCount));
        var requests = new BlockRequest[64];
        var asked = requests[..manager.FillRequests(new PeerKey("A"), requests)];

        foreach (var r in asked)
        {
            var result = manager.OnBlockReceived(new PeerKey("A"), r.Index, r.Begin, Stream.AsSpan(r.Index * PieceLength + r.Begin, r.Length));
            result.Piece?.Dispose();
        }

        Assert.True(manager.IsComplete);
        Assert.Equal(asked.Sum(r => (long)r.Length), manager.DownloadedBytes);
        Assert.True(manager.DownloadedBytes < Hybrid.TotalLength);
    }
}
