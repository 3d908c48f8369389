using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 16 super-seeding by our seeder, seen from scripted downloaders on loopback and from libtorrent.</summary>
public class SuperSeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const int PieceLength = 16 * 1024; // one block per piece: a scripted peer fetches a piece with one request

    private static async Task<Seeder> StartSuperSeederAsync(MockSwarm swarm, ConcurrentQueue<string>? log = null)
    {
        var data = swarm.Folder.Combine("seed");
        swarm.Built.WritePayload(data);
        return await Seeder.StartAsync(swarm.Built.Torrent,
            swarm.Options(data, log is null ? null : log.Enqueue).WithSession(s => s with { Encryption = EncryptionPolicy.Off, Dht = false }) with { SuperSeed = true }, ct: Ct);
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

    /// <summary>The next message of one of <paramref name="kinds"/>, skipping the others (keep-alives, unchoke).</summary>
    private static async Task<PeerMessage> NextAsync(PeerConnection connection, params MessageKind[] kinds)
    {
        while (true)
        {
            var message = await connection.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            if (kinds.Contains(message.Kind)) return message;
        }
    }

    [Fact]
    public async Task SuperSeeder_SaysHaveNoneThenRevealsADifferentPieceToEachPeer()
    {
        await using var swarm = await MockSwarm.StartAsync(8 * PieceLength, PieceLength, Ct);
        await using var seeder = await StartSuperSeederAsync(swarm);

        using var a = await ConnectAsync(swarm, seeder);
        using var b = await ConnectAsync(swarm, seeder);

        // BEP 16: it "masquerades as a normal client with no data" (BEP 6's have none in place of an empty bitfield).
        Assert.Equal(MessageKind.HaveNone, (await NextAsync(a, MessageKind.HaveNone, MessageKind.HaveAll, MessageKind.Bitfield)).Kind);
        Assert.Equal(MessageKind.HaveNone, (await NextAsync(b, MessageKind.HaveNone, MessageKind.HaveAll, MessageKind.Bitfield)).Kind);
        var pieceA = (await NextAsync(a, MessageKind.Have)).Index;
        var pieceB = (await NextAsync(b, MessageKind.Have)).Index;
        Assert.NotEqual(pieceA, pieceB);
    }

    [Fact]
    public async Task SuperSeeder_RevealsTheNextPieceOnlyAfterThePreviousSpread_AndRejectsPiecesNotRevealed()
    {
        await using var swarm = await MockSwarm.StartAsync(8 * PieceLength, PieceLength, Ct);
        await using var seeder = await StartSuperSeederAsync(swarm);
        using var a = await ConnectAsync(swarm, seeder);
        using var b = await ConnectAsync(swarm, seeder);
        var pieceA = (await NextAsync(a, MessageKind.Have)).Index;
        var pieceB = (await NextAsync(b, MessageKind.Have)).Index;
        await NextAsync(a, MessageKind.Unchoke);

        // "a" fetches its piece, announces it, then asks for the piece revealed to "b" only.
        await a.SendRequestAsync(pieceA, 0, PieceLength, Ct);
        var block = await NextAsync(a, MessageKind.Piece);
        Assert.Equal(pieceA, block.Index);
        Assert.Equal(swarm.Built.Payload.AsSpan(pieceA * PieceLength, PieceLength).ToArray(), block.Payload.ToArray());
        await a.SendHaveAsync(pieceA, Ct);
        await a.SendRequestAsync(pieceB, 0, PieceLength, Ct);

        // The seeder handles the have before the request, so a piece revealed on "a"'s finish would come before the
        // reject: the reject coming first shows that finishing alone revealed nothing.
        var answer = await NextAsync(a, MessageKind.Have, MessageKind.Reject, MessageKind.Piece);
        Assert.Equal(MessageKind.Reject, answer.Kind); // BEP 16: no access to pieces not revealed; BEP 6: one answer each
        Assert.Equal(pieceB, answer.Index);

        // "b" got "a"'s piece (from "a", as far as the seeder can tell): it has spread, and "a" hears of the next.
        await b.SendHaveAsync(pieceA, Ct);
        var next = (await NextAsync(a, MessageKind.Have)).Index;
        Assert.NotEqual(pieceA, next);
        Assert.NotEqual(pieceB, next);
        Assert.Empty(seeder.BadPeers); // asking for an unrevealed piece is refused, not punished
    }

    [Fact]
    [Trait("Tier", "Slow")] // a process of its own
    public void SuperSeeder_WithAHoarderConnected_ServesASecondDownloaderToCompletion() =>
        Simulated.Passes(Hoarder, seed: 16);

    /// <summary>The hoarder takes the piece revealed to it and never says have; the honest downloader still gets every
    /// piece, once the hoarder's reveal is stale (<see cref="SuperSeeder.StaleAfter"/>, on the simulated clock: the
    /// wait costs nothing, and nothing races it). Each peer is a host of its own; the seeder is unchanged.</summary>
    internal static async Task Hoarder(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: 8 * PieceLength, pieceLength: PieceLength, announce: null, seed: 16);
        var seedHost = sim.Network.AddHost("seed", LinkSpec.Fast);
        built.WritePayload(sim.FolderOf(seedHost));
        await using var session = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(seedHost,
            new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Encryption = EncryptionPolicy.Off, Dht = false }));
        await using var seeder = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(session, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine, SuperSeed = true }, allowPartial: false);
        async Task<PeerConnection> ConnectAsync(string name)
        {
            var host = sim.Network.AddHost(name, LinkSpec.Fast);
            var connection = await PeerConnection.ConnectAsync(new IPEndPoint(seedHost.Address, 6881), built.Torrent.InfoHash, PeerId.CreateOurs(),
                new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount, AdvertiseFast = true, Network = host, Time = sim.Clock }, CancellationToken.None);
            await connection.SendAsync(PeerMessage.HaveNone, CancellationToken.None);
            await connection.SendInterestedAsync(CancellationToken.None);
            return connection;
        }
        // The next message of one of the kinds, within a bound of simulated time.
        async Task<PeerMessage> NextAsync(PeerConnection connection, TimeSpan limit, params MessageKind[] kinds)
        {
            while (true)
            {
                var message = await connection.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(limit, sim.Clock);
                if (kinds.Length == 0 || kinds.Contains(message.Kind)) return message;
            }
        }

        // The hoarder takes the piece revealed to it and never says have.
        using var hoarder = await ConnectAsync("hoarder");
        var hoarded = (await NextAsync(hoarder, TimeSpan.FromSeconds(20), MessageKind.Have)).Index;
        await NextAsync(hoarder, TimeSpan.FromSeconds(20), MessageKind.Unchoke);
        await hoarder.SendRequestAsync(hoarded, 0, PieceLength, CancellationToken.None);
        Assert.Equal(hoarded, (await NextAsync(hoarder, TimeSpan.FromSeconds(20), MessageKind.Piece)).Index);
        var hoardedAt = sim.Clock.Now;

        // The honest downloader fetches each piece revealed to it and announces it, until it has the whole torrent.
        using var honest = await ConnectAsync("honest");
        var got = new Dictionary<int, byte[]>();
        var revealed = new Queue<int>(); // told, not yet requested (a peer's last two pieces are told together)
        var unchoked = false;
        while (got.Count < built.Torrent.PieceCount)
        {
            // A reveal may wait for the hoarder to turn stale, plus the recheck's tick.
            var message = await NextAsync(honest, TimeSpan.FromSeconds(90));
            switch (message.Kind)
            {
                case MessageKind.Unchoke:
                    unchoked = true;
                    break;
                case MessageKind.Have when !got.ContainsKey(message.Index) && !revealed.Contains(message.Index):
                    revealed.Enqueue(message.Index);
                    break;
                case MessageKind.Piece:
                    got[message.Index] = message.Payload.ToArray();
                    await honest.SendHaveAsync(message.Index, CancellationToken.None);
                    break;
            }
            while (unchoked && revealed.TryDequeue(out var piece)) await honest.SendRequestAsync(piece, 0, PieceLength, CancellationToken.None);
        }

        Assert.All(got, p => Assert.Equal(built.Payload.AsSpan(p.Key * PieceLength, PieceLength).ToArray(), p.Value));
        sim.Log.Line("scenario", $"hoarded at {hoardedAt}, the honest peer complete at {sim.Clock.Now}");
        // It waited on the hoarder only until its reveal went stale, never for the backstop (a piece announced
        // SpreadWait ago counts as spread), which alone would have served it too, a SpreadWait a piece.
        Assert.True(sim.Clock.Now - hoardedAt < SuperSeeder.SpreadWait,
            $"the honest peer completed {sim.Clock.Now - hoardedAt} after the hoarding: it waited out the backstop");
    }

    [Theory]
    [Trait("Tier", "Slow")]
    [InlineData(1)] // alone: every reveal waits on the one peer's have
    [InlineData(3)]
    public async Task LibtorrentDownloaders_CompleteFromASuperSeedingSeeder(int count)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-superseed-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromSeconds(5) }, Ct);
        var built = TestTorrents.SingleFile(4 << 20, pieceLength: 64 * 1024, name: "super.bin", announce: tracker.HttpAnnounceUrl, seed: 16);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var log = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Dht = false,
            },
            OutputDirectory = folder.Combine("seed"),
            SuperSeed = true,
            Log = log.Enqueue,
            Trace = e => { if (e.Kind is not (MessageKind.Piece or MessageKind.Request)) log.Enqueue($"{e.Arrow} {e.Name} {e.Fields}"); },
        }, ct: Ct);
        Assert.True(await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct),
            "the seeder never announced");

        var downloaders = Enumerable.Range(0, count).Select(i =>
        {
            Directory.CreateDirectory(folder.Combine($"s{i}"));
            return InteropProcess.LibtorrentDownloader(python, torrentPath, folder.Combine($"lt{i}"), folder.Combine($"s{i}"));
        }).ToList();
        try
        {
            var results = await Task.WhenAll(downloaders.Select(d => d.WaitAsync(InteropProcess.DownloaderPatience, Ct)));

            Assert.All(results, r => Assert.True(r.ExitCode == 0, $"libtorrent: {r.Output}; the seeder's last lines: {string.Join(" | ", log.TakeLast(12))}"));
            for (var i = 0; i < count; i++) Assert.Equal(built.Payload, await File.ReadAllBytesAsync(folder.Combine($"lt{i}", "super.bin"), Ct));
            Assert.Contains(log, l => l.Contains("super-seeding reveals piece", StringComparison.Ordinal));
            TestContext.Current.TestOutputHelper?.WriteLine($"seeder uploaded {seeder.Uploaded} bytes for {count} copies of {built.Payload.Length}");
        }
        finally
        {
            foreach (var d in downloaders) d.Dispose();
        }
    }
}
