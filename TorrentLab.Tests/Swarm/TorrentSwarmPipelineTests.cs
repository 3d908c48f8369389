using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><see cref="DownloadOptions.RequestsPerPeer"/> in the swarm engine: unset, a peer's pipeline may grow to
/// <see cref="SwarmPeer.MaxPipeline"/>; set, no peer ever has more requests in flight (as on the reference path).</summary>
public class TorrentSwarmPipelineTests
{
    private sealed class Source : IBlockSource
    {
        public string Name => "127.0.0.1:1";
    }

    private static async Task<int> RequestsGivenToOneSeeder(int? requestsPerPeer)
    {
        var built = TestTorrents.SingleFile(length: 1000 * 16 * 1024, pieceLength: 64 * 1024, announce: null, seed: 5);
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
        });
        await using var swarm = new TorrentSwarm(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = ".",
            RequestsPerPeer = requestsPerPeer,
        }, new FakePieceStorage(), new Bitfield(built.Torrent.PieceCount), downloading: true);
        var seeder = new Source();
        swarm.Pieces.AddPeer(seeder, Bitfield.Full(built.Torrent.PieceCount));
        var into = new BlockRequest[1000];
        return swarm.Pieces.FillRequests(seeder, into);
    }

    [Fact]
    public async Task Unset_LetsAPeersPipelineGrowToTheSwarmsCeiling()
    {
        Assert.Equal(SwarmPeer.MaxPipeline, await RequestsGivenToOneSeeder(null));
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(100, 100)]
    [InlineData(10_000, SwarmPeer.MaxPipeline)] // never above the swarm's own ceiling
    public async Task Set_CapsTheRequestsInFlightPerPeer(int requestsPerPeer, int expected)
    {
        Assert.Equal(expected, await RequestsGivenToOneSeeder(requestsPerPeer));
    }
}
