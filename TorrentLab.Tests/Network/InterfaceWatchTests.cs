using System.Net;
using TorrentLab.Network;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Network;

/// <summary>Following an interface by name (<see cref="InterfaceWatch"/>) with a fake view of it and a manual clock:
/// one line and one change each way, the poll catching what no event said, nothing when nothing changed.</summary>
public class InterfaceWatchTests
{
    /// <summary>A view of one interface that a test sets.</summary>
    internal sealed class FakeInterface(InterfaceSnapshot state)
    {
        public InterfaceSnapshot State { get; set; } = state;
        public int Reads { get; private set; }

        public InterfaceSnapshot Read(string name)
        {
            Reads++;
            return State;
        }

        public static InterfaceSnapshot Up(params string[] addresses) => new(true, true, [.. addresses.Select(IPAddress.Parse)]);
        public static InterfaceSnapshot Down(params string[] addresses) => new(true, false, [.. addresses.Select(IPAddress.Parse)]);
    }

    [Fact]
    public void Start_InterfaceMissing_SaysItSendsNothingUntilItIsUp()
    {
        var lines = new List<string>();
        using var watch = new InterfaceWatch("tun0", new FakeInterface(InterfaceSnapshot.Missing).Read, lines.Add);
        watch.Start(new ManualClock(), systemEvents: false);
        Assert.Equal(["interface tun0 not found: sending nothing until it is up with an address"], lines);
        Assert.False(watch.Current.Usable);
    }

    [Fact]
    public void Poll_DownThenUp_OneLineAndOneChangeEachWay()
    {
        var clock = new ManualClock();
        var nic = new FakeInterface(FakeInterface.Up("10.9.0.2"));
        var lines = new List<string>();
        var changes = new List<(bool Before, bool After)>();
        using var watch = new InterfaceWatch("tun0", nic.Read, lines.Add);
        watch.Changed += (before, now) => changes.Add((before.Usable, now.Usable));
        watch.Start(clock, systemEvents: false);

        nic.State = FakeInterface.Down("10.9.0.2"); // a link set down keeps its address
        clock.Advance(InterfaceWatch.PollInterval);
        clock.Advance(InterfaceWatch.PollInterval); // read again: no change, no line
        nic.State = FakeInterface.Up("10.9.0.2");
        clock.Advance(InterfaceWatch.PollInterval);

        Assert.Equal([
            "interface tun0 up at 10.9.0.2: everything the session sends goes out from it",
            "interface tun0 down: sending nothing",
            "interface tun0 up at 10.9.0.2: resuming",
        ], lines);
        Assert.Equal([(true, false), (false, true)], changes);
        Assert.Equal(4, nic.Reads); // the start and three polls: the poll is what found both changes
    }

    [Theory]
    [InlineData("10.9.0.3", "interface tun0 now at 10.9.0.3 (was 10.9.0.2): rebinding")] // a new lease
    [InlineData("", "interface tun0 has no address: sending nothing")]                  // address removed, link up
    public void Check_AddressesChange_SaysWhat(string now, string line)
    {
        var nic = new FakeInterface(FakeInterface.Up("10.9.0.2"));
        var lines = new List<string>();
        using var watch = new InterfaceWatch("tun0", nic.Read, lines.Add);
        watch.Start(new ManualClock(), systemEvents: false);
        nic.State = now.Length == 0 ? FakeInterface.Up() : FakeInterface.Up(now);
        Assert.True(watch.Check());
        Assert.False(watch.Check());
        Assert.Equal(line, lines[^1]);
        Assert.Equal(2, lines.Count);
    }

    [Fact]
    public void Snapshot_AddressOf_TheFirstOfTheFamily_NoneWhileDown()
    {
        var up = FakeInterface.Up("10.9.0.2", "fd00::2");
        Assert.Equal(IPAddress.Parse("10.9.0.2"), up.AddressOf(System.Net.Sockets.AddressFamily.InterNetwork));
        Assert.Equal(IPAddress.Parse("fd00::2"), up.AddressOf(System.Net.Sockets.AddressFamily.InterNetworkV6));
        Assert.Null(FakeInterface.Down("10.9.0.2").AddressOf(System.Net.Sockets.AddressFamily.InterNetwork));
        Assert.Null(FakeInterface.Up("10.9.0.2").AddressOf(System.Net.Sockets.AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Dispose_StopsThePoll()
    {
        var clock = new ManualClock();
        var nic = new FakeInterface(FakeInterface.Up("10.9.0.2"));
        var watch = new InterfaceWatch("tun0", nic.Read, null);
        watch.Start(clock, systemEvents: false);
        watch.Dispose();
        clock.Advance(InterfaceWatch.PollInterval * 3);
        Assert.Equal(1, nic.Reads);
    }
}
