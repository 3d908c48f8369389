using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 16's decisions without a network: which piece each peer is told about, and when the next.</summary>
public class SuperSeederTests
{
    private static int Only(IReadOnlyList<SuperSeeder.Offer> offers, object peer)
    {
        var mine = offers.Where(o => Equals(o.Peer, peer)).ToList();
        Assert.Single(mine);
        return mine[0].Piece;
    }

    [Fact]
    public void AddPeer_EachNewPeerIsOfferedAPieceNoOtherPeerHasOrWasOffered()
    {
        var seeder = new SuperSeeder(pieceCount: 8);
        seeder.PeerHad("c", Bitfield.Full(8)); // unknown to it yet: ignored

        var offered = new[] { "a", "b", "c", "d" }.Select(p => Only(seeder.AddPeer(p), p)).ToList();

        Assert.Equal(offered.Count, offered.Distinct().Count());
    }

    [Fact]
    public void ALoneDownloader_IsToldTheLastPieceTogetherWithTheOneBefore_NeverAfterFinishingEveryOtherPiece()
    {
        // A peer that finished every piece we announced, then hears the have that makes us a seed, is not interested
        // at that moment; libtorrent 2.0.8 then closes the connection one piece short (see OfferLastEarlyLocked).
        const int pieces = 8;
        var seeder = new SuperSeeder(pieceCount: pieces);
        var told = new List<int>();
        var batches = new List<IReadOnlyList<SuperSeeder.Offer>> { seeder.AddPeer("a") };
        for (var round = 0; round < pieces && told.Count < pieces; round++)
        {
            var batch = batches[^1];
            Assert.NotEmpty(batch);
            told.AddRange(batch.Select(o => o.Piece));
            var missingBeforeTheseHaves = pieces - (told.Count - batch.Count);
            Assert.True(told.Count < pieces || missingBeforeTheseHaves >= 2,
                $"the have completing our announcements came alone, to a peer that lacked only that piece ({string.Join(",", told)})");
            IReadOnlyList<SuperSeeder.Offer> next = [];
            foreach (var offer in batch) next = [.. next, .. seeder.PeerHas("a", offer.Piece)]; // it finished each
            batches.Add(next);
        }

        Assert.Equal(Enumerable.Range(0, pieces), told.Order());
        Assert.Equal(2, batches.Single(b => b.Any(o => o.Piece == told[^1])).Count);
        Assert.All(Enumerable.Range(0, pieces), i => Assert.True(seeder.WasOffered("a", i)));
        Assert.Empty(seeder.Tick()); // nothing is told twice
    }

    [Fact]
    public void AddPeer_PrefersAPieceNobodyHasOverOneAnotherPeerHolds()
    {
        var seeder = new SuperSeeder(pieceCount: 3);
        var a = Only(seeder.AddPeer("a"), "a");
        var held = new Bitfield(3);
        held.Set((a + 1) % 3); // "a" had a piece of its own when it connected
        seeder.PeerHad("a", held);

        var b = Only(seeder.AddPeer("b"), "b");

        Assert.Equal((a + 2) % 3, b); // the one piece neither held by "a" nor offered to it
    }

    [Fact]
    public void PeerHas_ItsOwnPieceFinished_RevealsNothingUntilAnotherPeerHasIt()
    {
        var seeder = new SuperSeeder(pieceCount: 8);
        var a = Only(seeder.AddPeer("a"), "a");
        var b = Only(seeder.AddPeer("b"), "b");

        var afterFinishing = seeder.PeerHas("a", a);
        Assert.Empty(afterFinishing);
        Assert.Equal((int?)a, seeder.PendingFor("a"));

        var afterSpreading = seeder.PeerHas("b", a); // "b" fetched it from "a" and announced it

        var next = Only(afterSpreading, "a");
        Assert.NotEqual(a, next);
        Assert.NotEqual(b, next);
        Assert.DoesNotContain(afterSpreading, o => Equals(o.Peer, "b")); // "b" has not finished its own piece
    }

    [Fact]
    public void PeerHas_AnotherPeerHasThePieceBeforeTheOfferedPeerFinishes_WaitsForTheFinish()
    {
        var seeder = new SuperSeeder(pieceCount: 8);
        var a = Only(seeder.AddPeer("a"), "a");
        seeder.AddPeer("b");

        Assert.Empty(seeder.PeerHas("b", a)); // present elsewhere, but "a" has not downloaded it
        Assert.Equal((int?)a, seeder.PendingFor("a"));
        Assert.NotEqual(a, Only(seeder.PeerHas("a", a), "a"));
    }

    [Fact]
    public void PeerHas_ALonePeer_GetsItsNextPieceOnFinishing()
    {
        // Departure from the letter of BEP 16 (see SuperSeeder's remarks): with nobody to spread to, it would wait forever.
        var seeder = new SuperSeeder(pieceCount: 4);
        var a = Only(seeder.AddPeer("a"), "a");

        Assert.NotEqual(a, Only(seeder.PeerHas("a", a), "a"));
    }

    [Fact]
    public void RemovePeer_TheOnlyOtherPeerLeaves_FreesThePeerWaitingForItsPieceToSpread()
    {
        var seeder = new SuperSeeder(pieceCount: 3);
        var a = Only(seeder.AddPeer("a"), "a");
        var b = Only(seeder.AddPeer("b"), "b");
        Assert.Empty(seeder.PeerHas("a", a));

        var offers = seeder.RemovePeer("b");

        // The two pieces it lacks, one of them what "b" left unfinished: revealed together, being its last two.
        Assert.Equal(Enumerable.Range(0, 3).Except([a]).Order(), offers.Where(o => Equals(o.Peer, "a")).Select(o => o.Piece).Order());
        Assert.Contains(offers, o => Equals(o.Peer, "a") && o.Piece == b);
    }

    [Fact]
    public void PeerHad_APieceItHeldAlready_IsReplacedByAnotherOffer()
    {
        var seeder = new SuperSeeder(pieceCount: 4);
        var a = Only(seeder.AddPeer("a"), "a");
        var had = new Bitfield(4);
        had.Set(a);

        var next = Only(seeder.PeerHad("a", had), "a");

        Assert.NotEqual(a, next);
        Assert.Equal((int?)next, seeder.PendingFor("a"));
    }

    [Fact]
    public void WasOffered_OnlyForPiecesRevealedToThatPeer()
    {
        var seeder = new SuperSeeder(pieceCount: 4);
        var a = Only(seeder.AddPeer("a"), "a");
        var b = Only(seeder.AddPeer("b"), "b");

        Assert.True(seeder.WasOffered("a", a));
        Assert.False(seeder.WasOffered("a", b));
        Assert.False(seeder.WasOffered("stranger", a));
    }

    [Fact]
    public void PeerHas_EveryPieceEverywhere_OffersNothingMore()
    {
        var seeder = new SuperSeeder(pieceCount: 2);
        seeder.AddPeer("a");
        seeder.AddPeer("b");
        var offers = new List<SuperSeeder.Offer>();
        foreach (var p in new[] { "a", "b" })
            for (var i = 0; i < 2; i++) offers.AddRange(seeder.PeerHas(p, i));

        Assert.Null(seeder.PendingFor("a"));
        Assert.Null(seeder.PendingFor("b"));
    }

    [Fact]
    public void AHoarderThatNeverAnnounces_LosesRevealsButDoesNotStallAnotherPeer()
    {
        var clock = new TorrentLab.Tests.Infrastructure.ManualClock();
        var seeder = new SuperSeeder(pieceCount: 8, clock);
        var hoarded = Only(seeder.AddPeer("hoarder"), "hoarder");
        var piece = Only(seeder.AddPeer("honest"), "honest");

        // The honest peer finishes its piece; the hoarder, which took its own, says nothing.
        Assert.Empty(seeder.PeerHas("honest", piece));
        clock.Advance(SuperSeeder.StaleAfter);
        var got = new HashSet<int> { piece };
        piece = Only(seeder.Tick(), "honest"); // the hoarder no longer counts among those a piece must reach

        // From now on each piece the honest peer finishes frees its next one at once (its last two come together),
        // until it has them all.
        var pending = new Queue<int>([piece]);
        for (var i = 0; i < 8 && pending.TryDequeue(out piece); i++)
        {
            got.Add(piece);
            var offers = seeder.PeerHas("honest", piece);
            Assert.DoesNotContain(offers, o => Equals(o.Peer, "hoarder"));
            foreach (var offer in offers) pending.Enqueue(offer.Piece);
        }
        Assert.Equal(8, got.Count);
        Assert.Empty(pending);
        Assert.Equal((int?)hoarded, seeder.PendingFor("hoarder")); // never a second reveal
    }

    [Fact]
    public void APieceAnnouncedLongAgo_CountsAsSpread_WhateverTheOthersDo()
    {
        var clock = new TorrentLab.Tests.Infrastructure.ManualClock();
        var seeder = new SuperSeeder(pieceCount: 8, clock);
        var a = Only(seeder.AddPeer("a"), "a");
        Only(seeder.AddPeer("b"), "b");
        Assert.Empty(seeder.PeerHas("a", a));

        clock.Advance(SuperSeeder.StaleAfter - TimeSpan.FromSeconds(1));
        Assert.Empty(seeder.Tick()); // "b" is still within its time: "a" waits for it
        clock.Advance(SuperSeeder.SpreadWait);
        Assert.Contains(seeder.Tick(), o => Equals(o.Peer, "a"));
    }
}
