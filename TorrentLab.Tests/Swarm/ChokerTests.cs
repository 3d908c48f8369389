using TorrentLab.Tests.Infrastructure;
using TorrentLab.Swarm;

namespace TorrentLab.Tests.Swarm;

public class ChokerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LongAgo = Start - TimeSpan.FromHours(1);

    private static ChokeCandidate Peer(string key, double toUs, double fromUs = 0, bool interested = true, DateTimeOffset? connected = null,
        bool deferred = false, int held = 0) =>
        new(key, toUs, fromUs, interested, connected ?? LongAgo, deferred, held);

    [Fact]
    public void Decide_Downloading_UnchokesTheThreeFastestInterestedUploadersPlusOneOptimistic()
    {
        var choker = new Choker(3, new ManualClock(Start), new Random(1));
        var peers = new[] { Peer("a", 10), Peer("b", 50), Peer("c", 40), Peer("d", 30), Peer("e", 20) };

        var unchoked = choker.Decide(peers, seeding: false);

        Assert.Contains("b", unchoked);
        Assert.Contains("c", unchoked);
        Assert.Contains("d", unchoked);
        Assert.Equal(4, unchoked.Count);
        Assert.Contains(choker.Optimistic, new object[] { "a", "e" });
    }

    [Fact]
    public void Decide_Seeding_RanksByOurUploadRateNotTheirs()
    {
        var choker = new Choker(1, new ManualClock(Start), new Random(1));
        var peers = new[] { Peer("gives-us-much", toUs: 100, fromUs: 1), Peer("takes-fast", toUs: 0, fromUs: 90) };

        var unchoked = choker.Decide(peers, seeding: true);

        Assert.Equal("gives-us-much", choker.Optimistic);
        Assert.Contains("takes-fast", unchoked);
    }

    [Fact]
    public void Decide_UninterestedPeerFasterThanSlowestRegular_StaysUnchokedWithoutTakingASlot()
    {
        var choker = new Choker(2, new ManualClock(Start), new Random(1));
        var peers = new[] { Peer("fast-idle", 100, interested: false), Peer("x", 50), Peer("y", 40), Peer("z", 10) };

        var unchoked = choker.Decide(peers, seeding: false);

        Assert.Contains("fast-idle", unchoked);
        Assert.Contains("x", unchoked);
        Assert.Contains("y", unchoked);
        Assert.Equal("z", choker.Optimistic); // the only interested peer left
    }

    [Fact]
    public void Decide_OptimisticSlot_KeptForThirtySecondsThenRotated()
    {
        var time = new ManualClock(Start);
        var choker = new Choker(0, time, new Random(7));
        var peers = Enumerable.Range(0, 10).Select(i => Peer($"p{i}", 0)).ToArray();

        var first = choker.Decide(peers, seeding: false).Single();
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(first, choker.Decide(peers, seeding: false).Single());

        var seen = new HashSet<object> { first };
        for (var round = 0; round < 20; round++)
        {
            time.Advance(Choker.OptimisticInterval);
            seen.Add(choker.Decide(peers, seeding: false).Single());
        }
        Assert.True(seen.Count > 1, "the optimistic unchoke never rotated");
    }

    [Fact]
    public void Decide_OptimisticDraw_FavoursNewcomersAboutThreeToOne()
    {
        var time = new ManualClock(Start);
        var choker = new Choker(0, time, new Random(42));
        // The newcomer holds more: the turns of the peer furthest behind all go to "old", the draws about 3:1 to "new".
        var peers = new[] { Peer("old", 0), Peer("new", 0, connected: Start, held: 5) };
        var behindTurns = new Dictionary<object, int> { ["old"] = 0, ["new"] = 0 };
        var draws = new Dictionary<object, int> { ["old"] = 0, ["new"] = 0 };

        for (var round = 0; round < 8000; round++)
        {
            (round % 2 == 0 ? behindTurns : draws)[choker.Decide(peers, seeding: false).Single()]++;
            time.Advance(Choker.OptimisticInterval);
            peers[1] = peers[1] with { ConnectedAt = time.GetUtcNow() }; // stays a newcomer
        }

        Assert.Equal(4000, behindTurns["old"]);
        var ratio = (double)draws["new"] / draws["old"];
        Assert.InRange(ratio, 2.5, 3.5);
    }

    [Fact]
    public void Decide_EveryOtherRotation_TheOptimisticSlotGoesToTheWaitingPeerFurthestBehind()
    {
        // Tit-for-tat keeps the fast uploaders; the optimistic slot's turns reach the peer that has the fewest pieces
        // among those that wait (interested, choked, not deferred), whatever its rate: a draw among many would reach it
        // about once in as many rotations.
        var time = new ManualClock(Start);
        var choker = new Choker(1, time, new Random(3));
        var peers = new[]
        {
            Peer("fast", 90, held: 10), Peer("a", 5, held: 40), Peer("b", 4, held: 30), Peer("c", 3, held: 35),
            Peer("idle", 0, interested: false, held: 0), Peer("ignored-before", 0, deferred: true, held: 1), Peer("d", 2, held: 12),
        };
        var behind = new List<object>();
        var drawn = new HashSet<object>();

        for (var round = 0; round < 40; round++)
        {
            var unchoked = choker.Decide(peers, seeding: false);
            Assert.Contains("fast", unchoked); // the regular slot is the rate's
            if (round % 2 == 0) behind.Add(choker.Optimistic!);
            else drawn.Add(choker.Optimistic!);
            time.Advance(Choker.OptimisticInterval);
        }

        Assert.All(behind, p => Assert.Equal("d", p)); // 12 pieces: the fewest of a, b, c, d
        Assert.True(drawn.Count > 1, $"the other turns are drawn: {string.Join(", ", drawn)}");
        Assert.DoesNotContain("idle", drawn);
        Assert.DoesNotContain("ignored-before", drawn);
    }

    [Fact]
    public void Decide_Seeding_TheOptimisticSlotIsAlwaysDrawn()
    {
        // A seed's upload should go to peers that pass it on: it has no turns for the peer furthest behind.
        var time = new ManualClock(Start);
        var choker = new Choker(0, time, new Random(3));
        var peers = new[] { Peer("behind", 0, held: 1), Peer("b", 0, held: 50), Peer("c", 0, held: 60) };
        var turnsOfBehind = new HashSet<object>();

        for (var round = 0; round < 40; round += 2)
        {
            turnsOfBehind.Add(choker.Decide(peers, seeding: true).Single());
            time.Advance(Choker.OptimisticInterval);
            choker.Decide(peers, seeding: true);
            time.Advance(Choker.OptimisticInterval);
        }

        Assert.True(turnsOfBehind.Count > 1, $"the rotations a downloader gives the peer furthest behind went to: {string.Join(", ", turnsOfBehind)}");
    }

    [Fact]
    public void Decide_NobodyInterested_UnchokesNoOne()
    {
        var choker = new Choker(3, new ManualClock(Start), new Random(1));
        var unchoked = choker.Decide([Peer("a", 0, interested: false), Peer("b", 0, interested: false)], seeding: true);
        Assert.Empty(unchoked);
        Assert.Null(choker.Optimistic);
    }

    [Fact]
    public void Decide_OptimisticPeerLosesInterest_TheSlotGoesToAWaitingPeerBeforeThirtySeconds()
    {
        var clock = new ManualClock(Start);
        var choker = new Choker(1, clock, new Random(1));
        choker.Decide([Peer("fast", 50), Peer("x", 0)], seeding: false);
        Assert.Equal("x", choker.Optimistic);

        clock.Advance(TimeSpan.FromSeconds(10)); // a third of the optimistic rotation
        var unchoked = choker.Decide([Peer("fast", 50), Peer("x", 0, interested: false), Peer("y", 0)], seeding: false);

        Assert.Equal("y", choker.Optimistic);
        Assert.Contains("y", unchoked);
    }

    [Fact]
    public void Decide_DeferredPeer_ComesAfterEveryOtherInterestedPeer_ForTheRegularSlotsAndTheOptimisticOne()
    {
        // A peer that ignored its last unchoke is faster than the others (its old rate) but waits behind them.
        var choker = new Choker(2, new ManualClock(Start), new Random(1));
        var peers = new[] { Peer("ignored-before", 90, deferred: true), Peer("x", 50), Peer("y", 40), Peer("z", 10) };

        var unchoked = choker.Decide(peers, seeding: false);

        Assert.Equal(["x", "y", "z"], unchoked.Order());
        Assert.Equal("z", choker.Optimistic);
    }

    [Fact]
    public void Decide_DeferredPeer_TakesASlotNobodyElseWants()
    {
        // Choked for asking nothing, it cannot send the request that would clear the mark: a free slot is its way back.
        var choker = new Choker(3, new ManualClock(Start), new Random(1));

        var unchoked = choker.Decide([Peer("ignored-before", 0, deferred: true), Peer("idle", 0, interested: false)], seeding: true);

        Assert.Equal(["ignored-before"], unchoked);
    }

    [Fact]
    public void Decide_OnlyDeferredPeersWaiting_TheOptimisticSlotGoesToOneOfThem()
    {
        var choker = new Choker(1, new ManualClock(Start), new Random(1));

        var unchoked = choker.Decide([Peer("x", 50), Peer("d1", 0, deferred: true), Peer("d2", 0, deferred: true)], seeding: false);

        Assert.Contains("x", unchoked);
        Assert.Contains(choker.Optimistic, new object[] { "d1", "d2" });
        Assert.Equal(2, unchoked.Count);
    }

    [Fact]
    public void Decide_DeferredPeerInTheOptimisticSlot_LeavesItAsSoonAsAnotherPeerWaits()
    {
        var clock = new ManualClock(Start);
        var choker = new Choker(0, clock, new Random(1));
        Assert.Equal(["deferred"], choker.Decide([Peer("deferred", 0, deferred: true)], seeding: true));

        clock.Advance(TimeSpan.FromSeconds(1)); // far from the 30 s rotation
        var unchoked = choker.Decide([Peer("deferred", 0, deferred: true), Peer("newcomer", 0)], seeding: true);

        Assert.Equal(["newcomer"], unchoked);
        Assert.Equal("newcomer", choker.Optimistic);
    }
}
