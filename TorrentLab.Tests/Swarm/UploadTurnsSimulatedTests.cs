using System.Globalization;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The upload limit's turns (<c>Swarm/UploadTurns.cs</c>) in the unchanged engine on the simulated network: a
/// seed under a limit, and peers the test plays by hand, each on a host of its own. A peer that reads slowly (a host
/// with a small download, so the seed's sends to it wait for room) must not stall a peer beside it that reads at the
/// whole rate.</summary>
/// <remarks>Before, the slow reader came back for tokens every 60 ms, never StaleAfter late, and held turns of 0.3-0.6 s:
/// the honest peer went without a block 21 times over 100 ms in 20 s, the longest 552 ms (760 and 272 KB/s). Now the
/// longest is 32 ms (767 and 273 KB/s).</remarks>
[Trait("Tier", "Slow")] // a process of its own
public class UploadTurnsSimulatedTests
{
    private const int Block = WireLimits.BlockLength;
    private const long Limit = 1 << 20; // 1 MiB/s: turns of 32 blocks, a block every 15.6 ms

    /// <summary>A block every 60 ms (16 KiB / 0.06 s, 273 KB/s): about a quarter of the limit.</summary>
    private const long SlowDown = Block * 1000L / 60;

    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(20);

    [Fact]
    public void ASlowReaderBesideAnHonestPeer_NeverLeavesTheHonestPeerWithoutABlockForMoreThan100Ms() =>
        Simulated.Passes(SlowReaderBesideAnHonestPeer, seed: 84);

    internal static async Task SlowReaderBesideAnHonestPeer(SimRun sim)
    {
        // 160 pieces of 256 KiB (40 MiB): more than the 20 s measured at the limit, so nobody runs out of blocks to ask.
        var built = TestTorrents.SingleFile(length: 160 * 256 * 1024, pieceLength: 256 * 1024, announce: null, seed: 84);
        var seedHost = sim.Network.AddHost("seed", LinkSpec.Fast);
        await using var session = Session.Start(sim.SessionOn(seedHost, new SessionSettings
        {
            ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false, Encryption = EncryptionPolicy.Off,
        }));
        var options = new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine,
            UploadLimit = new RateLimit(Limit, clock: sim.Clock),
        };
        await using var swarm = new TorrentSwarm(session, built.Torrent, options, new FakePieceStorage { ReadsZeros = true },
            Bitfield.Full(built.Torrent.PieceCount), downloading: false);
        swarm.Start();
        var seed = new IPEndPoint(seedHost.Address, session.Port);
        await EndFirstCopyAsync(sim, swarm, seed);

        // The honest peer reads all that comes; the slow one is behind a download of a quarter of the limit. Each keeps
        // more requests queued at the seed than a turn sends (64 and 128 blocks): what each gets is what the seed sends
        // it, never all it asked for.
        await using var honest = await Reader.ConnectAsync(sim, "honest", LinkSpec.Fast, seed, built.Torrent, pipeline: 64);
        await using var slow = await Reader.ConnectAsync(sim, "slow", new LinkSpec(TimeSpan.FromMilliseconds(5), DownBytesPerSecond: SlowDown),
            seed, built.Torrent, pipeline: 128);
        Assert.True(await sim.WaitUntil(() => honest.Arrivals.Count > 0 && slow.Arrivals.Count > 0, TimeSpan.FromSeconds(10)),
            "a peer got no block");
        var from = sim.Clock.Now + TimeSpan.FromSeconds(1); // both are served by then
        await sim.Delay(Measured + TimeSpan.FromSeconds(1));
        var to = from + Measured;

        var got = honest.Arrivals.Where(t => t >= from && t < to).ToList();
        var gaps = got.Zip(got.Skip(1), (a, b) => b - a).ToList();
        var longest = gaps.Max();
        var honestRate = got.Count * (double)Block / Measured.TotalSeconds;
        var slowRate = slow.Arrivals.Count(t => t >= from && t < to) * (double)Block / Measured.TotalSeconds;
        var over = gaps.Count(g => g > TimeSpan.FromMilliseconds(100));
        sim.Log.Line("scenario", string.Create(CultureInfo.InvariantCulture,
            $"honest {honestRate / 1000:F0} KB/s, longest gap {longest.TotalMilliseconds:F1} ms, {over} over 100 ms; slow {slowRate / 1000:F0} KB/s"));

        Assert.True(longest <= TimeSpan.FromMilliseconds(100),
            $"the honest peer went {longest.TotalMilliseconds:F1} ms without a block ({over} gaps over 100 ms in {Measured.TotalSeconds} s)");
        // The limit is shared, not lost: the two together get about all of it, the slow one about all it can read.
        Assert.InRange(honestRate + slowRate, 0.95 * Limit, 1.05 * Limit);
        Assert.InRange(slowRate, 0.8 * SlowDown, 1.02 * SlowDown);
    }

    /// <summary>Another complete source in sight ends a lone seed's first copy for good (turns wait while it lasts: it
    /// orders the peers itself); the other seed is dropped at once.</summary>
    private static async Task EndFirstCopyAsync(SimRun sim, TorrentSwarm swarm, IPEndPoint seed)
    {
        var host = sim.Network.AddHost("other seed", LinkSpec.Fast);
        await using (var other = await PeerConnection.ConnectAsync(seed, swarm.Torrent.InfoHash, PeerId.CreateOurs(),
            new PeerConnectionOptions { PieceCount = swarm.Torrent.PieceCount, Network = host, Time = sim.Clock }, CancellationToken.None))
        {
            await other.SendBitfieldAsync(Bitfield.Full(swarm.Torrent.PieceCount), CancellationToken.None);
            Assert.True(await sim.WaitUntil(() => swarm.FirstCopy is { Active: false } && swarm.PeersSnapshot().Length == 0,
                TimeSpan.FromSeconds(5)), "the first copy did not end");
        }
    }

    /// <summary>A downloader the test plays: it keeps <c>pipeline</c> requests queued at the seed (the next blocks of the
    /// torrent, round and round) and notes when each block arrives.</summary>
    private sealed class Reader : IAsyncDisposable
    {
        private readonly SimRun _sim;
        private readonly PeerConnection _connection;
        private readonly int _blocks;
        private readonly Task _reading;
        private int _next;

        private readonly int _pipeline;

        private Reader(SimRun sim, PeerConnection connection, int blocks, int pipeline)
        {
            _sim = sim;
            _connection = connection;
            _blocks = blocks;
            _pipeline = pipeline;
            _reading = ReadAsync();
        }

        /// <summary>When each block arrived.</summary>
        public List<TimeSpan> Arrivals { get; } = [];

        public static async Task<Reader> ConnectAsync(SimRun sim, string name, LinkSpec link, IPEndPoint seed, TorrentLab.Metainfo.Torrent torrent, int pipeline)
        {
            var host = sim.Network.AddHost(name, link);
            var connection = await PeerConnection.ConnectAsync(seed, torrent.InfoHash, PeerId.CreateOurs(), new PeerConnectionOptions
            {
                PieceCount = torrent.PieceCount, AdvertiseFast = true, Network = host, Time = sim.Clock,
                KeepAliveInterval = TimeSpan.FromDays(1), IdleTimeout = TimeSpan.FromDays(1),
            }, CancellationToken.None);
            await connection.SendAsync(PeerMessage.HaveNone, CancellationToken.None);
            await connection.SendInterestedAsync(CancellationToken.None);
            return new Reader(sim, connection, (int)(torrent.TotalLength / Block), pipeline);
        }

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await _connection.ReceiveAsync(CancellationToken.None);
                    switch (message.Kind)
                    {
                        case MessageKind.Unchoke:
                            await RequestAsync(_pipeline);
                            break;
                        case MessageKind.Piece:
                            Arrivals.Add(_sim.Clock.Now);
                            await RequestAsync(1);
                            break;
                    }
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException or IOException or ObjectDisposedException) { }
        }

        private async Task RequestAsync(int count)
        {
            for (var i = 0; i < count; i++, _next = (_next + 1) % _blocks)
                await _connection.SendRequestAsync(_next * Block / (256 * 1024), _next * Block % (256 * 1024), Block, CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            await _connection.DisposeAsync();
            await _reading;
        }
    }
}
