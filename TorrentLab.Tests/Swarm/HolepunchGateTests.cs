using System.Net;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The BEP 55 rules that protect others from our packets (<see cref="HolepunchGate"/>): what a stream of
/// connect messages makes us dial, recorded, and whom a relay joins.</summary>
public class HolepunchGateTests
{
    private static readonly IPEndPoint OutsideRelay = IPEndPoint.Parse("203.0.113.7:51413");

    /// <summary>Plays <paramref name="connects"/> from <paramref name="relay"/> through the gate and records what would
    /// be dialled (the swarm dials exactly the connects judged Asked or Introduced).</summary>
    private static List<IPEndPoint> Dialled(HolepunchGate gate, IPEndPoint relay, params string[] connects)
    {
        var sent = new List<IPEndPoint>();
        foreach (var connect in connects)
        {
            var endpoint = IPEndPoint.Parse(connect);
            if (gate.Judge(relay, endpoint) is ConnectVerdict.Asked or ConnectVerdict.Introduced) sent.Add(endpoint);
        }
        return sent;
    }

    [Theory]
    [InlineData("127.0.0.53:53")]          // loopback: a resolver of ours
    [InlineData("127.0.0.1:22799")]        // loopback
    [InlineData("10.0.0.50:22798")]        // our LAN
    [InlineData("192.168.1.1:80")]         // our router
    [InlineData("172.16.0.1:6881")]        // private
    [InlineData("100.64.0.1:6881")]        // carrier-grade NAT
    [InlineData("169.254.169.254:80")]     // link-local
    [InlineData("[::1]:6881")]             // IPv6 loopback
    [InlineData("[fd00::1]:6881")]         // IPv6 unique local
    [InlineData("[::ffff:10.0.0.50]:6881")] // IPv4-mapped private
    [InlineData("[64:ff9b::7f00:1]:6881")] // NAT64 of 127.0.0.1
    public void Judge_OutsideRelayNamingANarrowerScope_IsNeverDialled(string connect)
    {
        var gate = new HolepunchGate(new ManualClock());
        gate.TryAsk(OutsideRelay, IPEndPoint.Parse(connect)); // even when we asked about it

        Assert.Empty(Dialled(gate, OutsideRelay, connect));
        Assert.Equal(ConnectVerdict.ScopeDiffers, gate.Judge(OutsideRelay, IPEndPoint.Parse(connect)));
    }

    [Fact]
    public void Judge_LanRelayNamingLoopbackOrTheInternet_IsNeverDialled()
    {
        var gate = new HolepunchGate(new ManualClock());
        var lanRelay = IPEndPoint.Parse("10.55.1.2:6881");

        Assert.Empty(Dialled(gate, lanRelay, "127.0.0.1:6881", "198.51.100.1:6881", "169.254.1.1:6881"));
        Assert.Equal([IPEndPoint.Parse("10.55.2.2:6881")], Dialled(gate, lanRelay, "10.55.2.2:6881")); // the namespace lab's case
    }

    [Fact]
    public void Judge_AnswerToOurRendezvous_IsDialledOnceAndOnlyFromTheRelayAsked()
    {
        var gate = new HolepunchGate(new ManualClock());
        var target = IPEndPoint.Parse("198.51.100.20:6881");
        var otherRelay = IPEndPoint.Parse("198.51.100.99:6881");
        Assert.True(gate.TryAsk(OutsideRelay, target));
        Assert.False(gate.TryAsk(OutsideRelay, target)); // once a minute per address

        Assert.Equal(ConnectVerdict.Asked, gate.Judge(OutsideRelay, target));
        Assert.NotEqual(ConnectVerdict.Asked, gate.Judge(OutsideRelay, target)); // the second is no answer of ours
        Assert.Equal(ConnectVerdict.Introduced, gate.Judge(otherRelay, target)); // another relay: only an introduction
    }

    [Fact]
    public void Judge_UnaskedConnectsFromOneRelay_AreDialledUpToItsBudgetPerMinute()
    {
        var clock = new ManualClock();
        var gate = new HolepunchGate(clock);
        var connects = Enumerable.Range(0, 20).Select(i => $"198.51.100.{i + 1}:6881").ToArray();

        Assert.Equal(HolepunchGate.MaxIntroductionsPerMinute, Dialled(gate, OutsideRelay, connects).Count); // 20 a minute arrive
        Assert.Equal(HolepunchGate.MaxIntroductionsPerMinute, Dialled(gate, IPEndPoint.Parse("198.51.100.200:6881"), connects).Count); // per relay
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HolepunchGate.MaxIntroductionsPerMinute, Dialled(gate, OutsideRelay, connects).Count);
    }

    [Theory]
    [InlineData("198.51.100.1", "203.0.113.5", true)]   // two outside peers: the relay's whole purpose
    [InlineData("10.0.0.2", "10.0.0.3", true)]          // two LAN peers
    [InlineData("127.0.0.1", "127.0.0.2", true)]        // two loopback peers (the tests' lab)
    [InlineData("198.51.100.1", "10.0.0.3", false)]     // an outside initiator and our LAN peer
    [InlineData("198.51.100.1", "127.0.0.1", false)]    // an outside initiator and our loopback peer
    [InlineData("10.0.0.2", "127.0.0.1", false)]        // a LAN initiator and our loopback peer
    [InlineData("100.64.0.9", "10.0.0.3", false)]       // carrier-grade NAT and private are different networks
    public void MayJoin_OnlyPeersOfOneScope(string initiator, string target, bool expected) =>
        Assert.Equal(expected, HolepunchGate.MayJoin(IPAddress.Parse(initiator), IPAddress.Parse(target)));
}
