using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The piece map's timeline of the engine's moments (<c>Swarm/SwarmMoments.cs</c>, noted by
/// <c>Choking.cs</c>, <c>SuperSeeding.cs</c> and the piece manager's end game): kept short, and seen on a super-seeding
/// seeder's map as scripted downloaders on loopback are unchoked and told their pieces.</summary>
public class SwarmMomentsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const int PieceLength = 16 * 1024;

    private static PieceMapMoment At(int second) =>
        new(DateTimeOffset.UnixEpoch.AddSeconds(second), PieceMapMomentKind.Unchoked, "127.0.0.1:7000", -1, 0);

    [Fact]
    public void Moments_PastTheCapacity_KeepTheNewestInOrder()
    {
        var moments = new SwarmMoments();
        for (var s = 0; s < SwarmMoments.Capacity + 5; s++) moments.Add(At(s));

        var kept = moments.Snapshot();

        Assert.Equal(SwarmMoments.Capacity, kept.Length);
        Assert.Equal(At(5), kept[0]);
        Assert.Equal(At(SwarmMoments.Capacity + 4), kept[^1]);
        Assert.Same(kept, moments.Snapshot()); // nothing new: the same snapshot
    }

    [Fact]
    public async Task SuperSeedingSeeder_UnchokesAndRevealsToTwoDownloaders_TheMomentsAreOnItsMap()
    {
        await using var swarm = await MockSwarm.StartAsync(8 * PieceLength, PieceLength, Ct);
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        await using var seeder = await Seeder.StartAsync(swarm.Built.Torrent,
            swarm.Options(data).WithSession(s => s with { Encryption = EncryptionPolicy.Off, Dht = false }) with { SuperSeed = true }, ct: Ct);

        using var a = await ConnectAsync(swarm, seeder);
        using var b = await ConnectAsync(swarm, seeder);
        var pieceA = (await NextAsync(a, MessageKind.Have)).Index;
        var pieceB = (await NextAsync(b, MessageKind.Have)).Index;
        await NextAsync(a, MessageKind.Unchoke);
        await NextAsync(b, MessageKind.Unchoke);

        IReadOnlyList<PieceMapMoment> moments = [];
        await Wait.UntilAsync(() => (moments = seeder.Snapshot().Pieces?.Moments ?? []).Count(m => m.Kind == PieceMapMomentKind.Unchoked) >= 2,
            TimeSpan.FromSeconds(20), "the seeder's map never showed two unchokes", Ct);

        var reveals = moments.Where(m => m.Kind == PieceMapMomentKind.SuperSeedRevealed).ToList();
        Assert.Contains(reveals, m => m.Piece == pieceA);
        Assert.Contains(reveals, m => m.Piece == pieceB);
        Assert.Equal(2, reveals.Select(m => m.Peer).Distinct().Count()); // one reveal to each downloader
        var unchoked = moments.Where(m => m.Kind == PieceMapMomentKind.Unchoked).Select(m => m.Peer).ToHashSet();
        Assert.Equal(reveals.Select(m => m.Peer).ToHashSet(), unchoked);
        Assert.All(moments, m => Assert.Equal(0, m.PiecesLeft)); // a seed lacks nothing
        Assert.Equal(moments.OrderBy(m => m.At), moments); // oldest first
        Assert.DoesNotContain(moments, m => m.Kind == PieceMapMomentKind.EndgameBegan);
    }

    /// <summary>A scripted downloader: handshakes with the fast extension on, says interested.</summary>
    private static async Task<PeerConnection> ConnectAsync(MockSwarm swarm, Seeder seeder)
    {
        var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), swarm.Built.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = swarm.Built.Torrent.PieceCount, AdvertiseFast = true }, Ct);
        await connection.SendAsync(PeerMessage.HaveNone, Ct);
        await connection.SendInterestedAsync(Ct);
        return connection;
    }

    private static async Task<PeerMessage> NextAsync(PeerConnection connection, MessageKind kind)
    {
        while (true)
        {
            var message = await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            if (message.Kind == kind) return message;
        }
    }
}
