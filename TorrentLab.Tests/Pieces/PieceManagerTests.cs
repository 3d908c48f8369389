using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

public class PieceManagerTests
{
    private const int Block = WireLimits.BlockLength;
    private const int PieceLength = 2 * Block;

    // 3 full pieces of 2 blocks, then a last piece of 20000 bytes: one full block and one of 3616.
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 3 * PieceLength + 20_000, pieceLength: PieceLength);

    private static PieceManager Manager(PieceManagerOptions? options = null, Bitfield? have = null) =>
        new(Built.Torrent, have ?? new Bitfield(Built.Torrent.PieceCount), options ?? new PieceManagerOptions { Picker = new SequentialPicker() });

    private static Bitfield Seeder => Bitfield.Full(Built.Torrent.PieceCount);

    private static Bitfield Pieces(params int[] indexes)
    {
        var bitfield = new Bitfield(Built.Torrent.PieceCount);
        foreach (var i in indexes) bitfield.Set(i);
        return bitfield;
    }

    /// <summary>A manager that has every piece but piece 0 (two blocks), with these peers connected as seeders.</summary>
    private static PieceManager OnlyPieceZeroMissing(params string[] peers)
    {
        var manager = Manager(have: Pieces(1, 2, 3));
        foreach (var peer in peers) manager.AddPeer(new PeerKey(peer), Seeder);
        return manager;
    }

    private static BlockRequest[] Fill(PieceManager manager, IBlockSource peer, int max = 256)
    {
        var requests = new BlockRequest[max];
        return requests[..manager.FillRequests(peer, requests)];
    }

    private static ReadOnlySpan<byte> Data(BlockRequest r) => Built.Payload.AsSpan(r.Index * PieceLength + r.Begin, r.Length);

    private static BlockResult Deliver(PieceManager manager, IBlockSource peer, BlockRequest r) => manager.OnBlockReceived(peer, r.Index, r.Begin, Data(r));

    [Fact]
    public void FillRequests_SequentialPicker_Hands16KiBBlocksInOrderUpToThePipelineDepth()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 3 });
        manager.AddPeer(new PeerKey("A"), Seeder);

        Assert.Equal([new(0, 0, Block), new(0, Block, Block), new(1, 0, Block)], Fill(manager, new PeerKey("A")));
        Assert.Empty(Fill(manager, new PeerKey("A"))); // pipeline full
        Assert.Equal(3, manager.RequestsInFlight(new PeerKey("A")));

        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), new(0, 0, Block)).Kind);
        Assert.Equal([new BlockRequest(1, Block, Block)], Fill(manager, new PeerKey("A"))); // one slot freed, one new request
    }

    [Fact]
    public void FillRequests_DefaultPipeline_IsDeepEnoughForAFastPeer()
    {
        Assert.True(new PieceManagerOptions().MaxRequestsPerPeer >= 32);
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        Assert.Equal(8, Fill(manager, new PeerKey("A")).Length); // the whole torrent (8 blocks) in one go
    }

    [Fact]
    public void FillRequests_ShorterSpan_LimitsTheRequests()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        Assert.Equal(2, Fill(manager, new PeerKey("A"), max: 2).Length);
    }

    [Fact]
    public void FillRequests_LastPiece_HasAShortLastBlock()
    {
        var manager = Manager(have: Pieces(0, 1, 2));
        manager.AddPeer(new PeerKey("A"), Seeder);
        Assert.Equal([new(3, 0, Block), new(3, Block, 20_000 - Block)], Fill(manager, new PeerKey("A")));
    }

    [Fact]
    public void FillRequests_PeerWithNothingWeLack_GetsNothingAndIsNotInteresting()
    {
        var manager = Manager(have: Pieces(0, 1));
        manager.AddPeer(new PeerKey("A"), Pieces(0, 1));
        Assert.False(manager.IsInteresting(new PeerKey("A")));
        Assert.Empty(Fill(manager, new PeerKey("A")));

        Assert.True(manager.PeerHas(new PeerKey("A"), 2));
        Assert.True(manager.IsInteresting(new PeerKey("A")));
        Assert.All(Fill(manager, new PeerKey("A")), r => Assert.Equal(2, r.Index));
    }

    /// <summary>A peer whose only piece we lack is being fetched whole from another peer has pieces we want but nothing
    /// to be asked for: we tell it we are not interested (its upload slot goes to a peer that can use it) until a
    /// block of that piece is free again, or in endgame, when copies are asked of it.</summary>
    [Fact]
    public void CanAsk_PeerWhosePiecesWeLackAreAllRequestedElsewhere_IsFalseUntilABlockIsFree()
    {
        var manager = Manager();
        var (a, b) = (new PeerKey("A"), new PeerKey("B"));
        manager.AddPeer(a, Seeder);
        manager.AddPeer(b, Pieces(0));
        Assert.True(manager.CanAsk(b));
        Assert.All(Fill(manager, a, max: 2), r => Assert.Equal(0, r.Index)); // all of piece 0 asked of A
        Assert.False(manager.IsEndgame);

        Assert.True(manager.IsInteresting(b));
        Assert.False(manager.CanAsk(b));
        Assert.Empty(Fill(manager, b));
        Assert.True(manager.CanAsk(a)); // pieces 1-3 are still to start

        manager.ReleaseBlocks(a); // A choked us: piece 0's blocks are free again
        Assert.True(manager.CanAsk(b));
        Assert.Equal(2, Fill(manager, b).Length);

        Assert.Equal(6, Fill(manager, a).Length); // pieces 1-3: everything is asked of someone, endgame
        Assert.True(manager.IsEndgame);
        Assert.True(manager.CanAsk(b));
    }

    [Fact]
    public void PeerLost_ThePeersOnlyPieceWeLack_TakesBackItsRequestsForAnotherPeer()
    {
        // BEP 54: piece 0 is the only one missing; A said it has it, was asked for both blocks, then lost it.
        var manager = OnlyPieceZeroMissing("A", "B");
        var a = new PeerKey("A");
        var asked = Fill(manager, a);
        Assert.Equal(2, asked.Length);
        Assert.All(asked, r => Assert.Equal(0, r.Index));

        var (had, released) = manager.PeerLost(a, 0);

        Assert.True(had);
        Assert.Equal(asked.OrderBy(r => r.Begin), released.OrderBy(r => r.Begin));
        Assert.False(manager.IsInteresting(a));
        Assert.Empty(Fill(manager, a));
        Assert.Equal(asked.OrderBy(r => r.Begin), Fill(manager, new PeerKey("B")).OrderBy(r => r.Begin)); // the blocks go to B
        Assert.False(manager.PeerLost(a, 0).Had); // told twice: nothing more
        Assert.True(manager.PeerHas(a, 0));          // and it may find the piece again
    }

    [Fact]
    public void OnBlockReceived_AllBlocksOfAGoodPiece_AcceptsThenHandsOverTheVerifiedPiece()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        var requests = Fill(manager, new PeerKey("A"));

        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), requests[0]).Kind);
        var result = Deliver(manager, new PeerKey("A"), requests[1]);

        Assert.Equal(BlockResultKind.PieceVerified, result.Kind);
        using var piece = result.Piece!;
        Assert.Equal(0, piece.Index);
        Assert.Equal(Built.Payload.AsSpan(0, PieceLength), piece.Data.Span);
        Assert.True(manager.HasPiece(0));
        Assert.Equal(PieceLength, manager.VerifiedBytes);
        Assert.Equal(6, manager.RequestsInFlight(new PeerKey("A")));
    }

    [Fact]
    public void OnBlockReceived_ShortLastPiece_Verifies()
    {
        var manager = Manager(have: Pieces(0, 1, 2));
        manager.AddPeer(new PeerKey("A"), Seeder);
        var results = Fill(manager, new PeerKey("A")).Select(r => Deliver(manager, new PeerKey("A"), r)).ToList();
        Assert.Equal(BlockResultKind.PieceVerified, results[^1].Kind);
        using var piece = results[^1].Piece!;
        Assert.Equal(20_000, piece.Length);
        Assert.True(manager.IsComplete);
        Assert.Equal(0, manager.RemainingBytes);
    }

    [Fact]
    public void TakeBlock_CompletingBlock_LeavesThePieceUncheckedUntilVerifyComplete()
    {
        var manager = OnlyPieceZeroMissing("A", "B");
        var requests = Fill(manager, new PeerKey("A"));

        Assert.Equal(BlockResultKind.Accepted, manager.TakeBlock(new PeerKey("A"), 0, 0, Data(requests[0])).Kind);
        var complete = manager.TakeBlock(new PeerKey("A"), 0, Block, Data(requests[1]));

        Assert.Equal(BlockResultKind.PieceComplete, complete.Kind);
        Assert.Null(complete.Piece);
        Assert.False(manager.HasPiece(0));
        Assert.Equal(0, manager.VerifiedBytes);
        Assert.Equal(PieceLength, manager.DownloadedBytes);
        Assert.Empty(Fill(manager, new PeerKey("B"))); // while it waits for its check, nobody is asked for it again

        var verified = manager.VerifyComplete(complete);

        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        using var piece = verified.Piece!;
        Assert.Equal(Built.Payload.AsSpan(0, PieceLength), piece.Data.Span);
        Assert.True(manager.HasPiece(0));
        Assert.True(manager.IsComplete);
        Assert.Equal(PieceLength, manager.VerifiedBytes);
    }

    [Fact]
    public void TakeBlock_BadPiece_FailsAtVerifyCompleteAndIsRequestedAgain()
    {
        var manager = OnlyPieceZeroMissing("A");
        var requests = Fill(manager, new PeerKey("A"));
        manager.TakeBlock(new PeerKey("A"), 0, 0, Data(requests[0]));
        var complete = manager.TakeBlock(new PeerKey("A"), 0, Block, new byte[Block]);

        var failed = manager.VerifyComplete(complete);

        Assert.Equal(BlockResultKind.PieceFailed, failed.Kind);
        Assert.Equal(["A"], failed.Culprits.Select(p => p.Name));
        Assert.False(manager.HasPiece(0));
        Assert.Equal(PieceLength, manager.WastedBytes);
        Assert.Equal([new(0, 0, Block), new(0, Block, Block)], Fill(manager, new PeerKey("A")));
    }

    [Fact]
    public void TakeBlock_EndgameCancels_ComeWithTheCompletingBlockAndAreNotRepeated()
    {
        var manager = OnlyPieceZeroMissing("A", "B");
        var fromA = Fill(manager, new PeerKey("A"));
        Fill(manager, new PeerKey("B")); // endgame: B was asked for the same two blocks
        manager.TakeBlock(new PeerKey("A"), 0, 0, Data(fromA[0]));

        var complete = manager.TakeBlock(new PeerKey("A"), 0, Block, Data(fromA[1]));
        Assert.Equal(["B"], complete.CancelPeers.Select(p => p.Name));
        Assert.Equal(BlockResultKind.Duplicate, manager.TakeBlock(new PeerKey("B"), 0, Block, Data(fromA[1])).Kind); // B's copy, while the check waits

        var verified = manager.VerifyComplete(complete);
        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        Assert.Empty(verified.CancelPeers);
        verified.Piece!.Dispose();
    }

    [Fact]
    public void VerifyComplete_OfAResultThatCompletedNoPiece_Throws()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        var first = manager.TakeBlock(new PeerKey("A"), 0, 0, Data(Fill(manager, new PeerKey("A"))[0]));
        Assert.Equal(BlockResultKind.Accepted, first.Kind);
        Assert.Throws<ArgumentException>(() => manager.VerifyComplete(first));
    }

    [Fact]
    public void VerifyComplete_Twice_Throws()
    {
        var manager = OnlyPieceZeroMissing("A");
        var requests = Fill(manager, new PeerKey("A"));
        manager.TakeBlock(new PeerKey("A"), 0, 0, Data(requests[0]));
        var complete = manager.TakeBlock(new PeerKey("A"), 0, Block, Data(requests[1]));
        manager.VerifyComplete(complete).Piece!.Dispose();

        Assert.Throws<InvalidOperationException>(() => manager.VerifyComplete(complete));
        Assert.True(manager.HasPiece(0));
        Assert.Equal(PieceLength, manager.VerifiedBytes);
    }

    [Theory]
    [InlineData(9, 0, Block)]            // no such piece
    [InlineData(-1, 0, Block)]           // negative index
    [InlineData(2, 0, Block)]            // a piece nobody started
    [InlineData(0, 100, Block)]          // not on a block boundary
    [InlineData(0, -Block, Block)]       // negative offset
    [InlineData(0, 2 * Block, Block)]    // past the end of the piece
    [InlineData(0, 0, Block - 1)]        // wrong length
    [InlineData(0, 0, Block + 1)]        // too long
    public void OnBlockReceived_BlockNobodyAskedFor_IsUnrequestedAndChangesNothing(int index, int begin, int length)
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 2 });
        manager.AddPeer(new PeerKey("A"), Seeder);
        var requests = Fill(manager, new PeerKey("A")); // piece 0 in progress

        var result = manager.OnBlockReceived(new PeerKey("A"), index, begin, new byte[length]);

        Assert.Equal(BlockResultKind.Unrequested, result.Kind);
        Assert.Equal(0, manager.DownloadedBytes);
        Assert.Equal(2, manager.RequestsInFlight(new PeerKey("A")));
        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), requests[0]).Kind);
        Assert.Equal(BlockResultKind.PieceVerified, Deliver(manager, new PeerKey("A"), requests[1]).Kind);
    }

    [Fact]
    public void OnBlockReceived_UnknownPeer_IsUnrequested()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        var request = Fill(manager, new PeerKey("A"))[0];
        Assert.Equal(BlockResultKind.Unrequested, Deliver(manager, new PeerKey("stranger"), request).Kind);
    }

    [Fact]
    public void OnBlockReceived_SameBlockTwiceFromOnePeer_SecondWasNotAskedForAndIsUnrequested()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        var request = Fill(manager, new PeerKey("A"))[0];
        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), request).Kind);
        Assert.Equal(BlockResultKind.Unrequested, Deliver(manager, new PeerKey("A"), request).Kind);
        Assert.Equal(Block, manager.DownloadedBytes);
    }

    [Fact]
    public void OnBlockReceived_EndgameCopyAfterTheFirstArrived_IsDuplicateAndCountedAsWaste()
    {
        var manager = OnlyPieceZeroMissing("A", "B");
        var fromA = Fill(manager, new PeerKey("A"));
        var fromB = Fill(manager, new PeerKey("B")); // endgame: one of the same blocks again
        Assert.Equal([fromA[^1]], fromB);

        var first = Deliver(manager, new PeerKey("A"), fromA[^1]);
        Assert.Equal(["B"], first.CancelPeers.Select(p => p.Name));
        Assert.Equal(BlockResultKind.Duplicate, Deliver(manager, new PeerKey("B"), fromB[0]).Kind); // cancelled, but already on the wire
        Assert.Equal(Block, manager.WastedBytes);
    }

    /// <summary>The waste is told apart for traces: a cancelled endgame copy that came after the first copy was stored,
    /// one that came after its piece was verified, and a late answer to a request released by a choke.</summary>
    [Fact]
    public void WastedByCause_TellsLateEndgameCopiesFromLateAnswersToReleasedRequests()
    {
        var manager = OnlyPieceZeroMissing("A", "B");
        var fromA = Fill(manager, new PeerKey("A"));
        Assert.Equal([fromA[^1]], Fill(manager, new PeerKey("B"))); // endgame copy of the block A sends last
        Deliver(manager, new PeerKey("A"), fromA[^1]);                // B gets a cancel
        Assert.Equal(BlockResultKind.Duplicate, Deliver(manager, new PeerKey("B"), fromA[^1]).Kind);
        Assert.Equal([fromA[0]], Fill(manager, new PeerKey("B")));    // idle again: a copy of the other block
        var verified = Deliver(manager, new PeerKey("A"), fromA[0]);
        Assert.Equal(BlockResultKind.PieceVerified, verified.Kind);
        verified.Piece!.Dispose();
        Assert.Equal(BlockResultKind.Duplicate, Deliver(manager, new PeerKey("B"), fromA[0]).Kind);
        // Indexes: piece verified by then (0-3), block already stored (4-7); outstanding, expired, released, cancelled.
        Assert.Equal([0, 0, 0, Block, 0, 0, 0, Block], manager.WastedByCause());

        var other = Manager();
        other.AddPeer(new PeerKey("A"), Seeder);
        other.AddPeer(new PeerKey("B"), Seeder);
        var first = Fill(other, new PeerKey("A"), max: 1);
        other.ReleaseBlocks(new PeerKey("A"));                          // A choked us
        Assert.Equal(first, Fill(other, new PeerKey("B"), max: 1));
        Deliver(other, new PeerKey("B"), first[0]);
        Assert.Equal(BlockResultKind.Duplicate, Deliver(other, new PeerKey("A"), first[0]).Kind); // its answer was on the way
        Assert.Equal([0, 0, 0, 0, 0, 0, Block, 0], other.WastedByCause());
        Assert.Equal(Block, other.WastedBytes);
    }

    [Fact]
    public void OnBlockReceived_BlockOfAPieceWeAlreadyHaveNobodyAskedFor_IsUnrequested()
    {
        var manager = Manager(have: Pieces(0));
        manager.AddPeer(new PeerKey("A"), Seeder);
        Assert.Equal(BlockResultKind.Unrequested, manager.OnBlockReceived(new PeerKey("A"), 0, 0, Data(new(0, 0, Block))).Kind);
        Assert.Equal(0, manager.WastedBytes);
    }

    [Fact]
    public void OnBlockReceived_BlockAskedOfAnotherPeer_IsNotStored()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("honest"), Pieces(0));
        manager.AddPeer(new PeerKey("poisoner"), Seeder);
        var requests = Fill(manager, new PeerKey("honest")); // both blocks of piece 0

        var junk = manager.OnBlockReceived(new PeerKey("poisoner"), 0, 0, new byte[Block]);

        Assert.Equal(BlockResultKind.Unrequested, junk.Kind);
        Assert.Equal(0, manager.DownloadedBytes);
        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("honest"), requests[0]).Kind);
        Assert.Equal(BlockResultKind.PieceVerified, Deliver(manager, new PeerKey("honest"), requests[1]).Kind);
    }

    [Fact]
    public void OnBlockReceived_BadPieceFromTwoPeers_BlamesNobodyYetAndIsRequestedAgainFromOnePeerOnly()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Pieces(0));
        manager.AddPeer(new PeerKey("B"), Pieces(0));
        var fromA = Fill(manager, new PeerKey("A"), max: 1)[0];
        var fromB = Fill(manager, new PeerKey("B"), max: 1)[0];
        Assert.Equal(0, fromB.Index);

        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), fromA).Kind);
        var garbage = new byte[fromB.Length];
        var result = manager.OnBlockReceived(new PeerKey("B"), fromB.Index, fromB.Begin, garbage);

        Assert.Equal(BlockResultKind.PieceFailed, result.Kind);
        Assert.Equal(0, result.PieceIndex);
        Assert.Equal(["A", "B"], result.Contributors.Select(p => p.Name).Order());
        Assert.Empty(result.Culprits);
        Assert.Equal(0, manager.HashFailures(new PeerKey("A")));
        Assert.Equal(0, manager.HashFailures(new PeerKey("B")));
        Assert.False(manager.HasPiece(0));
        Assert.Equal(PieceLength, manager.WastedBytes);
        Assert.Equal([new(0, 0, Block), new(0, Block, Block)], Fill(manager, new PeerKey("A"))); // the whole piece again, from A alone
        Assert.Empty(Fill(manager, new PeerKey("B")));
    }

    [Fact]
    public void ExpireRequests_PastTheTimeout_PutsBlocksBackForOtherPeers()
    {
        var clock = new ManualClock();
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), Clock = clock, RequestTimeout = TimeSpan.FromSeconds(30),
            EndgameMaxRequestsPerBlock = 1 }); // no endgame duplicates: the blocks are taken until they expire
        manager.AddPeer(new PeerKey("slow"), Pieces(0));
        manager.AddPeer(new PeerKey("fast"), Pieces(0));
        var requests = Fill(manager, new PeerKey("slow"));
        Assert.Empty(Fill(manager, new PeerKey("fast"))); // everything of piece 0 is taken

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(manager.ExpireRequests(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(1));
        var expired = manager.ExpireRequests(clock.GetUtcNow());

        Assert.Equal(requests.Select(r => new ExpiredRequest(new PeerKey("slow"), r)), expired);
        Assert.Equal(0, manager.RequestsInFlight(new PeerKey("slow")));
        Assert.Equal(requests, Fill(manager, new PeerKey("fast")));
    }

    /// <summary>A peer that let requests expire is not handed the same blocks back at once: it would take them again
    /// before any other peer could (it asks first, being the one with room), so a peer that ignores some requests
    /// would hold them for ever, and never answer a later request that shows it skipped them.</summary>
    [Fact]
    public void ExpireRequests_ThePeerThatLetThemExpire_GetsOtherBlocksFirstAndTheirsOnlyWhenNothingElseIsLeft()
    {
        var clock = new ManualClock();
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), Clock = clock, EndgameMaxRequestsPerBlock = 1 });
        manager.AddPeer(new PeerKey("A"), Pieces(0, 1, 2));
        manager.AddPeer(new PeerKey("B"), Pieces(0));
        var first = Fill(manager, new PeerKey("A"), max: 2);
        Assert.All(first, r => Assert.Equal(0, r.Index));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, manager.ExpireRequests(clock.GetUtcNow()).Count);

        Assert.Equal([1, 1], Fill(manager, new PeerKey("A"), max: 2).Select(r => r.Index)); // a new piece, not piece 0 again
        Assert.Equal(first, Fill(manager, new PeerKey("B"))); // piece 0 waits for the other peer
        Assert.Equal([2, 2], Fill(manager, new PeerKey("A")).Select(r => r.Index));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(6, manager.ExpireRequests(clock.GetUtcNow()).Count); // B let piece 0 expire too, A pieces 1 and 2
        Assert.Equal([0, 0, 1, 1, 2, 2], Fill(manager, new PeerKey("A")).Select(r => r.Index)); // nothing else is left: A is asked again
    }

    /// <summary>Pieces in order, a 30 s request timeout, no endgame duplicates.</summary>
    private static PieceManager InOrderWithTimeout(ManualClock clock) =>
        Manager(new PieceManagerOptions { Picker = new SequentialPicker(), Clock = clock, RequestTimeout = TimeSpan.FromSeconds(30), EndgameMaxRequestsPerBlock = 1 });

    /// <summary>A peer that answers in order but slowly (a slow link shared by many uploaders) keeps the requests queued
    /// behind the one it is sending: they are not lost, and asking another peer for them would bring second copies.
    /// They expire once it answers nothing for the timeout.</summary>
    [Fact]
    public void ExpireRequests_QueuedBehindRequestsThePeerIsStillAnswering_AreKept_UntilItFallsSilentForTheTimeout()
    {
        var clock = new ManualClock();
        var manager = InOrderWithTimeout(clock);
        manager.AddPeer(new PeerKey("slow"), Seeder);
        var requests = Fill(manager, new PeerKey("slow"), max: 6);
        Assert.Equal(6, requests.Length);

        clock.Advance(TimeSpan.FromSeconds(20));
        Deliver(manager, new PeerKey("slow"), requests[0]);
        clock.Advance(TimeSpan.FromSeconds(15)); // 35 s after they were asked, 15 s after its last answer
        Assert.Empty(manager.ExpireRequests(clock.GetUtcNow()));
        Deliver(manager, new PeerKey("slow"), requests[1]);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(manager.ExpireRequests(clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromSeconds(1)); // silent for the timeout: the four still queued go back
        Assert.Equal(requests[2..].Select(r => new ExpiredRequest(new PeerKey("slow"), r)), manager.ExpireRequests(clock.GetUtcNow()));
        Assert.Equal(0, manager.RequestsInFlight(new PeerKey("slow")));
    }

    /// <summary>A request asked before one the peer answered was skipped (clients serve in order): it expires at the
    /// timeout even while the peer goes on answering the later ones.</summary>
    [Fact]
    public void ExpireRequests_ARequestAskedBeforeOneThePeerAnswered_ExpiresAtTheTimeout_WhileThePeerKeepsAnswering()
    {
        var clock = new ManualClock();
        var manager = InOrderWithTimeout(clock);
        manager.AddPeer(new PeerKey("A"), Seeder);
        var requests = Fill(manager, new PeerKey("A"), max: 4);

        clock.Advance(TimeSpan.FromSeconds(25));
        Deliver(manager, new PeerKey("A"), requests[1]); // requests[0] skipped
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(manager.ExpireRequests(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([new ExpiredRequest(new PeerKey("A"), requests[0])], manager.ExpireRequests(clock.GetUtcNow()));
        Assert.Equal(2, manager.RequestsInFlight(new PeerKey("A"))); // the two asked after the answered one wait their turn
    }

    [Fact]
    public void ExpireRequests_LateAnswerToAnExpiredRequest_IsStillAccepted()
    {
        var clock = new ManualClock();
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), Clock = clock });
        manager.AddPeer(new PeerKey("A"), Pieces(0));
        var requests = Fill(manager, new PeerKey("A"));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, manager.ExpireRequests(clock.GetUtcNow()).Count);

        Assert.Equal(BlockResultKind.Accepted, Deliver(manager, new PeerKey("A"), requests[0]).Kind);
        Assert.Equal([requests[1]], Fill(manager, new PeerKey("A"))); // only the block still missing
        Assert.Equal(BlockResultKind.PieceVerified, Deliver(manager, new PeerKey("A"), requests[1]).Kind);
    }

    [Fact]
    public void ReleaseBlocks_OnChoke_PutsThePeersRequestsBack()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Seeder);
        var requests = Fill(manager, new PeerKey("A"));
        var fromB = Fill(manager, new PeerKey("B"), max: 8);
        Assert.Empty(fromB.Where(r => !requests.Contains(r)).ToList()); // nothing new: an endgame copy only

        manager.ReleaseBlocks(new PeerKey("A"));

        Assert.Equal(0, manager.RequestsInFlight(new PeerKey("A")));
        Assert.Equal(requests.Except(fromB), Fill(manager, new PeerKey("A"))); // all back, but what B was asked for too
    }

    [Fact]
    public void ReleaseBlock_OnReject_PutsOneBlockBack()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Pieces(0));
        var requests = Fill(manager, new PeerKey("A"));
        Assert.True(manager.ReleaseBlock(new PeerKey("A"), requests[1]));
        Assert.False(manager.ReleaseBlock(new PeerKey("A"), requests[1]));
        Assert.Equal([requests[1]], Fill(manager, new PeerKey("A")));
    }

    [Fact]
    public void ReleaseBlock_AskingOthersFirst_StartsAnotherPiece_AndAsksForTheBlockAgainOnlyWhenNothingElseIsLeft()
    {
        // A lone seed that rejects a piece it sent another peer wants us to take one nobody has (issue 84).
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 2 });
        manager.AddPeer(new PeerKey("A"), Seeder);
        var requests = Fill(manager, new PeerKey("A"));
        Assert.Equal([new(0, 0, Block), new(0, Block, Block)], requests);

        Assert.True(manager.ReleaseBlock(new PeerKey("A"), requests[0], askOthersFirst: true));
        Assert.True(manager.ReleaseBlock(new PeerKey("A"), requests[1], askOthersFirst: true));

        var next = Fill(manager, new PeerKey("A"));
        Assert.Equal([new(1, 0, Block), new(1, Block, Block)], next); // piece 1, not piece 0 again
        var rest = new List<BlockRequest>();
        for (var round = 0; round < Built.Torrent.PieceCount * 2 && !rest.Contains(requests[0]); round++)
        {
            foreach (var request in next) Deliver(manager, new PeerKey("A"), request);
            next = Fill(manager, new PeerKey("A"));
            rest.AddRange(next);
        }
        Assert.Contains(requests[0], rest); // asked again, once nothing else was left to ask for
        Assert.DoesNotContain(rest.TakeWhile(r => r != requests[0]), r => r.Index == 0);
    }

    [Fact]
    public void RemovePeer_ReleasesItsBlocksAndItsPiecesNoLongerCount()
    {
        var manager = Manager();
        manager.AddPeer(new PeerKey("A"), Pieces(0));
        var requests = Fill(manager, new PeerKey("A"));
        manager.RemovePeer(new PeerKey("A"));
        manager.RemovePeer(new PeerKey("A")); // twice is harmless

        manager.AddPeer(new PeerKey("B"), Pieces(0));
        Assert.Equal(requests, Fill(manager, new PeerKey("B")));
        Assert.Throws<InvalidOperationException>(() => manager.FillRequests(new PeerKey("A"), new BlockRequest[4]));
    }

    [Fact]
    public void RarestFirst_StartsThePieceFewestPeersHave()
    {
        var options = new PieceManagerOptions { Picker = new RarestFirstPicker(randomFirstPieces: 0, new Random(7)), MaxRequestsPerPeer = 2 };
        var manager = Manager(options);
        manager.AddPeer(new PeerKey("A"), Seeder);        // availability: piece 0: 3, 1: 3, 2: 2, 3: 1
        manager.AddPeer(new PeerKey("B"), Pieces(0, 1, 2));
        manager.AddPeer(new PeerKey("C"), Pieces(0, 1));

        Assert.All(Fill(manager, new PeerKey("A")), r => Assert.Equal(3, r.Index)); // only A has piece 3
        Assert.All(Fill(manager, new PeerKey("B")), r => Assert.Equal(2, r.Index)); // rarest B has
    }

    [Fact]
    public void RarestFirst_BreaksTiesAtRandom()
    {
        var picked = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var manager = Manager(new PieceManagerOptions { Picker = new RarestFirstPicker(0, new Random(seed)), MaxRequestsPerPeer = 1 });
            manager.AddPeer(new PeerKey("A"), Seeder); // all four pieces equally rare
            picked.Add(Fill(manager, new PeerKey("A"))[0].Index);
        }
        Assert.True(picked.Count > 1, $"20 seeds all picked {string.Join(",", picked)}");
    }

    [Fact]
    public void FillRequests_PartialPiecesFirst_BeforeStartingNewOnes()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new RarestFirstPicker(0, new Random(1)), MaxRequestsPerPeer = 1 });
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Seeder);
        var first = Fill(manager, new PeerKey("A"))[0];
        var second = Fill(manager, new PeerKey("B"))[0];
        Assert.Equal(first.Index, second.Index); // B continues A's piece instead of starting another
        Assert.Equal(1, manager.PiecesInProgress);
    }

    [Fact]
    public void PiecesInProgress_StaysWithinTheMemoryBound()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxBytesInProgress = PieceLength, MinPiecesInProgress = 2 });
        manager.AddPeer(new PeerKey("A"), Seeder);
        Assert.Equal(2, manager.MaxPiecesInProgress);
        Assert.Equal(4, Fill(manager, new PeerKey("A")).Length); // two pieces' worth of blocks, not the whole torrent
        Assert.Equal(2, manager.PiecesInProgress);
    }

    [Fact]
    public void PiecesInProgress_AtTheBound_StrandedPieceIsDroppedForANewPeer()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxBytesInProgress = 1, MinPiecesInProgress = 1 });
        manager.AddPeer(new PeerKey("A"), Pieces(0));
        Deliver(manager, new PeerKey("A"), Fill(manager, new PeerKey("A"))[0]);
        manager.RemovePeer(new PeerKey("A")); // piece 0 half done, and nobody left has it

        manager.AddPeer(new PeerKey("B"), Pieces(1));
        Assert.All(Fill(manager, new PeerKey("B")), r => Assert.Equal(1, r.Index));
        Assert.Equal(Block, manager.WastedBytes);
    }

    [Fact]
    public void EndgameBegan_IsNotedOnceWithThePeerBeingAskedAndThePiecesLeft()
    {
        var manager = Manager(have: Pieces(0, 1));
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Seeder);
        Assert.Null(manager.EndgameBegan);
        Assert.Equal(2, Fill(manager, new PeerKey("A"), max: 2).Length); // piece 2 asked of A; piece 3 still to start
        Assert.Null(manager.EndgameBegan);

        Fill(manager, new PeerKey("B")); // piece 3 asked of B, then nothing new is left: end game
        var began = manager.EndgameBegan;
        Fill(manager, new PeerKey("A"));

        Assert.Equal("B", began!.Value.Peer.Name);
        Assert.Equal(2, began.Value.PiecesLeft);
        Assert.Equal(began, manager.EndgameBegan); // noted once
    }

    [Fact]
    public void RarestFirstBegan_IsNotedOnceTheRandomFirstPiecesAreHere_InADownloadThatStartedWithoutThem()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new RarestFirstPicker(randomFirstPieces: 2) }, have: Pieces(3));
        manager.AddPeer(new PeerKey("A"), Seeder);
        var random = Fill(manager, new PeerKey("A"), max: 2); // one piece (two blocks), picked at random: one piece held
        foreach (var r in random) Deliver(manager, new PeerKey("A"), r).Piece?.Dispose();
        Assert.Equal(2, manager.HaveCount);
        Assert.Null(manager.RarestFirstBegan);

        Fill(manager, new PeerKey("A"), max: 2); // two held: this pick is by rarity
        var began = manager.RarestFirstBegan;
        Fill(manager, new PeerKey("A"));

        Assert.Equal("A", began!.Value.Peer.Name);
        Assert.Equal(2, began.Value.PiecesLeft);
        Assert.Equal(began, manager.RarestFirstBegan); // noted once
    }

    [Fact]
    public void RarestFirstBegan_IsNotNoted_ForADownloadThatHadTheRandomFirstPiecesAtItsStart()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new RarestFirstPicker(randomFirstPieces: 2) }, have: Pieces(0, 3));
        manager.AddPeer(new PeerKey("A"), Seeder);

        Assert.NotEmpty(Fill(manager, new PeerKey("A")));

        Assert.Null(manager.RarestFirstBegan);
    }

    [Fact]
    public void Endgame_IdlePeerGetsOneDuplicateAtATimeAndTheLoserIsCancelled()
    {
        var manager = Manager(have: Pieces(0, 1, 2));
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Seeder);
        var fromA = Fill(manager, new PeerKey("A"));
        Assert.True(manager.IsEndgame);

        var fromB = Fill(manager, new PeerKey("B"));
        Assert.Equal([fromA[^1]], fromB); // one block asked of a second peer: the one A would send last
        Assert.Empty(Fill(manager, new PeerKey("B"))); // no more while that one is in flight

        var result = Deliver(manager, new PeerKey("B"), fromB[0]);
        Assert.Equal(BlockResultKind.Accepted, result.Kind);
        Assert.Equal(["A"], result.CancelPeers.Select(p => p.Name));
        Assert.Equal(1, manager.RequestsInFlight(new PeerKey("A")));
        Assert.Equal(BlockResultKind.Duplicate, Deliver(manager, new PeerKey("A"), fromA[^1]).Kind); // the cancel came too late

        Assert.Equal([fromA[0]], Fill(manager, new PeerKey("B"))); // idle again: the next one
        var last = Deliver(manager, new PeerKey("A"), fromA[0]);
        Assert.Equal(BlockResultKind.PieceVerified, last.Kind);
        Assert.Equal(["B"], last.CancelPeers.Select(p => p.Name));
        last.Piece!.Dispose();
        Assert.Equal(0, manager.RequestsInFlight(new PeerKey("B")));
    }

    /// <summary>Issue 39, finding 3: an idle peer was asked for every block in flight elsewhere at once, and fast
    /// seeders sent most of the tail two or three times.</summary>
    [Fact]
    public void Endgame_ManyBlocksInFlightElsewhere_AnIdlePeerIsAskedForOneOnly()
    {
        var manager = Manager(have: Pieces(2, 3));
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Seeder);
        Assert.Equal(4, Fill(manager, new PeerKey("A")).Length);   // pieces 0 and 1: four blocks
        Assert.True(manager.IsEndgame);

        Assert.Single(Fill(manager, new PeerKey("B"), max: 256));
    }

    [Fact]
    public void Endgame_NotWhileUnstartedPiecesRemain()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 2 });
        manager.AddPeer(new PeerKey("A"), Seeder);
        Fill(manager, new PeerKey("A"));
        Assert.False(manager.IsEndgame);
    }

    [Fact]
    public async Task ManyPeersOnManyThreads_DownloadEveryPieceExactlyOnce()
    {
        var built = TestTorrents.SingleFile(length: 40 * PieceLength + 1234, pieceLength: PieceLength, seed: 5);
        var manager = new PieceManager(built.Torrent, new Bitfield(built.Torrent.PieceCount),
            new PieceManagerOptions { MaxRequestsPerPeer = 4, MaxBytesInProgress = 6 * PieceLength });
        var peers = Enumerable.Range(0, 4).Select(i => new PeerKey($"peer{i}")).ToArray();
        foreach (var peer in peers) manager.AddPeer(peer, Bitfield.Full(built.Torrent.PieceCount));
        var output = new byte[built.Payload.Length];
        var verified = new int[built.Torrent.PieceCount];

        void Run(PeerKey peer)
        {
            var buffer = new BlockRequest[8];
            for (var round = 0; round < 10_000 && !manager.IsComplete; round++)
            {
                var n = manager.FillRequests(peer, buffer);
                if (n == 0) Thread.Yield();
                foreach (var r in buffer.AsSpan(0, n))
                {
                    var result = manager.OnBlockReceived(peer, r.Index, r.Begin, built.Payload.AsSpan(r.Index * PieceLength + r.Begin, r.Length));
                    if (result.Kind != BlockResultKind.PieceVerified) continue;
                    using var piece = result.Piece!;
                    Interlocked.Increment(ref verified[piece.Index]);
                    piece.Data.Span.CopyTo(output.AsSpan(piece.Index * PieceLength));
                }
            }
        }

        await Task.WhenAll(peers.Select(p => Task.Run(() => Run(p)))).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(manager.IsComplete);
        Assert.All(verified, count => Assert.Equal(1, count));
        Assert.Equal(built.Payload, output);
        Assert.All(peers, p => Assert.Equal(0, manager.RequestsInFlight(p)));
    }

    [Fact]
    public void APieceThePeerSuggested_IsStartedBeforeThePickersChoice()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 2 });
        manager.AddPeer(new PeerKey("A"), Seeder);

        manager.Suggest(new PeerKey("A"), 2); // BEP 6 suggest: the sequential picker alone would start piece 0

        Assert.Equal([new(2, 0, Block), new(2, Block, Block)], Fill(manager, new PeerKey("A")));
    }

    [Fact]
    public void ASuggestionOfAPieceWeHaveOrThePeerLacks_IsPassedOver()
    {
        var manager = Manager(new PieceManagerOptions { Picker = new SequentialPicker(), MaxRequestsPerPeer = 2 }, have: Pieces(2));
        manager.AddPeer(new PeerKey("A"), Pieces(0, 1, 2));

        manager.Suggest(new PeerKey("A"), 3); // it lacks it
        manager.Suggest(new PeerKey("A"), 2); // we have it

        Assert.Equal([new(0, 0, Block), new(0, Block, Block)], Fill(manager, new PeerKey("A")));
    }

    [Fact]
    public void APeerThatAloneHasPiecesWeLack_IsAskedOnlyForThose_NotForWhatOthersHaveToo()
    {
        // A is a seed; B has pieces 0 and 1. What we take from A of pieces 0 and 1 is upload A cannot give to 2 and 3,
        // which nobody else has (a lone seed before its first copy is out).
        var manager = Manager(new PieceManagerOptions { Picker = new RarestFirstPicker(randomFirstPieces: 0) });
        manager.AddPeer(new PeerKey("A"), Seeder);
        manager.AddPeer(new PeerKey("B"), Pieces(0, 1));

        var fromA = Fill(manager, new PeerKey("A"));

        Assert.Equal([2, 3], fromA.Select(r => r.Index).Distinct().Order());
        Assert.Equal([0, 1], Fill(manager, new PeerKey("B")).Select(r => r.Index).Distinct().Order());
    }
}
