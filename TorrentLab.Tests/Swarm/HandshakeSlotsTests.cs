using System.Net;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The session's handshake slots (<see cref="HandshakeSlots"/>): shares per address and subnet, the deadline,
/// and who yields when every slot is taken.</summary>
public class HandshakeSlotsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPEndPoint From(string address, int port = 40000) => new(IPAddress.Parse(address), port);

    [Fact]
    public void OneAddress_GetsItsShare_AndAnotherAddressStillGetsSlots()
    {
        var slots = new HandshakeSlots(new ManualClock());
        var taken = Enumerable.Range(0, 100).Select(i => slots.TryTake(From("127.0.0.2", 40000 + i), Deadline, Ct)).ToList();

        // Free until half the slots are taken, then held to its share.
        Assert.Equal(HandshakeSlots.DefaultTotal / 2, taken.Count(s => s is not null));
        Assert.Equal(100 - HandshakeSlots.DefaultTotal / 2, slots.Refused);
        Assert.NotNull(slots.TryTake(From("127.0.0.1"), Deadline, Ct));
    }

    [Fact]
    public void OneSubnetOfTheInternet_GetsItsShare_ButLoopbackAddressesAreCountedEach()
    {
        var slots = new HandshakeSlots(new ManualClock());
        for (var i = 0; i < HandshakeSlots.DefaultTotal / 2; i++) slots.TryTake(From($"198.51.{i}.1"), Deadline, Ct); // contended
        var subnet = Enumerable.Range(1, 100).SelectMany(h => Enumerable.Range(0, 2).Select(p => slots.TryTake(From($"203.0.113.{h}", 40000 + p), Deadline, Ct))).ToList();
        Assert.Equal(HandshakeSlots.PerSubnet, subnet.Count(s => s is not null));

        var loopback = new HandshakeSlots(new ManualClock());
        var many = Enumerable.Range(1, 30).Select(h => loopback.TryTake(From($"127.0.0.{h}"), Deadline, Ct)).ToList();
        Assert.All(many, Assert.NotNull);
    }

    [Fact]
    public void AllSlotsTaken_TheOldestHandshakeOfTheCostliestAddressYields()
    {
        var slots = new HandshakeSlots(new ManualClock(), total: 8);
        var first = Enumerable.Range(1, 4).Select(h => slots.TryTake(From($"10.0.0.{h}"), Deadline, Ct)!).ToList(); // one each
        var costly = Enumerable.Range(0, 4).Select(p => slots.TryTake(From("10.0.0.9", 50000 + p), Deadline, Ct)!).ToList();

        var newcomer = slots.TryTake(From("10.0.0.20"), Deadline, Ct);

        Assert.NotNull(newcomer);
        Assert.True(costly[0].Cancelled.IsCancellationRequested); // the oldest of the address holding four
        Assert.All(costly.Skip(1), s => Assert.False(s.Cancelled.IsCancellationRequested));
        Assert.All(first, s => Assert.False(s.Cancelled.IsCancellationRequested));
        Assert.Equal(8, slots.Held);
        Assert.Equal(1, slots.Yielded);
    }

    [Fact]
    public void TheDeadline_RunsFromTheAccept_AndReleaseGivesTheSlotBack()
    {
        var clock = new ManualClock();
        var slots = new HandshakeSlots(clock);
        var slot = slots.TryTake(From("127.0.0.2"), Deadline, Ct)!;

        clock.Advance(Deadline - TimeSpan.FromMilliseconds(1));
        Assert.False(slot.Cancelled.IsCancellationRequested);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(slot.Cancelled.IsCancellationRequested); // whatever bytes arrived meanwhile

        slots.Release(slot);
        Assert.Equal(0, slots.Held);
    }
}
