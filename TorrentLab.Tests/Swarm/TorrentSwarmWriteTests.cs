using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm engine's hand-overs (<c>TorrentSwarm.Pieces.cs</c>): a piece of 1 MiB or more goes past the page
/// cache and waits for the device, so the receive loop that verified one hands it to a write of its own and goes on
/// receiving; with fewer peers delivering than cores, a loop hands over every piece it completes, check and write. At
/// most two wait at once; a failed write fails the download; disposing the session waits for what was handed over
/// before the caller closes the storage.</summary>
/// <remarks>The two tests whose point is that something does not happen while a write is held run on the simulated
/// network (a process each, in the slow tier), where "not within five seconds" is a state rather than a guess.</remarks>
public class TorrentSwarmWriteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Bounds every wait: generous, since the assertions are about what happened, never about how fast.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const int PieceLength = 1024 * 1024, Pieces = 6; // pieces this long are written past the page cache

    /// <summary>A session downloading from a synthetic seeder into <see cref="HeldStorage"/>, started; disposing it
    /// disposes the session (again, if the test did), the seeder and the folder.</summary>
    private sealed class HeldDownload : IAsyncDisposable
    {
        private readonly TempFolder _folder = new("torrentlab-writes");
        private readonly SyntheticPeer _seeder;
        private readonly Session _session;

        /// <param name="failure">What every write throws once released (null: writes succeed).</param>
        /// <param name="pieceLength">The torrent's piece length (six pieces).</param>
        /// <param name="cores">The cores the session believes it has.</param>
        public HeldDownload(StorageException? failure = null, int pieceLength = PieceLength, int cores = 2)
        {
            Built = TestTorrents.SingleFile(length: Pieces * pieceLength, pieceLength: pieceLength, name: "held.bin", announce: null, seed: 29);
            _seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(Built.Torrent, Built.Payload));
            Storage = new HeldStorage(Built.Torrent) { Failure = failure };
            _session = Session.Start(new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
                Transport = PeerTransport.Tcp,
                Dht = false,
            });
            Swarm = new TorrentSwarm(_session, Built.Torrent, new DownloadOptions
            {
                OutputDirectory = _folder.Path,
                ExtraPeers = [_seeder.EndPoint],
            }, Storage, new Bitfield(Built.Torrent.PieceCount), downloading: true) { Cores = cores };
            Swarm.Start();
        }

        public TestTorrents.Built Built { get; }
        public HeldStorage Storage { get; }
        public TorrentSwarm Swarm { get; }

        public async ValueTask DisposeAsync()
        {
            Storage.Release(); // a held write must not keep the session's disposal waiting
            await Swarm.DisposeAsync();
            await _session.DisposeAsync();
            await _seeder.DisposeAsync();
            _folder.Dispose();
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test with <paramref name="what"/> after
    /// <see cref="Patience"/>.</summary>
    private static Task Until(Func<bool> condition, string what) => Wait.UntilAsync(condition, Patience, $"never happened: {what}", Ct);

    [Fact]
    public async Task HeldWrites_TheReceiveLoopGoesOn_TwoWaitAtMost_AndEveryPieceLandsOnceTheDiskIsBack()
    {
        await using var download = new HeldDownload();
        var (storage, session) = (download.Storage, download.Swarm);

        // The first write never returns while held; a second one starting means the loop went on receiving. A third
        // piece then arrives whole and waits for a slot: its write does not start.
        await Until(() => storage.Pending == 2 && session.Pieces.DownloadedBytes >= 3 * PieceLength, "two writes held and a third piece received");
        Assert.Equal(2, storage.Pending);
        Assert.Equal(0, storage.Written);
        Assert.False(session.Completion.IsCompleted);

        storage.Release();
        await session.Completion.WaitAsync(Patience, Ct);

        Assert.Equal(Pieces, storage.Written);
        Assert.Equal(2, storage.MostPending);
        Assert.Equal(download.Built.Payload, storage.Data);
        Assert.Equal(Pieces, session.WrittenSnapshot().Count);
    }

    [Fact]
    public async Task SmallPieces_OnePeerDelivering_TheLoopHandsOverCheckAndWrite_AndGoesOnReceiving()
    {
        const int small = 256 * 1024; // written through the page cache: the loop keeps these when every core has a loop
        await using var download = new HeldDownload(pieceLength: small, cores: 2);
        var (storage, session) = (download.Storage, download.Swarm);

        // A loop that wrote its own pieces would sit in the first held write; this one received a third piece.
        await Until(() => storage.Pending == 2 && session.Pieces.DownloadedBytes >= 3 * small, "two writes held and a third piece received");
        Assert.Equal(0, storage.Written);
        Assert.True(session.Pieces.HaveCount <= 2, "a piece was checked while both slots were taken");

        storage.Release();
        await session.Completion.WaitAsync(Patience, Ct);

        Assert.Equal(2, storage.MostPending);
        Assert.Equal(download.Built.Payload, storage.Data);
        Assert.Equal(Pieces, session.WrittenSnapshot().Count);
    }

    [Fact]
    [Trait("Tier", "Slow")] // a process of its own
    public void SmallPieces_APeerDeliveringOnEveryCore_TheLoopChecksAndWritesItself() =>
        Simulated.Passes(LoopWritesItself, seed: 1);

    /// <summary>One peer delivering and one core: the loop checks and writes its pieces itself, so while the first
    /// write is held it receives nothing more. On the simulated network the negative is a state: five simulated seconds
    /// with the write held (the whole torrent crosses these links in milliseconds), during which everything that could
    /// run ran before the clock moved.</summary>
    internal static async Task LoopWritesItself(SimRun sim)
    {
        const int small = 256 * 1024;
        await using var download = await SimulatedHeldDownload.StartAsync(sim, small, cores: 1);
        var (storage, swarm) = (download.Storage, download.Swarm);

        Assert.True(await sim.WaitUntil(() => storage.Pending == 1, TimeSpan.FromMinutes(1)), "the first write was never held");
        // The loop sits in that write: nothing more is stored (a loop that handed it over would be receiving on).
        await sim.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(1, storage.Pending);
        Assert.Equal(small, swarm.Pieces.DownloadedBytes);

        storage.Release();
        await swarm.Completion.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock);
        Assert.Equal(1, storage.MostPending);
        Assert.Equal(download.Built.Payload, storage.Data);
    }

    [Fact]
    public async Task AWriteThatFails_FailsTheDownloadWithTheStorageError()
    {
        await using var download = new HeldDownload(new StorageException("no space left on device: held.bin"));
        download.Storage.Release();

        var error = await Assert.ThrowsAsync<StorageException>(() => download.Swarm.Failure.WaitAsync(Patience, Ct));

        Assert.Equal("no space left on device: held.bin", error.Message);
        Assert.False(download.Swarm.Completion.IsCompleted);
        Assert.Equal(0, download.Swarm.WrittenSnapshot().Count); // a piece whose write failed is not on record as written
    }

    [Fact]
    [Trait("Tier", "Slow")] // a process of its own
    public void DisposeAsync_WaitsForTheWritesHandedOver_SoNoneOutlivesTheStorage() =>
        Simulated.Passes(DisposeWaitsForWrites, seed: 2);

    /// <summary>Two writes held, the swarm disposed: its peers stop in simulated milliseconds, and five simulated
    /// seconds later (everything that could run having run) it has still not returned; once the disk answers, it
    /// returns with both pieces written.</summary>
    internal static async Task DisposeWaitsForWrites(SimRun sim)
    {
        await using var download = await SimulatedHeldDownload.StartAsync(sim, PieceLength, cores: 2);
        var (storage, swarm) = (download.Storage, download.Swarm);
        Assert.True(await sim.WaitUntil(() => storage.Pending == 2, TimeSpan.FromMinutes(1)), "two writes were never held");

        var disposing = swarm.DisposeAsync().AsTask();
        // The peers stop at once; only the held writes keep it from returning (its deadline is ten real seconds: the
        // simulated ones pass in a few milliseconds).
        await Task.WhenAny(disposing, sim.Delay(TimeSpan.FromSeconds(5)));
        Assert.False(disposing.IsCompleted, "the session was disposed while two of its writes were still held");

        storage.Release();
        await disposing.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock);

        Assert.Equal(0, storage.Pending);
        Assert.Equal(2, storage.Written);
        Assert.Equal(2, swarm.WrittenSnapshot().Count);
    }

    /// <summary>The download of <see cref="HeldDownload"/> on the simulated network: a TorrentLab seeder on a host of
    /// its own in place of the synthetic one, the swarm on another, both on fast links.</summary>
    private sealed class SimulatedHeldDownload : IAsyncDisposable
    {
        public required TestTorrents.Built Built { get; init; }
        public required HeldStorage Storage { get; init; }
        public required TorrentSwarm Swarm { get; init; }
        private Session Session { get; init; } = null!;
        private Session SeedSession { get; init; } = null!;
        private Seeder Seeder { get; init; } = null!;

        public static async Task<SimulatedHeldDownload> StartAsync(SimRun sim, int pieceLength, int cores)
        {
            var built = TestTorrents.SingleFile(length: Pieces * pieceLength, pieceLength: pieceLength, name: "held.bin", announce: null, seed: 29);
            var seedHost = sim.Network.AddHost("seed", LinkSpec.Fast);
            var host = sim.Network.AddHost("swarm", LinkSpec.Fast);
            built.WritePayload(sim.FolderOf(seedHost));
            var settings = new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false, Encryption = EncryptionPolicy.Off };
            var seedSession = Session.Start(sim.SessionOn(seedHost, settings));
            var seeder = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(seedSession, built.Torrent,
                new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine }, allowPartial: false);
            var session = Session.Start(sim.SessionOn(host, settings));
            var storage = new HeldStorage(built.Torrent);
            var swarm = new TorrentSwarm(session, built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(host), Trackers = [], Log = host.LogLine,
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881)],
            }, storage, new Bitfield(built.Torrent.PieceCount), downloading: true) { Cores = cores };
            swarm.Start();
            return new SimulatedHeldDownload
            {
                Built = built, Storage = storage, Swarm = swarm, Session = session, SeedSession = seedSession, Seeder = seeder,
            };
        }

        public async ValueTask DisposeAsync()
        {
            Storage.Release();
            await Swarm.DisposeAsync();
            await Session.DisposeAsync();
            await Seeder.DisposeAsync();
            await SeedSession.DisposeAsync();
        }
    }

    /// <summary>Storage in memory whose writes wait until <see cref="Release"/>: a disk that stopped answering.</summary>
    private sealed class HeldStorage(Torrent torrent) : IPieceStorage
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private int _pending, _mostPending, _written;

        public byte[] Data { get; } = new byte[torrent.TotalLength];

        /// <summary>Thrown by every write once released (null: writes succeed).</summary>
        public StorageException? Failure { get; init; }

        public int Pending { get { lock (_lock) return _pending; } }
        public int MostPending { get { lock (_lock) return _mostPending; } }
        public int Written { get { lock (_lock) return _written; } }

        public void Release() => _released.TrySetResult();

        public async ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
        {
            lock (_lock) _mostPending = Math.Max(_mostPending, ++_pending);
            try
            {
                await _released.Task.ConfigureAwait(false);
                if (Failure is not null) throw Failure;
                data.Span.CopyTo(Data.AsSpan(checked((int)((long)index * torrent.PieceLength))));
                lock (_lock) _written++;
            }
            finally
            {
                lock (_lock) _pending--;
            }
        }

        public ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default)
        {
            Data.AsSpan(checked((int)((long)index * torrent.PieceLength + begin)), buffer.Length).CopyTo(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public ValueTask FlushAsync(CancellationToken cancellation = default) => ValueTask.CompletedTask;

        public void Dispose() { }
    }
}
