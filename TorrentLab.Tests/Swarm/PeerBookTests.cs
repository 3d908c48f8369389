using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

public class PeerBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static IPEndPoint At(int port) => new(IPAddress.Loopback, port);

    [Fact]
    public void Add_AddressesThatCanNeverBePeers_AreRefusedAndNeverDialled()
    {
        var book = new PeerBook();
        var added = book.Add([IPEndPoint.Parse("0.0.0.0:6881"), IPEndPoint.Parse("255.255.255.255:6881"), IPEndPoint.Parse("224.0.0.1:6881"),
            IPEndPoint.Parse("169.254.1.1:6881"), IPEndPoint.Parse("[fe80::1]:6881"), At(7)]);

        Assert.Equal(1, added);
        Assert.Equal(5, book.Refused);
        Assert.Equal(At(7), book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
    }

    [Fact]
    public void Add_AddressesInTheBlocklist_AreRefusedFromEverySource_AndOneBlockedOnceAdded_IsNeverTaken()
    {
        var blocklist = new IpBlocklist();
        blocklist.Load(new MemoryStream("five:127.0.0.5-127.0.0.5\n"u8.ToArray()));
        var book = new PeerBook(PeerScope.Any, blocklist);
        var five = IPEndPoint.Parse("127.0.0.5:6881");
        var six = IPEndPoint.Parse("127.0.0.6:6881");
        var seven = IPEndPoint.Parse("127.0.0.7:6881");

        foreach (var source in Enum.GetValues<PeerSource>()) Assert.Equal(0, book.Add([five], source));
        Assert.Equal(2, book.Add([six, seven], PeerSource.Tracker));
        Assert.False(book.TakeNow(five, PeerSource.Pex)); // a BEP 55 connect to it too
        // A list loaded while the torrent runs: 127.0.0.6 was added before it blocked it.
        blocklist.Load(new MemoryStream("five and six:127.0.0.5-127.0.0.6\n"u8.ToArray()));

        Assert.Equal(seven, book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
        Assert.Null(book.NextTry()); // nothing left to wake the dialler for
        Assert.Equal(Enum.GetValues<PeerSource>().Length + 1, book.Refused); // each source's add and the connect's
    }

    [Fact]
    public void OnRefused_HearsEachRefusalOnce_AndEveryAddressABlocklistLoadedLaterCaughtInOneTake()
    {
        var blocklist = new IpBlocklist();
        blocklist.Load(new MemoryStream("five:127.0.0.5-127.0.0.5\n"u8.ToArray()));
        var heard = new List<(IPEndPoint, bool Blocked)>();
        var book = new PeerBook(PeerScope.Any, blocklist) { OnRefused = (e, b) => heard.Add((e, b)) };
        var five = IPEndPoint.Parse("127.0.0.5:6881");
        var six = IPEndPoint.Parse("127.0.0.6:6881");
        var seven = IPEndPoint.Parse("127.0.0.7:6881");
        var eight = IPEndPoint.Parse("127.0.0.8:6881");
        var broadcast = IPEndPoint.Parse("255.255.255.255:6881");

        book.Add([five, broadcast, six, seven, eight], PeerSource.Tracker);
        blocklist.Load(new MemoryStream("five to seven:127.0.0.5-127.0.0.7\n"u8.ToArray())); // six and seven were in the book

        Assert.Equal(eight, book.TakeNext(Now));
        Assert.Equal([(five, true), (broadcast, false), (six, true), (seven, true)], heard);
    }

    [Fact]
    public void TakeNext_OnceOurAddressIsKnown_DialsTheHighestBep40PriorityFirst()
    {
        var book = new PeerBook();
        IPEndPoint[] peers = [IPEndPoint.Parse("10.1.2.3:6881"), IPEndPoint.Parse("10.200.7.9:6881"), IPEndPoint.Parse("192.0.2.5:6881"),
            IPEndPoint.Parse("10.1.9.9:51413"), IPEndPoint.Parse("198.51.100.77:6881")];
        book.Add(peers);
        Assert.Equal(peers[0], book.TakeNext(Now)); // our address unknown: the order they came in
        book.Release(peers[0], failed: false, Now - TimeSpan.FromMinutes(1));

        book.Self = IPEndPoint.Parse("10.1.2.200:6881");
        var order = new List<IPEndPoint>();
        while (book.TakeNext(Now) is { } next) order.Add(next);

        Assert.Equal(peers.OrderByDescending(p => PeerPriority.Of(book.Self, p)), order);
        Assert.NotEqual(peers, order); // these five are not already in that order
    }

    [Fact]
    public void TakeNextAndNextTry_ThroughDialsReleasesRetiresAndNewAddressesOfOurs_AgreeWithAWalkOfEveryAddress()
    {
        // The book keeps its addresses sorted; what it gives must be what the rule says, read off every address each
        // time: of those neither busy, retired nor backing off, the highest BEP 40 priority, then the first to come.
        var random = new Random(84);
        var book = new PeerBook();
        var model = new List<Known>();
        IPEndPoint? self = null;
        var time = Now;
        IPEndPoint Any() => new(IPAddress.Parse($"10.{random.Next(3)}.{random.Next(4)}.{1 + random.Next(5)}"), 6881 + random.Next(2));
        Known? Find(IPEndPoint at) => model.Find(e => e.At.Equals(at));

        for (var step = 0; step < 5000; step++)
        {
            switch (random.Next(10))
            {
                case 0 or 1:
                    var added = Any();
                    if (book.Add([added]) == 1) model.Add(new Known(added));
                    break;
                case 2 or 3 or 4:
                    var due = model.Where(e => !e.Busy && !e.Retired && e.NextTry <= time).Select(e => e.At).ToList();
                    var expected = self is null ? due.FirstOrDefault() : due.OrderByDescending(at => PeerPriority.Of(self, at)).FirstOrDefault();
                    Assert.Equal(expected, book.TakeNext(time));
                    if (expected is not null) Find(expected)!.Busy = true;
                    break;
                case 5 or 6 when model.FindAll(e => e.Busy) is { Count: > 0 } busy:
                    var released = busy[random.Next(busy.Count)];
                    var failed = random.Next(2) == 0;
                    book.Release(released.At, failed, time);
                    released.Busy = false;
                    released.Failures = failed ? released.Failures + 1 : 0;
                    released.NextTry = time + TimeSpan.FromSeconds(2 << Math.Min(released.Failures, PeerBook.MaxFailures)); // 2 s, doubled
                    break;
                case 7:
                    time += TimeSpan.FromSeconds(random.Next(-3, 20)); // now and then a clock that goes back
                    break;
                case 8 when random.Next(4) == 0:
                    var retired = Any();
                    book.Retire(retired);
                    if (Find(retired) is { } known) (known.Busy, known.Retired) = (false, true);
                    else model.Add(new Known(retired) { Retired = true }); // kept, so adding it later adds nothing
                    break;
                case 9 when random.Next(3) == 0:
                    self = random.Next(4) == 0 ? null : Any();
                    book.Self = self;
                    break;
            }
            Assert.Equal(model.Where(e => !e.Busy && !e.Retired).Select(e => (DateTimeOffset?)e.NextTry).Min(), book.NextTry());
            Assert.Equal(model.Any(e => !e.Busy && !e.Retired), book.HasCandidates);
        }
    }

    /// <summary>An address as the rule of <see cref="PeerBook"/> reads it.</summary>
    private sealed class Known(IPEndPoint at)
    {
        public readonly IPEndPoint At = at;
        public bool Busy, Retired;
        public int Failures;
        public DateTimeOffset NextTry;
    }

    [Fact]
    public void OnAddressReported_TakesOurAddressOnlyWhenTwoPeersFromTwoAddressesAgree()
    {
        var book = new PeerBook();
        var ours = IPAddress.Parse("203.0.113.7");

        book.OnAddressReported(IPAddress.Parse("198.51.100.1"), ours, 6881);
        book.OnAddressReported(IPAddress.Parse("198.51.100.1"), ours, 6881); // the same peer again proves nothing
        Assert.Null(book.Self);
        book.OnAddressReported(IPAddress.Parse("198.51.100.2"), IPAddress.Parse("203.0.113.99"), 6881); // another says otherwise
        Assert.Null(book.Self);

        book.OnAddressReported(IPAddress.Parse("198.51.100.3"), IPAddress.Parse("203.0.113.99"), 6881);
        Assert.Equal(IPEndPoint.Parse("203.0.113.99:6881"), book.Self);
    }

    [Fact]
    public void Add_CountsOnlyNewAddresses_ForTheSourceThatGaveThemFirst()
    {
        var book = new PeerBook();

        book.Add([At(1), At(2)], PeerSource.Tracker);
        book.Add([At(2), At(3)], PeerSource.Dht);        // At(2) is the tracker's already
        book.Add([At(3), At(4), At(5)], PeerSource.Pex);  // At(3) is the DHT's already
        book.Add([At(6)]);                                // given by the caller

        Assert.Equal(new PeerSources(Given: 1, Tracker: 2, Pex: 2, Dht: 1), book.Sources);
        Assert.Equal("peers from: tracker 2, dht 1, pex 2, lsd 0, given 1", book.Sources.ToString());
    }

    [Fact]
    public void Add_LoopbackScope_RefusesEveryOtherAddress()
    {
        var book = new PeerBook(PeerScope.Loopback);
        Assert.Equal(1, book.Add([IPEndPoint.Parse("192.168.1.5:6881"), IPEndPoint.Parse("8.8.8.8:6881"), At(7)]));
    }

    [Fact]
    public void TakeNext_GivesEachAddressOnceUntilReleased()
    {
        var book = new PeerBook();
        book.Add([At(1), At(2), At(1)]);

        Assert.Equal(At(1), book.TakeNext(Now));
        Assert.Equal(At(2), book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
    }

    [Fact]
    public void Release_AfterFailuresOrRefusals_BacksOffUpToTheCapAndNeverForgetsTheAddress()
    {
        var book = new PeerBook();
        book.Add([At(1)]);
        var time = Now;
        for (var i = 0; i < PeerBook.MaxFailures * 3; i++)
        {
            Assert.Equal(At(1), book.TakeNext(time));
            book.Release(At(1), failed: true, time);   // refused ("already 50 peers") or dropped without data
            Assert.Null(book.TakeNext(time));          // backing off
            if (i >= PeerBook.MaxFailures) Assert.Null(book.TakeNext(time + PeerBook.MaxBackoff - TimeSpan.FromSeconds(1)));   // at the cap
            time += PeerBook.MaxBackoff;
        }

        Assert.True(book.HasCandidates);
        Assert.Equal(At(1), book.TakeNext(time));      // still tried: a full peer may take us later
    }

    [Fact]
    public void Ban_RemovesTheAddressAndRefusesItAndItsIdLater()
    {
        var book = new PeerBook();
        var id = PeerId.CreateOurs();
        book.Add([At(1)]);

        book.Ban(At(1), id);
        book.Add([At(1)]);

        Assert.Null(book.TakeNext(Now));
        Assert.True(book.IsBanned(At(1)));
        Assert.True(book.IsBanned(id));
    }

    [Fact]
    public void AddSelf_OurOwnAddressIsNeverDialled()
    {
        var book = new PeerBook();
        book.AddSelf(At(6881));

        book.Add([At(6881), At(2)]);

        Assert.Equal(At(2), book.TakeNext(Now));
        Assert.Null(book.TakeNext(Now));
    }

    [Fact]
    public void Retire_ASeedMetWhileSeeding_IsNeverDialledAgain()
    {
        var book = new PeerBook();
        book.Add([At(7)]);
        Assert.Equal(At(7), book.TakeNext(Now));

        book.Retire(At(7));

        Assert.Null(book.TakeNext(Now + TimeSpan.FromDays(1)));
        Assert.False(book.HasCandidates);
    }

    [Fact]
    public void NextTry_ARetiredSeed_IsNoReasonToWake()
    {
        var book = new PeerBook();
        book.Add([At(7)]);
        Assert.Equal(At(7), book.TakeNext(Now));

        book.Retire(At(7));

        // A dialler sleeps until NextTry: a time for an address it will never take would wake it again and again.
        Assert.Null(book.NextTry());
    }

    [Fact]
    public void NextTry_AnAddressAtTheBackOffCap_IsStillDueAfterTheCap()
    {
        var book = new PeerBook();
        book.Add([At(1)]);
        var time = Now;
        for (var i = 0; i <= PeerBook.MaxFailures; i++)
        {
            Assert.Equal(At(1), book.TakeNext(time));
            book.Release(At(1), failed: true, time);
            time += PeerBook.MaxBackoff;
        }

        // Tried again after the cap (TakeNext gives it), so the dialler must be told when.
        Assert.Equal(time, book.NextTry());
    }

    [Fact]
    public void Release_WithRetryAfter_WaitsAtLeastThatLongWithoutCountingAFailure()
    {
        var book = new PeerBook();
        book.Add([At(7)]);
        book.TakeNext(Now);

        book.Release(At(7), failed: false, Now, TimeSpan.FromSeconds(60));

        Assert.Null(book.TakeNext(Now + TimeSpan.FromSeconds(59)));
        Assert.Equal(At(7), book.TakeNext(Now + TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void Add_IPv6LoopbackPeer_IsDialled()
    {
        var book = new PeerBook(PeerScope.Loopback);
        Assert.Equal(1, book.Add([IPEndPoint.Parse("[::1]:6881")]));
        Assert.Equal(IPEndPoint.Parse("[::1]:6881"), book.TakeNext(Now));
    }
}
