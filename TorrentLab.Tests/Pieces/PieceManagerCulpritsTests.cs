using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>Finding who sent bad data (<c>PieceManager.Culprits.cs</c>): honest co-senders of a bad piece are never blamed.</summary>
public class PieceManagerCulpritsTests
{
    private const int Block = WireLimits.BlockLength;
    private const int PieceLength = 2 * Block;
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 2 * PieceLength, pieceLength: PieceLength);

    private static PieceManager Manager() =>
        new(Built.Torrent, new Bitfield(Built.Torrent.PieceCount), new PieceManagerOptions { Picker = new SequentialPicker() });

    private static Bitfield Piece0 { get { var b = new Bitfield(Built.Torrent.PieceCount); b.Set(0); return b; } }

    private static BlockRequest[] Fill(PieceManager manager, IBlockSource peer, int max = 256)
    {
        var requests = new BlockRequest[max];
        return requests[..manager.FillRequests(peer, requests)];
    }

    private static BlockResult Good(PieceManager manager, IBlockSource peer, BlockRequest r) =>
        manager.OnBlockReceived(peer, r.Index, r.Begin, Built.Payload.AsSpan(r.Index * PieceLength + r.Begin, r.Length));

    private static BlockResult Junk(PieceManager manager, IBlockSource peer, BlockRequest r) =>
        manager.OnBlockReceived(peer, r.Index, r.Begin, new byte[r.Length]);

    /// <summary>Piece 0 assembled from an honest block of "honest" and a junk block of "liar": it fails, blaming nobody.</summary>
    private static PieceManager FailedSharedCopy()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("honest"), Piece0);
        manager.AddPeer(new PeerKey("liar"), Piece0);
        var fromHonest = Fill(manager, new PeerKey("honest"), max: 1)[0];
        var fromLiar = Fill(manager, new PeerKey("liar"), max: 1)[0];
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("honest"), fromHonest).Kind);
        var failed = Junk(manager, new PeerKey("liar"), fromLiar);
        Assert.Equal(BlockResultKind.PieceFailed, failed.Kind);
        Assert.Empty(failed.Culprits);
        return manager;
    }

    [Fact]
    public void SoloCopyFromAnHonestPeerVerifies_TheSenderOfTheDifferingBlockIsTheCulprit()
    {
        var manager = FailedSharedCopy();
        var again = Fill(manager, new PeerKey("honest"));
        Assert.Equal(2, again.Length);
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("honest"), again[0]).Kind);

        var verified = Good(manager, new PeerKey("honest"), again[1]);

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        verified.Piece!.Dispose();
        Assert.Equal(["liar"], verified.Culprits.Select(p => p.Name));
        Assert.Equal(1, manager.HashFailures(new PeerKey("liar")));
        Assert.Equal(0, manager.HashFailures(new PeerKey("honest")));
    }

    /// <summary>The swarm counts a verified piece's senders as peers used: they come with the piece, from the blocks
    /// this copy was made of. (Noted beside the piece manager, a liar's block of the failed copy, noted after the
    /// failure had cleared the list, once made the liar a peer used.)</summary>
    [Fact]
    public void AVerifiedCopy_NamesTheSendersOfItsOwnBlocks_NotThoseOfTheFailedCopy()
    {
        var manager = FailedSharedCopy();
        var again = Fill(manager, new PeerKey("honest"));
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("honest"), again[0]).Kind);

        var verified = Good(manager, new PeerKey("honest"), again[1]);

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        using var piece = verified.Piece!;
        Assert.Equal(["honest"], piece.Senders.Select(p => p.Name));
    }

    [Fact]
    public void AVerifiedCopyFromTwoPeers_NamesBoth()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("a"), Piece0);
        manager.AddPeer(new PeerKey("b"), Piece0);
        var fromA = Fill(manager, new PeerKey("a"), max: 1)[0];
        var fromB = Fill(manager, new PeerKey("b"), max: 1)[0];
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("a"), fromA).Kind);

        var verified = Good(manager, new PeerKey("b"), fromB);

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        using var piece = verified.Piece!;
        Assert.Equal(["a", "b"], piece.Senders.Select(p => p.Name));
    }

    [Fact]
    public void AVerifiedCopyFromTwoPeersWithOneBlockEach_ItsMainSenderIsTheFirstToSend()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("a"), Piece0);
        manager.AddPeer(new PeerKey("b"), Piece0);
        var fromA = Fill(manager, new PeerKey("a"), max: 1)[0];
        var fromB = Fill(manager, new PeerKey("b"), max: 1)[0];
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("b"), fromB).Kind);

        var verified = Good(manager, new PeerKey("a"), fromA);

        using var piece = verified.Piece!;
        Assert.Equal("b", piece.MainSender!.Name); // a tie: the one that sent first
    }

    [Fact]
    public void AVerifiedCopyOfThreeBlocks_ItsMainSenderIsThePeerThatSentTwo()
    {
        var built = TestTorrents.SingleFile(length: 3 * Block, pieceLength: 3 * Block);
        var manager = new PieceManager(built.Torrent, new Bitfield(1), new PieceManagerOptions { Picker = new SequentialPicker() });
        manager.AddPeer(new PeerKey("one"), Bitfield.Full(1));
        manager.AddPeer(new PeerKey("two"), Bitfield.Full(1));
        var fromOne = Fill(manager, new PeerKey("one"), max: 1).Single();
        var fromTwo = Fill(manager, new PeerKey("two"), max: 2);
        Assert.Equal(2, fromTwo.Length);
        BlockResult Send(string peer, BlockRequest r) => manager.OnBlockReceived(new PeerKey(peer), r.Index, r.Begin, built.Payload.AsSpan(r.Begin, r.Length));

        Assert.Equal(BlockResultKind.Accepted, Send("one", fromOne).Kind); // the first to send, but of one block only
        Assert.Equal(BlockResultKind.Accepted, Send("two", fromTwo[0]).Kind);
        var verified = Send("two", fromTwo[1]);

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        using var piece = verified.Piece!;
        Assert.Equal(["one", "two"], piece.Senders.Select(p => p.Name));
        Assert.Equal("two", piece.MainSender!.Name);
    }

    [Fact]
    public void SoloCopyFromTheLiarFails_ItIsTheSoleSenderAndTheCulprit()
    {
        var manager = FailedSharedCopy();
        var again = Fill(manager, new PeerKey("liar"));
        Assert.Empty(Fill(manager, new PeerKey("honest"))); // the piece is the liar's alone now
        Assert.Equal(BlockResultKind.Accepted, Junk(manager, new PeerKey("liar"), again[0]).Kind);

        var failed = Junk(manager, new PeerKey("liar"), again[1]);

        Assert.Equal(BlockResultKind.PieceFailed, failed.Kind);
        Assert.Equal(["liar"], failed.Culprits.Select(p => p.Name));
        Assert.Equal(0, manager.HashFailures(new PeerKey("honest")));
    }

    [Fact]
    public void SoloOwnerChokesMidPiece_ThePieceStartsOverForAnotherPeer()
    {
        var manager = FailedSharedCopy();
        var again = Fill(manager, new PeerKey("liar"));
        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("liar"), again[0]).Kind);

        manager.ReleaseBlocks(new PeerKey("liar")); // it choked us

        Assert.Equal(again, Fill(manager, new PeerKey("honest")));
    }

    [Fact]
    public void BlockAnsweringARequestReleasedByAChoke_IsStillAccepted()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Piece0);
        var requests = Fill(manager, new PeerKey("A"));
        manager.ReleaseBlocks(new PeerKey("A"));

        Assert.Equal(BlockResultKind.Accepted, Good(manager, new PeerKey("A"), requests[0]).Kind);
    }
}
