using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A seed on a slow uplink writes about half a second of what it sends a peer at a time (at least a block),
/// not eight blocks (128 KiB, eight seconds at 16 KiB/s): what it has not yet written it can still take back, so a
/// peer's cancel stops all but the block or two under way. The peer here is scripted, on a host of its own; the seed is
/// the unchanged engine on the simulated network.</summary>
public class SlowUplinkTests
{
    private const int PieceLength = 256 * 1024; // 16 blocks
    private const int Blocks = PieceLength / WireLimits.BlockLength;

    [Theory]
    [InlineData(0, 1)]                 // no rate yet: a block at a time until one is measured
    [InlineData(16 * 1024, 1)]         // 128 kbit/s: half a second is half a block
    [InlineData(100 * 1024, 4)]        // 50 KiB in half a second: four blocks
    [InlineData(256 * 1024, 8)]        // 2 Mbit/s and up: the most, eight
    [InlineData(100 * 1024 * 1024, 8)]
    public void BlocksPerSend_IsHalfASecondOfTheRateToThePeer_OneToEight(double bytesPerSecond, int blocks) =>
        Assert.Equal(blocks, PeerUpload.BlocksPerSendAt(bytesPerSecond));

    [Fact]
    [Trait("Tier", "Slow")] // a process of its own
    public void Seed_OnASlowUplink_ACancelAfterTheFirstBlock_StopsAllButTheBlocksUnderWay() =>
        Simulated.Passes(CancelAfterTheFirstBlock, seed: 21);

    internal static async Task CancelAfterTheFirstBlock(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: PieceLength, pieceLength: PieceLength, announce: null, seed: 21);
        var seedHost = sim.Network.AddHost("seed", new LinkSpec(TimeSpan.FromMilliseconds(20), UpBytesPerSecond: 16 * 1024));
        built.WritePayload(sim.FolderOf(seedHost));
        await using var session = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(seedHost,
            new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Encryption = EncryptionPolicy.Off, Dht = false }));
        await using var seeder = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(session, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine }, allowPartial: false);

        var host = sim.Network.AddHost("peer", LinkSpec.Fast);
        using var peer = await PeerConnection.ConnectAsync(new IPEndPoint(seedHost.Address, 6881), built.Torrent.InfoHash, PeerId.CreateOurs(),
            new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount, AdvertiseFast = true, Network = host, Time = sim.Clock }, CancellationToken.None);
        await peer.SendAsync(PeerMessage.HaveNone, CancellationToken.None);
        await peer.SendInterestedAsync(CancellationToken.None);
        async Task<PeerMessage> NextAsync(params MessageKind[] kinds)
        {
            while (true)
            {
                var message = await peer.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(60), sim.Clock);
                if (kinds.Contains(message.Kind)) return message;
            }
        }
        await NextAsync(MessageKind.Unchoke);

        // The whole piece asked for at once, as a downloader's pipeline does; the first block's arrival, then every
        // other request cancelled (as when another peer sent those blocks first).
        for (var i = 0; i < Blocks; i++)
            await peer.SendRequestAsync(0, i * WireLimits.BlockLength, WireLimits.BlockLength, CancellationToken.None);
        var first = await NextAsync(MessageKind.Piece);
        var cancelledAt = sim.Clock.Now;
        for (var i = 0; i < Blocks; i++)
            if (i * WireLimits.BlockLength != first.Begin)
                await peer.SendAsync(PeerMessage.Cancel(0, i * WireLimits.BlockLength, WireLimits.BlockLength), CancellationToken.None);

        // BEP 6: each cancelled request still gets one answer, the block (already under way) or a reject.
        var sentAnyway = 0;
        for (var answered = 0; answered < Blocks - 1; answered++)
            if ((await NextAsync(MessageKind.Piece, MessageKind.Reject)).Kind == MessageKind.Piece) sentAnyway++;
        sim.Log.Line("scenario", $"first block at {cancelledAt}; {sentAnyway} of {Blocks - 1} cancelled blocks sent anyway, the last answer at {sim.Clock.Now}");
        // One block of 16 KiB is the seed's second at that rate, and the send buffer holds about another: at most two
        // come after the cancel (with eight-block writes, the seven written with the first one came too).
        Assert.True(sentAnyway <= 2, $"{sentAnyway} of {Blocks - 1} cancelled blocks were sent anyway");
    }
}
