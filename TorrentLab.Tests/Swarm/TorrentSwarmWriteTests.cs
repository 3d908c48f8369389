using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm engine's hand-overs (<c>TorrentSwarm.Pieces.cs</c>): a piece of 1 MiB or more goes past the page
/// cache and waits for the device, so the receive loop that verified one hands it to a write of its own and goes on
/// receiving; with fewer peers delivering than cores, a loop hands over every piece it completes, check and write. At
/// most two wait at once; a failed write fails the download; disposing the session waits for what was handed over
/// before the caller closes the storage.</summary>
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
    public async Task SmallPieces_APeerDeliveringOnEveryCore_TheLoopChecksAndWritesItself()
    {
        const int small = 256 * 1024;
        await using var download = new HeldDownload(pieceLength: small, cores: 1); // one peer delivering: every core has a loop
        var (storage, session) = (download.Storage, download.Swarm);

        await Until(() => storage.Pending == 1, "the first write held");
        // The loop sits in that write: nothing more is stored (a loop that handed it over would be receiving on).
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        Assert.Equal(1, storage.Pending);
        Assert.Equal(small, session.Pieces.DownloadedBytes);

        storage.Release();
        await session.Completion.WaitAsync(Patience, Ct);
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
    public async Task DisposeAsync_WaitsForTheWritesHandedOver_SoNoneOutlivesTheStorage()
    {
        await using var download = new HeldDownload();
        var (storage, session) = (download.Storage, download.Swarm);
        await Until(() => storage.Pending == 2, "two writes held");

        var disposing = session.DisposeAsync().AsTask();
        // The peers stop at once; only the held writes keep it from returning (its deadline is ten seconds).
        await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromMilliseconds(500), Ct));
        Assert.False(disposing.IsCompleted, "the session was disposed while two of its writes were still held");

        storage.Release();
        await disposing.WaitAsync(Patience, Ct);

        Assert.Equal(0, storage.Pending);
        Assert.Equal(2, storage.Written);
        Assert.Equal(2, session.WrittenSnapshot().Count);
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
