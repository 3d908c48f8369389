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

        var result = await SwarmDownload.RunAsync(swarm.Built.Torrent, swarm.Options(output), null, Ct);

        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(Path.Combine(output, "twelve.bin")));
        Assert.Equal(3, swarm.Peers.Count(p => p.BytesUploaded > 0));   // every seeder took part
        var sent = swarm.Peers.Sum(p => p.BytesUploaded);
        TestContext.Current.TestOutputHelper?.WriteLine($"seeders sent {sent} bytes for {Size}; counted received {result.Downloaded}");
        Assert.InRange(sent, Size, Size + Size / 50);                   // within 2 %
        Assert.InRange(result.Downloaded, Size, Size + Size / 50);
    }
}
