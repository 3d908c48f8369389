using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

public class RoutingTableTests
{
    private static readonly NodeId Own = NodeId.FromHex(new string('0', 40));
    private int _port = 1000;

    // A node whose id starts with the given hex and is otherwise unique.
    private NodeContact Node(string prefixHex)
    {
        var port = ++_port;
        var hex = prefixHex + port.ToString("x4");
        return new NodeContact(NodeId.FromHex(hex.PadRight(40, '0')), new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public void Heard_UpToK_AddsEveryNodeToOneBucket()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        for (var i = 0; i < RoutingTable.K; i++) Assert.Equal(InsertOutcome.Added, table.Heard(Node("8"), responded: true));

        Assert.Equal(RoutingTable.K, table.Count);
        Assert.Single(table.Buckets);
    }

    [Fact]
    public void Heard_OurOwnId_IsNeverAdded() =>
        Assert.Equal(InsertOutcome.Dropped, new RoutingTable(Own).Heard(new NodeContact(Own, IPEndPoint.Parse("127.0.0.1:1")), true));

    [Fact]
    public void Heard_KnownNode_UpdatesIt()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        var node = Node("8");
        table.Heard(node, responded: false);

        Assert.Equal(InsertOutcome.Updated, table.Heard(node, responded: true));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void ExtendedTable_TheFourFarthestBucketsHold128_64_32And16Nodes_TheOthersK()
    {
        // libtorrent's dht_extended_routing_table: a lookup starts from the closest nodes of the target's half, quarter...
        var table = new RoutingTable(Own, new ManualClock());
        foreach (var (prefix, capacity) in new[] { ("8", 128), ("4", 64), ("2", 32), ("1", 16), ("08", RoutingTable.K) })
        {
            var added = Enumerable.Range(0, capacity + 5).Count(_ => table.Heard(Node(prefix), responded: true) == InsertOutcome.Added);
            Assert.Equal(capacity, added);
        }
        Assert.Equal([128, 64, 32, 16, RoutingTable.K], table.Buckets.Take(5).Select(b => b.Entries.Count));
    }

    [Fact]
    public void FullBucketHoldingOurId_Splits_AndTheFarHalfThenDropsNewcomers()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        for (var i = 0; i < RoutingTable.K; i++) table.Heard(Node("8"), responded: true); // first bit 1: the far half

        // The only bucket holds our id, so a ninth node splits it; the far half is then full of good nodes.
        Assert.Equal(InsertOutcome.Dropped, table.Heard(Node("8"), responded: true));
        Assert.Equal(2, table.Buckets.Count);
        Assert.Equal(RoutingTable.K, table.Buckets[0].Entries.Count);

        // A node near our id goes to the new last bucket.
        Assert.Equal(InsertOutcome.Added, table.Heard(Node("01"), responded: true));
        Assert.Single(table.Buckets[^1].Entries);
        Assert.Equal(RoutingTable.K + 1, table.Count);
    }

    [Fact]
    public void NearNodes_SplitTheLastBucketRepeatedly_UntilTheyNoLongerShareItWithUs()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        for (var i = 0; i < RoutingTable.K; i++) table.Heard(Node("01"), responded: true); // all share exactly 7 bits with us

        Assert.Equal(InsertOutcome.Dropped, table.Heard(Node("01"), responded: true));

        Assert.Equal(9, table.Buckets.Count); // split 8 times: buckets for 0..7 shared bits, and the last for 8 or more
        Assert.Equal(RoutingTable.K, table.Buckets[7].Entries.Count);
        Assert.Equal(RoutingTable.K, table.Count);
        Assert.All(table.Buckets[7].Entries, e => Assert.Equal(7, Own.CommonPrefixLength(e.Contact.Id)));
    }

    [Fact]
    public void BadNode_InAFullBucket_IsReplacedByTheNewcomer()
    {
        var table = FullFarBucket(new ManualClock(), out var nodes);
        table.Failed(nodes[3].Id);
        Assert.Equal(NodeStatus.Bad, table.Failed(nodes[3].Id)); // two failures in a row

        var newcomer = Node("9");
        Assert.Equal(InsertOutcome.Added, table.Heard(newcomer, responded: true));
        Assert.DoesNotContain(table.Entries, e => e.Contact.Id == nodes[3].Id);
        Assert.Contains(table.Entries, e => e.Contact.Id == newcomer.Id);
    }

    [Fact]
    public void QuestionableNodes_MakeANewcomerWait_AndAFailedPingGivesItTheSlot()
    {
        var clock = new ManualClock();
        var table = FullFarBucket(clock, out var nodes);
        clock.Advance(TimeSpan.FromMinutes(16)); // nobody heard from for 15 minutes: questionable

        var newcomer = Node("9");
        Assert.Equal(InsertOutcome.Pending, table.Heard(newcomer, responded: true));
        var toPing = Assert.Single(table.ToPing());

        table.Failed(toPing.Id);
        table.Failed(toPing.Id);

        Assert.Contains(table.Entries, e => e.Contact.Id == newcomer.Id);
        Assert.DoesNotContain(table.Entries, e => e.Contact.Id == toPing.Id);
        Assert.Equal(RoutingTable.K, table.Buckets[0].Entries.Count);
    }

    [Fact]
    public void NodeStatus_FollowsBep5Liveness()
    {
        var clock = new ManualClock();
        var entry = new RoutingEntry(Node("8")) { LastResponse = clock.GetUtcNow() };
        Assert.Equal(NodeStatus.Good, entry.StatusAt(clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(NodeStatus.Questionable, entry.StatusAt(clock.GetUtcNow()));

        entry.LastQuery = clock.GetUtcNow(); // it once answered and now queried us: good again
        Assert.Equal(NodeStatus.Good, entry.StatusAt(clock.GetUtcNow()));

        var neverAnswered = new RoutingEntry(Node("8")) { LastQuery = clock.GetUtcNow() };
        Assert.Equal(NodeStatus.Questionable, neverAnswered.StatusAt(clock.GetUtcNow()));

        entry.Failures = RoutingEntry.FailuresBeforeBad;
        Assert.Equal(NodeStatus.Bad, entry.StatusAt(clock.GetUtcNow()));
    }

    [Fact]
    public void Closest_ReturnsTheNearestByXor_BadNodesLeftOut()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        var nodes = new[] { "f", "7", "3", "1", "08", "04" }.Select(Node).ToList();
        foreach (var node in nodes) table.Heard(node, responded: true);
        table.Failed(nodes[4].Id);
        table.Failed(nodes[4].Id);

        var closest = table.Closest(Own, 3);

        Assert.Equal([nodes[5].Id, nodes[3].Id, nodes[2].Id], closest.Select(c => c.Id));
    }

    [Fact]
    public void RefreshTargets_AfterFifteenQuietMinutes_OneTargetInsideEachBucket()
    {
        var clock = new ManualClock();
        var table = FullFarBucket(clock, out _);
        table.Heard(Node("01"), responded: true);
        Assert.Empty(table.RefreshTargets(new Random(1)));

        clock.Advance(TimeSpan.FromMinutes(15));
        var targets = table.RefreshTargets(new Random(1));

        Assert.Equal(table.Buckets.Count, targets.Count);
        Assert.Equal(0, Own.CommonPrefixLength(targets[0]));
        Assert.True(Own.CommonPrefixLength(targets[^1]) >= table.Buckets.Count - 1);
        Assert.Empty(table.RefreshTargets(new Random(1))); // refreshed: not again until another quiet period
    }

    [Fact]
    public void AnIdAlreadyKnownAtAnotherAddress_IsNotMoved()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        var node = Node("8");
        table.Heard(node, responded: true);

        Assert.Equal(InsertOutcome.Dropped, table.Heard(node with { EndPoint = IPEndPoint.Parse("127.0.0.9:9") }, responded: true));
        Assert.Equal(node.EndPoint, Assert.Single(table.Entries).Contact.EndPoint);
    }

    // Splits once so the far bucket (first bit 1) is full of good nodes and no longer the last one.
    private RoutingTable FullFarBucket(ManualClock clock, out List<NodeContact> nodes)
    {
        var table = new RoutingTable(Own, clock, extended: false);
        nodes = Enumerable.Range(0, RoutingTable.K).Select(_ => Node("8")).ToList();
        foreach (var node in nodes) table.Heard(node, responded: true);
        table.Heard(Node("02"), responded: true); // splits
        Assert.Equal(2, table.Buckets.Count);
        return table;
    }

    [Fact]
    public void Heard_OneHostOn3000Ports_HoldsOneEntry_AndHonestNodesStillEnter()
    {
        // Seeded ids: with fresh random ones, 40 honest nodes sometimes crowd into few buckets and fewer than 20 fit,
        // whatever the attacker did (a failure of the draw, not of the table).
        var random = new Random(52);
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        var attacker = IPAddress.Parse("203.0.113.9");
        for (var port = 1000; port < 4000; port++) table.Heard(new NodeContact(NodeId.Random(random), new IPEndPoint(attacker, port)), responded: true);

        Assert.Equal(1, table.Entries.Count(e => e.Contact.EndPoint.Address.Equals(attacker)));
        var honest = Enumerable.Range(1, 40).Select(i => new NodeContact(NodeId.Random(random), new IPEndPoint(IPAddress.Parse($"198.{i}.100.7"), 6881))).ToList();
        foreach (var node in honest) table.Heard(node, responded: true);
        Assert.True(table.Entries.Count(e => !e.Contact.EndPoint.Address.Equals(attacker)) >= 20); // room for the honest ones
    }

    [Fact]
    public void Heard_OneSubnet_HoldsAtMostOneEntryPerBucket()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        for (var host = 1; host < 255; host++)
            for (var port = 0; port < 4; port++)
                table.Heard(new NodeContact(NodeId.Random(), new IPEndPoint(IPAddress.Parse($"203.0.113.{host}"), 7000 + port)), responded: true);
        for (var host = 1; host < 255; host++)
            table.Heard(new NodeContact(NodeId.Random(), new IPEndPoint(IPAddress.Parse($"2001:db8:1:2::{host:x}"), 6881)), responded: true);

        foreach (var bucket in table.Buckets)
        {
            Assert.True(bucket.Entries.Count(e => e.Contact.EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) <= 1);
            Assert.True(bucket.Entries.Count(e => e.Contact.EndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) <= 1);
        }
        Assert.True(table.Count <= 2 * table.Buckets.Count);
    }

    [Fact]
    public void Heard_LoopbackNodesSharingAnAddress_AreExempt()
    {
        var table = new RoutingTable(Own, new ManualClock(), extended: false);
        for (var i = 0; i < RoutingTable.K; i++) table.Heard(Node("8"), responded: true); // all on 127.0.0.1, as the suite's IPv6 DHT on ::1

        Assert.Equal(RoutingTable.K, table.Count);
    }
}
