using TorrentLab.Swarm;

namespace TorrentLab.Tests.Swarm;

/// <summary>How many requests the swarm engine keeps in flight at a peer: about a second of its rate, within a
/// budget that the peers delivering at the moment share.</summary>
public class SwarmPeerPipelineTests
{
    private const double MiB = 1024 * 1024;

    [Fact]
    public void A_fast_peer_delivering_alone_gets_the_whole_budget()
    {
        Assert.Equal(SwarmPeer.MaxPipeline, SwarmPeer.PipelineTarget(300 * MiB, deliveringPeers: 1, cap: SwarmPeer.MaxPipeline));
        // Counted from its first block on: before that (nobody delivering yet) the first peer is treated as alone.
        Assert.Equal(SwarmPeer.MaxPipeline, SwarmPeer.PipelineTarget(300 * MiB, deliveringPeers: 0, cap: SwarmPeer.MaxPipeline));
    }

    [Theory]
    [InlineData(2, 192)]
    [InlineData(3, 128)]
    [InlineData(4, 128)]
    [InlineData(50, 128)] // never under the shared floor, however many deliver
    public void Fast_peers_delivering_together_split_the_budget(int delivering, int each)
    {
        var target = SwarmPeer.PipelineTarget(100 * MiB, delivering, cap: SwarmPeer.MaxPipeline);
        Assert.Equal(each, target);
        Assert.True(delivering * target <= SwarmPeer.MaxPipeline || target == SwarmPeer.SharedPipeline);
    }

    [Theory]
    [InlineData(0.0, 16)]      // a new peer, no rate yet: a fair first round
    [InlineData(0.1, 16)]      // 100 KiB/s: the floor
    [InlineData(1.0, 64)]      // 1 MiB/s: a second of it
    [InlineData(4.0, 256)]     // 4 MiB/s alone: a second of it, under the budget
    [InlineData(300.0, 384)]   // 300 MiB/s alone: the whole budget
    public void A_slow_peer_keeps_about_a_second_of_its_rate(double mibPerSecond, int expected) =>
        Assert.Equal(expected, SwarmPeer.PipelineTarget(mibPerSecond * MiB, deliveringPeers: 1, cap: SwarmPeer.MaxPipeline));

    [Fact]
    public void A_peer_that_skipped_requests_stays_under_its_own_cap()
    {
        // Skipped requests halve the peer's cap (it drops requests beyond a queue of its own); alone or not, that holds.
        Assert.Equal(64, SwarmPeer.PipelineTarget(300 * MiB, deliveringPeers: 1, cap: 64));
        Assert.Equal(64, SwarmPeer.PipelineTarget(300 * MiB, deliveringPeers: 3, cap: 64));
        Assert.Equal(SwarmPeer.MinPipeline, SwarmPeer.PipelineTarget(0, deliveringPeers: 1, cap: SwarmPeer.MinPipeline));
    }
}
