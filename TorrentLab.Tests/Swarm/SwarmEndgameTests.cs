using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Endgame in the swarm engine (<c>Pieces/PieceManager.Requests.cs</c>, <c>AssignDuplicates</c>): what several
/// fast seeders send us in all, counted on their side.</summary>
[Trait("Tier", "Slow")]
public class SwarmEndgameTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Issue 39, finding 3: from 3 seeders on loopback we received 12-39 % more payload than the torrent
    /// holds (libtorrent: about 1 %): idle peers were asked for every block in flight elsewhere at once.</summary>
    [Fact]
    public async Task RunAsync_ThreeFastSeeders_SendAboutTheTorrentsSizeInAll()
    {
        const int Size = 12_600_000;
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: Size, pieceLength: 256 * 1024, name: "twelve.bin", announce: url, seed: 39),
            [SyntheticBehaviour.Normal, SyntheticBehaviour.Normal, SyntheticBehaviour.Normal], Ct);
        var output = swarm.Folder.Combine("out");

        // The default timeouts: the mock swarm's 2 s would expire requests on a loaded machine and fetch them again
        // elsewhere, a waste of its own that this test is not about.
        var options = swarm.Options(output) with { RequestTimeout = TimeSpan.FromSeconds(30), SnubTimeout = TimeSpan.FromSeconds(60) };

        var result = await SwarmDownload.RunAsync(swarm.Built.Torrent, options, null, Ct);

        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(Path.Combine(output, "twelve.bin")));
        Assert.Equal(3, swarm.Peers.Count(p => p.BytesUploaded > 0));   // every seeder took part
        var sent = swarm.Peers.Sum(p => p.BytesUploaded);
        TestContext.Current.TestOutputHelper?.WriteLine($"seeders sent {sent} bytes for {Size}; counted received {result.Downloaded}");
        // Before the fix: 16.4 MB sent, 14.2 MB counted (+30 %, +12.5 %). Now about +0.4 % on a quiet machine. The
        // synthetic seeders serve every request they read (a cancel never stops them), so on a loaded machine a few
        // tail blocks taken by an idle peer are sent twice (up to +16 % sent, +2.2 % counted seen under load); the bound
        // on what was sent only tells the old behaviour (+30 %) from the new, and what we count received is the measure.
        // The 2 % figure against seeders that honour cancels is bench/interop/waste.sh's (BENCHMARKS.md).
        Assert.InRange(sent, Size, Size + Size * 25 / 100);
        Assert.InRange(result.Downloaded, Size, Size + Size * 5 / 100);
    }
}
