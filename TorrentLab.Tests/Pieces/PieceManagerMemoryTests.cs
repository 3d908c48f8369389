using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>What a piece being downloaded holds: the blocks that arrived of it, not its whole length.</summary>
public class PieceManagerMemoryTests
{
    private const int Block = WireLimits.BlockLength;
    private const int PieceLength = 16 * Block;   // 256 KiB

    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 2 * PieceLength, pieceLength: PieceLength);

    [Fact]
    public void APieceInProgress_HoldsTheBlocksThatArrived_AndNothingOnceVerified()
    {
        var manager = new PieceManager(Built.Torrent, new Bitfield(Built.Torrent.PieceCount), new PieceManagerOptions { Picker = new SequentialPicker() });
        var peer = new PeerKey("A");
        manager.AddPeer(peer, Bitfield.Full(Built.Torrent.PieceCount));
        var requests = new BlockRequest[64];
        var asked = requests[..manager.FillRequests(peer, requests)].Where(r => r.Index == 0).ToArray();
        Assert.Equal(16, asked.Length);
        Assert.Equal(0, manager.HeldBlockBytes);   // asked for, nothing arrived: nothing held

        BlockResult Deliver(BlockRequest r) => manager.OnBlockReceived(peer, r.Index, r.Begin, Built.Payload.AsSpan(r.Index * PieceLength + r.Begin, r.Length));
        Assert.Equal(BlockResultKind.Accepted, Deliver(asked[5]).Kind);
        Assert.Equal(Block, manager.HeldBlockBytes);   // one block of the 256 KiB piece

        foreach (var r in asked.Where(r => r != asked[5]).SkipLast(1)) Deliver(r);
        Assert.Equal(15 * Block, manager.HeldBlockBytes);
        var verified = Deliver(asked[^1]);   // the last block: the piece is assembled, checked and handed on

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        using var piece = verified.Piece!;
        Assert.Equal(Built.Payload.AsSpan(0, PieceLength), piece.Data.Span);   // the blocks, assembled in order
        Assert.Equal(0, manager.HeldBlockBytes);
    }
}
