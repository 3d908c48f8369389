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

    /// <summary>Plays a crowd: each offer is fetched from the seed (the peer announces it), then the first peer that was
    /// told nothing of it fetches it from that peer and announces it too. Returns how often each piece was revealed.</summary>
    private static int[] PlayCrowd(SuperSeeder seeder, string[] peers, int pieces)
    {
        var revealed = new int[pieces];
        var has = peers.ToDictionary(p => p, _ => new HashSet<int>());
        var queue = new Queue<SuperSeeder.Offer>();
        foreach (var peer in peers)
            foreach (var offer in seeder.AddPeer(peer)) queue.Enqueue(offer);
        for (var step = 0; step < 10 * pieces * peers.Length && queue.TryDequeue(out var offer); step++)
        {
            var carrier = (string)offer.Peer;
            revealed[offer.Piece]++;
            if (!has[carrier].Add(offer.Piece)) continue;
            foreach (var next in seeder.PeerHas(carrier, offer.Piece)) queue.Enqueue(next);
            var other = peers.FirstOrDefault(p => !has[p].Contains(offer.Piece) && !seeder.WasOffered(p, offer.Piece));
            if (other is null) continue;
            has[other].Add(offer.Piece);
            foreach (var next in seeder.PeerHas(other, offer.Piece)) queue.Enqueue(next);
        }
        return revealed;
    }

    [Fact]
    public void ACrowdLargerThanThePieceCount_IsToldEachPieceOnce_NotOnePiecePerPeer()
    {
        const int pieces = 6;
        var seeder = new SuperSeeder(pieces);
        var peers = Enumerable.Range(0, 20).Select(i => $"p{i}").ToArray();

        var revealed = PlayCrowd(seeder, peers, pieces);

        // Every piece went out once, through a peer that passed it on; most peers were told nothing.
        Assert.All(revealed, count => Assert.Equal(1, count));
        Assert.InRange(peers.Count(p => Enumerable.Range(0, pieces).Any(i => seeder.WasOffered(p, i))), 1, pieces);
    }

    [Fact]
    public void AtMostInFlightPiecesAreUnderWay_AndTheFirstPeerToPassItsPieceOn_GetsTheNext()
    {
        const int pieces = 4 * SuperSeeder.InFlight;
        var seeder = new SuperSeeder(pieces);
        var peers = Enumerable.Range(0, 3 * SuperSeeder.InFlight).Select(i => $"p{i}").ToArray();
        var offers = peers.SelectMany(seeder.AddPeer).ToList();
        Assert.Equal(SuperSeeder.InFlight, offers.Count);
        Assert.Equal(SuperSeeder.InFlight, offers.Select(o => o.Piece).Distinct().Count());
        var elsewhere = new Bitfield(pieces);
        elsewhere.Set(pieces - 1);
        // A piece one peer got elsewhere: the peers told nothing lack five, so the crowd does not keep up and a fetched
        // piece holds its place until it spreads (AFetchedPiece_FreesItsPlaceForANewReveal_UnlessAPeerLagsFarBehind).
        Assert.Empty(seeder.PeerHad(peers[^2], elsewhere));

        // The last of them to be told fetches its piece and a peer told nothing gets it from it: it spread, and of the
        // free peers, the one that passed a piece on goes first.
        var (carrier, piece) = offers[^1];
        Assert.Empty(seeder.PeerHas(carrier, piece));
        var next = seeder.PeerHas(peers[^1], piece);

        Assert.Equal(carrier, Assert.Single(next).Peer);
        Assert.DoesNotContain(next[0].Piece, offers.Select(o => o.Piece));
    }

    [Fact]
    public void APieceNotPassedOn_IsRevealedToAnotherPeer_OnlyAfterPassOnWait()
    {
        var clock = new TorrentLab.Tests.Infrastructure.ManualClock();
        var seeder = new SuperSeeder(pieceCount: 3, clock);
        var first = Only(seeder.AddPeer("a"), "a");
        var second = Only(seeder.AddPeer("b"), "b");
        var third = Only(seeder.AddPeer("c"), "c");
        Assert.Empty(seeder.AddPeer("d")); // every piece is under way: "d" gets its pieces from the others
        Assert.Empty(seeder.PeerHas("b", second));
        Assert.Empty(seeder.PeerHas("d", second)); // "b" passed its piece on, and "c" its own: never revealed again
        Assert.Empty(seeder.PeerHas("c", third));
        Assert.Empty(seeder.PeerHas("b", third));
        Assert.Empty(seeder.PeerHas("a", first));  // "a" finished its piece and gives it to nobody
        clock.Advance(SuperSeeder.PassOnWait - TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(seeder.Tick(), o => o.Piece == first);
        clock.Advance(TimeSpan.FromSeconds(1));
        var again = seeder.Tick().Where(o => o.Piece == first).ToList();

        Assert.NotEqual("a", Assert.Single(again).Peer);
        Assert.Empty(seeder.Tick()); // once: it is under way again
    }

    [Theory]
    [InlineData(false)] // every peer is near what the crowd was given: only pieces still coming from us hold a place
    [InlineData(true)]  // a peer with none of it lags far behind: a fetched piece holds its place until it spreads
    public void AFetchedPiece_FreesItsPlaceForANewReveal_UnlessAPeerLagsFarBehind(bool laggard)
    {
        const int pieces = 16;
        var clock = new TorrentLab.Tests.Infrastructure.ManualClock();
        var seeder = new SuperSeeder(pieces, clock);
        var half = new Bitfield(pieces);
        for (var i = pieces / 2; i < pieces; i++) half.Set(i);
        string[] told = ["a", "b", "c", "d"];
        var first = told.ToDictionary(p => p, p => Only(seeder.AddPeer(p), p)); // InFlight reveals, one each
        foreach (var peer in told) Assert.Empty(seeder.PeerHad(peer, half));
        Assert.Empty(seeder.AddPeer("e")); // every place is taken
        Assert.Empty(seeder.PeerHad("e", half));
        if (laggard) Assert.Empty(seeder.AddPeer("f"));
        clock.Advance(TimeSpan.FromSeconds(1));

        var offers = seeder.PeerHas("a", first["a"]); // fetched from us, not yet passed on

        if (laggard) Assert.Empty(offers);
        else Assert.DoesNotContain(first.Values, piece => piece == Only(offers, "e"));
        Assert.Equal((int?)first["a"], seeder.PendingFor("a")); // "a" itself waits for its piece to spread
    }
}
