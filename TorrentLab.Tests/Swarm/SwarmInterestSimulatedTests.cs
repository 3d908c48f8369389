using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>Interest follows what could be asked of a peer now (<c>PieceManager.CanAsk</c>), on the simulated network
/// (each peer a host of its own, one virtual clock).</summary>
[Trait("Tier", "Slow")] // a process of its own
public class SwarmInterestSimulatedTests
{
    /// <summary>A partial seed holds only piece 1, which the downloader has already asked of a seed whole: it has
    /// pieces we lack but nothing to be asked for, so it is not told "interested" and keeps its upload slots for peers
    /// that can use them. (Before: interested, unchoked and asked nothing. In the simulated swarm of 100 peers such
    /// idle unchokes held about a tenth of the fastest peers' slots, while the slowest peers waited for them.)</summary>
    [Fact]
    public void DownloadAsync_APeerWhosePieceIsAskedOfAnotherWhole_IsNotToldInterested() => Simulated.Passes(PieceAskedElsewhere, seed: 7);

    internal static async Task PieceAskedElsewhere(SimRun sim)
    {
        const int PieceLength = 256 * 1024, Pieces = 8;
        var built = TestTorrents.SingleFile(length: Pieces * PieceLength, pieceLength: PieceLength, name: "eight.bin", announce: null, seed: 7);
        // The seed is near and slow (a piece takes 8 s); the partial seed's bitfield arrives 2 s later, when piece 1's
        // 16 blocks are all asked of the seed (a lone seed's first copy suggests two pieces, 0 and 1, to a peer it has
        // sent nothing yet, BEP 6, and the downloader takes the latest suggestion first).
        const int Held = 1;
        var seedHost = sim.Network.AddHost("seed", new LinkSpec(TimeSpan.FromMilliseconds(5), 32 * 1024, 64 << 20));
        var partialHost = sim.Network.AddHost("partial", new LinkSpec(TimeSpan.FromMilliseconds(250), 4 << 20, 64 << 20));
        var host = sim.Network.AddHost("downloader", new LinkSpec(TimeSpan.FromMilliseconds(5), 4 << 20, 64 << 20));
        var settings = new SessionSettings { ListenPort = 6881, Dht = false, Transport = PeerTransport.Tcp };
        int interestedAtPartial = 0, piecesFromPartial = 0;
        var sessions = new List<TorrentLab.Swarm.Session>();
        try
        {
            built.WritePayload(sim.FolderOf(seedHost));
            var seed = TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
            sessions.Add(seed);
            await Seeder.StartAsync(seed, built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine,
            }, allowPartial: false);

            // The partial seed: piece 1 good, the rest zeros (they fail their check, so it has piece 1 alone).
            built.WritePayload(sim.FolderOf(partialHost));
            var file = Path.Combine(sim.FolderOf(partialHost), "eight.bin");
            var bytes = File.ReadAllBytes(file);
            var held = bytes.AsSpan(Held * PieceLength, PieceLength).ToArray();
            Array.Clear(bytes);
            held.CopyTo(bytes, Held * PieceLength);
            File.WriteAllBytes(file, bytes);
            var partial = TorrentClient.StartSession(sim.SessionOn(partialHost, settings));
            sessions.Add(partial);
            await Seeder.StartAsync(partial, built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(partialHost), Trackers = [], Log = partialHost.LogLine,
                Trace = e =>
                {
                    if (e.Direction == WireDirection.Received && e.Kind == MessageKind.Interested) interestedAtPartial++;
                    if (e.Direction == WireDirection.Sent && e.Kind == MessageKind.Piece) piecesFromPartial++;
                },
            }, allowPartial: true);

            var downloader = TorrentClient.StartSession(sim.SessionOn(host, settings));
            sessions.Add(downloader);
            await TorrentClient.DownloadAsync(downloader, built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(host), Trackers = [], Log = host.LogLine, Sequential = true,
                StallTimeout = TimeSpan.FromMinutes(2),
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881), new IPEndPoint(partialHost.Address, 6881)],
            }).WaitAsync(TimeSpan.FromMinutes(3), sim.Clock);

            Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(host), "eight.bin")));
            sim.Log.Line("scenario", $"the partial seed was told interested {interestedAtPartial} times and sent {piecesFromPartial} blocks");
            Assert.Equal(0, piecesFromPartial);   // piece 1 came from the seed, as asked
            Assert.Equal(0, interestedAtPartial); // and the partial seed, with nothing else, was never held
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }
    }
}
