using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

[Trait("Tier", "Slow")]
public class SeederTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Seeder> StartSeederAsync(MockSwarm swarm, int uploadSlots = 4)
    {
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        return await Seeder.StartAsync(swarm.Built.Torrent, swarm.Options(data) with { UploadSlots = uploadSlots }, ct: Ct);
    }

    /// <summary>What feeds <c>seed</c>'s checking line: the bytes re-hashed, reported as the data on disk is verified.</summary>
    [Fact]
    public async Task Start_ReportsTheBytesReHashed_ToTheCheckingProgress()
    {
        await using var swarm = await MockSwarm.StartAsync(1 << 20, 16 * 1024, Ct);
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        var reports = new List<long>();
        var checking = new Recorder(r => { lock (reports) reports.Add(r); });

        await using var seeder = await Seeder.StartAsync(swarm.Built.Torrent, swarm.Options(data) with { Checking = checking }, ct: Ct);

        lock (reports)
        {
            Assert.NotEmpty(reports);
            Assert.Equal(swarm.Built.Torrent.TotalLength, reports.Max());
        }
    }

    private sealed class Recorder(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    [Fact]
    public void ThreeDownloadersAndOurSeeder_AllFinishWithTheRightDataAndTheChokedOneIsFedByTheOthers() =>
        Simulated.Passes(ThreeDownloaders, seed: 3);

    /// <summary>On the simulated network, each peer a host of its own; each downloader is told of the seed and of the
    /// downloaders before it (what a tracker would answer), and PEX tells the rest.</summary>
    internal static async Task ThreeDownloaders(SimRun sim)
    {
        var built = TestTorrents.SingleFile(1 << 20, pieceLength: 16 * 1024, announce: null, seed: 3);
        var link = new LinkSpec(TimeSpan.FromMilliseconds(10), 4 << 20, 16 << 20);
        var seedHost = sim.Network.AddHost("seed", link);
        var hosts = new[] { "a", "b", "c" }.Select(n => sim.Network.AddHost(n, link)).ToList();
        built.WritePayload(sim.FolderOf(seedHost));
        var settings = new SessionSettings { ListenPort = 6881, Dht = false };
        await using var seedSession = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
        // Two upload slots (one regular, one optimistic): the third downloader must get its pieces from the others.
        await using var seeder = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(seedSession, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine, UploadSlots = 2,
        }, allowPartial: false);
        using var seeding = new CancellationTokenSource();
        var finished = 0;
        var sessions = hosts.Select(h => TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(h, settings))).ToList();
        try
        {
            var results = await Task.WhenAll(hosts.Select((h, i) => TorrentLab.Client.TorrentClient.DownloadAsync(sessions[i], built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(h), Trackers = [], Log = h.LogLine, SeedAfterDownload = true, StallTimeout = TimeSpan.FromSeconds(25),
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881), .. hosts.Take(i).Select(o => new IPEndPoint(o.Address, 6881))],
            }, new Callback(p =>
            {
                // Every downloader keeps seeding until all three are done, then all stop together.
                if (p.PiecesDone == p.PieceCount && ++finished == 3) seeding.Cancel();
            }, once: true), seeding.Token))).WaitAsync(TimeSpan.FromSeconds(60), sim.Clock);

            foreach (var h in hosts) Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(h), "payload.bin")));
            Assert.True(seeder.Uploaded > 0);
            // Which downloaders end up feeding the third depends on who finishes first, so only the sums are asserted:
            // some payload went between downloaders, and every byte of the three copies was uploaded by someone.
            var uploads = $"uploaded: {string.Join(", ", results.Select(r => r.Uploaded))}; seeder {seeder.Uploaded}";
            Assert.True(results.Sum(r => r.Uploaded) > 0, uploads);
            Assert.True(seeder.Uploaded + results.Sum(r => r.Uploaded) >= 3 * built.Torrent.TotalLength, uploads);
            Assert.All(results, r => Assert.Empty(r.BadPeers));
            sim.Log.Line("scenario", $"all three complete at {sim.Clock.Now}; {uploads}");
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }
    }

    [Fact]
    public async Task Seeder_DialsTheTrackersPeers_FeedingALeecherThatNeverDialsAndDroppingASeed()
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 16 * 1024, Ct);
        var seed = await swarm.AddAsync(TorrentLab.Lab.SyntheticBehaviour.Normal, announce: true, Ct); // a tracker peer that is a seed
        // A leecher that only listens (as Transmission does on loopback): it announces, and waits to be dialled.
        using var leecher = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        leecher.Start();
        var leecherPort = ((IPEndPoint)leecher.LocalEndpoint).Port;
        using (var client = new TorrentLab.Tracker.TrackerClient([[swarm.Tracker.HttpAnnounceUrl]]))
            await client.AnnounceAsync(new TorrentLab.Tracker.AnnounceRequest(swarm.Built.Torrent.InfoHash, PeerId.CreateOurs(), leecherPort,
                0, 0, swarm.Built.Torrent.TotalLength, TorrentLab.Tracker.AnnounceEvent.Started), Ct);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);

        await using var seeder = await Seeder.StartAsync(swarm.Built.Torrent,
            swarm.Options(data, log.Enqueue).WithSession(s => s with { Encryption = EncryptionPolicy.Off }), ct: Ct);
        using var socket = await leecher.AcceptSocketAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        using var connection = await PeerConnection.AcceptAsync(socket, [swarm.Built.Torrent.InfoHash], PeerId.CreateOurs(),
            new PeerConnectionOptions { PieceCount = swarm.Built.Torrent.PieceCount }, Ct);
        var first = await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(MessageKind.Bitfield, first.Kind);
        Assert.True(connection.PeerPieces!.IsComplete);
        await Wait.UntilAsync(() => log.Any(l => l.Contains($"{seed.EndPoint}: disconnected (both sides are seeds)", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), Ct);
        Assert.Contains(log, l => l.Contains($"{seed.EndPoint}: disconnected (both sides are seeds)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_IncompleteData_RefusesToSeedUnlessPartialIsAllowed()
    {
        await using var swarm = await MockSwarm.StartAsync(512 * 1024, 16 * 1024, Ct);
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        var (first, _) = swarm.Built.Files[0];
        await using (var stream = File.OpenWrite(Path.Combine(data, first))) stream.WriteByte(0x55); // breaks piece 0

        var error = await Assert.ThrowsAsync<SwarmException>(() => Seeder.StartAsync(swarm.Built.Torrent, swarm.Options(data), ct: Ct));
        await using var partial = await Seeder.StartAsync(swarm.Built.Torrent, swarm.Options(data), allowPartial: true, Ct);

        Assert.Contains("incomplete", error.Message);
        Assert.Equal(swarm.Built.Torrent.PieceCount - 1, partial.PiecesAvailable);
    }

    /// <summary>A raw connection to our seeder: handshake done, bitfield read.</summary>
    private static async Task<PeerConnection> ConnectAsync(MockSwarm swarm, Seeder seeder)
    {
        var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, seeder.Port), swarm.Built.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = swarm.Built.Torrent.PieceCount, IdleTimeout = TimeSpan.FromSeconds(10) }, Ct);
        var first = await connection.ReceiveAsync(Ct);
        Assert.Equal(MessageKind.Bitfield, first.Kind);
        Assert.True(connection.PeerPieces!.IsComplete);
        return connection;
    }

    private static async Task UnchokedAsync(PeerConnection connection)
    {
        await connection.SendInterestedAsync(Ct);
        while ((await connection.ReceiveAsync(Ct)).Kind != MessageKind.Unchoke) { }
    }

    [Fact]
    public async Task Seeder_ServesAValidRequestWithTheRightBytes()
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 32 * 1024, Ct);
        await using var seeder = await StartSeederAsync(swarm);
        await using var connection = await ConnectAsync(swarm, seeder);
        await UnchokedAsync(connection);

        await connection.SendRequestAsync(3, 16 * 1024, 16 * 1024, Ct);
        var piece = await connection.ReceiveAsync(Ct);

        Assert.Equal((MessageKind.Piece, 3, 16 * 1024), (piece.Kind, piece.Index, piece.Begin));
        Assert.Equal(swarm.Built.Payload.AsSpan(3 * 32 * 1024 + 16 * 1024, 16 * 1024).ToArray(), piece.Payload.ToArray());
        // Uploaded counts a block once its send call returns, which may be just after the block reached us.
        await Wait.UntilAsync(() => seeder.Uploaded >= 16 * 1024, TimeSpan.FromSeconds(30), Ct);
        Assert.True(seeder.Uploaded >= 16 * 1024);
    }

    [Theory]
    [InlineData(0, 0, 32 * 1024, "limit is 16384")]      // more than 16 KiB: BEP 3 says close
    [InlineData(2, 24 * 1024, 16 * 1024, "which has")]   // runs past the end of the 32 KiB piece
    public async Task Seeder_OversizedOrOutOfRangeRequest_DropsAndBansThePeer(int index, int begin, int length, string reason)
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 32 * 1024, Ct);
        await using var seeder = await StartSeederAsync(swarm);
        await using var connection = await ConnectAsync(swarm, seeder);
        await UnchokedAsync(connection);

        await connection.SendRequestAsync(index, begin, length, Ct);

        await Assert.ThrowsAsync<WireException>(async () => { while (true) await connection.ReceiveAsync(Ct); });
        Assert.Contains(seeder.BadPeers, b => b.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Seeder_RequestWhileChoked_IsNotServedAndAFloodOfThemDropsThePeer()
    {
        await using var swarm = await MockSwarm.StartAsync(256 * 1024, 32 * 1024, Ct);
        await using var seeder = await StartSeederAsync(swarm);
        await using var polite = await ConnectAsync(swarm, seeder);
        await using var rude = await ConnectAsync(swarm, seeder);

        await polite.SendRequestAsync(1, 0, 16 * 1024, Ct);   // choked: refused
        await UnchokedAsync(polite);
        await polite.SendRequestAsync(2, 0, 16 * 1024, Ct);
        var answer = await polite.ReceiveAsync(Ct);
        var flood = Enumerable.Range(0, 40).Select(i => PeerMessage.Request(i % 8, 0, 16 * 1024)).ToArray();
        await rude.SendAsync(flood, Ct);

        Assert.Equal((MessageKind.Piece, 2), (answer.Kind, answer.Index)); // the choked request was never answered
        await Assert.ThrowsAsync<WireException>(async () => { while (true) await rude.ReceiveAsync(Ct); });
        Assert.Contains(seeder.BadPeers, b => b.Contains("while choked", StringComparison.Ordinal));
    }

    private sealed class Callback(Action<DownloadProgress> report, bool once = false) : IProgress<DownloadProgress>
    {
        private int _done;
        public void Report(DownloadProgress value)
        {
            if (once && value.PiecesDone == value.PieceCount && Interlocked.Exchange(ref _done, 1) == 1) return;
            report(value);
        }
    }
}
