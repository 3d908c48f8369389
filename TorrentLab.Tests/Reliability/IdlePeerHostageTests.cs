using System.Buffers.Binary;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>Idle connections at our seeder (the swarm engine's): more peers than <c>--max-peers</c> handshake, send a
/// bitfield and <c>interested</c>, then only keep-alives. They used to fill every slot for good, the honest downloader
/// was refused ("already 50 peers") and stopped dialling after three refusals. Now the seeder drops the peer idle the
/// longest for a newcomer, the choker gives no slot to a peer that asks for nothing, and the downloader retries a
/// refusing peer with a back-off.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class IdlePeerHostageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MorePeersThanMaxPeersHoldingIdleConnections_HonestDownloaderStillCompletes()
    {
        const int maxPeers = 50; // the default
        var hostiles = ReliabilityMode.Count(300, 1_000);
        var built = TestTorrents.SingleFile(length: 2 << 20, pieceLength: 16 * 1024, name: "hostage.bin", seed: 34);
        await using var rig = await SeederRig.StartAsync(built, Ct, o => o with { MaxPeers = maxPeers, IdlePeerGrace = TimeSpan.FromSeconds(3) });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Connected in waves of 100 (below the listener's backlog), all before the honest downloader dials.
        var idle = new List<Task>();
        for (var i = 0; i < hostiles; i++)
        {
            idle.Add(HoldIdleAsync(rig.Seeder.Port, built.Torrent, stop.Token));
            if (i % 100 == 99) await Task.Delay(100, Ct);
        }
        for (var wait = 0; wait < 100 && rig.Seeder.ConnectedPeers < maxPeers; wait++) await Task.Delay(100, Ct);
        Assert.Equal(maxPeers, rig.Seeder.ConnectedPeers);   // the seeder is full of idle peers

        var result = await rig.DownloadAsync("honest", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(idle);

        Assert.True(rig.Identical("honest"));
        Assert.Empty(result.BadPeers);
    }

    /// <summary>Handshake, an empty bitfield, <c>interested</c>, then a keep-alive a second until the seeder closes the
    /// connection or the test stops. Never reads: what the seeder sends fits in the socket's buffer.</summary>
    private static async Task HoldIdleAsync(int port, Torrent torrent, CancellationToken ct)
    {
        try
        {
            using var client = await HostileClient.ConnectAsync(port, ct);
            if (!await client.HandshakeAsync(torrent.InfoHash, TimeSpan.FromSeconds(5), ct)) return;
            var bitfield = new byte[5 + (torrent.PieceCount + 7) / 8];
            BinaryPrimitives.WriteInt32BigEndian(bitfield, bitfield.Length - 4);
            bitfield[4] = 5;                                    // bitfield, nothing set
            byte[] interested = [0, 0, 0, 1, 2];
            if (!await client.SendAsync(bitfield, ct) || !await client.SendAsync(interested, ct)) return;
            for (var i = 0; i < 600; i++)                       // bounded: ten minutes at most, the test ends far sooner
            {
                await Task.Delay(1000, ct);
                if (!await client.SendAsync(new byte[4], ct)) return;   // keep-alive
            }
        }
        catch (OperationCanceledException) { }
        catch (System.Net.Sockets.SocketException) { }
    }
}
