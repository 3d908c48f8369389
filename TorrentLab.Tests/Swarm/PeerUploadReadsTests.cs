using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/PeerUpload.Sender.cs</c>: how a seed reads the blocks it sends. Consecutive blocks of one piece
/// queued together are read with one storage read (each read is a hop to another thread; a seed feeding two fast
/// downloaders on a loaded machine waited for eight per send, issue 84). A peer the test plays asks over a real loopback
/// socket; the swarm's clock never moves, so no timer acts.</summary>
public class PeerUploadReadsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const int Block = 16 * 1024;
    private const int BlocksPerPiece = 8;

    /// <summary>The payload in memory; records every read, and holds the reads while <see cref="Hold"/> is set.</summary>
    private sealed class RecordingStorage(byte[] payload) : IPieceStorage
    {
        private readonly ConcurrentQueue<(int Index, int Begin, int Length)> _reads = new();
        private volatile TaskCompletionSource? _gate;
        private int _waiting;

        public IReadOnlyList<(int Index, int Begin, int Length)> Reads => [.. _reads];

        /// <summary>Reads wait from now until <see cref="Release"/>.</summary>
        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate?.TrySetResult();

        /// <summary>Reads waiting at the gate now.</summary>
        public int Waiting => Volatile.Read(ref _waiting);

        public async ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default)
        {
            _reads.Enqueue((index, begin, buffer.Length));
            if (_gate is { } gate)
            {
                Interlocked.Increment(ref _waiting);
                try { await gate.Task.WaitAsync(cancellation); }
                finally { Interlocked.Decrement(ref _waiting); }
            }
            payload.AsMemory(index * BlocksPerPiece * Block + begin, buffer.Length).CopyTo(buffer);
        }

        public ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default) =>
            ValueTask.FromException(new InvalidOperationException("a seed writes nothing"));

        public ValueTask FlushAsync(CancellationToken cancellation = default) => ValueTask.CompletedTask;

        public void Dispose() { }
    }

    /// <summary>A leecher the test plays: it records the blocks it receives.</summary>
    private sealed class Leecher : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(int Index, int Begin, byte[] Data)> _blocks = new();
        private readonly Task _reading;
        private volatile bool _unchoked;

        public Leecher(PeerConnection connection)
        {
            Connection = connection;
            _reading = ReadAsync();
        }

        public PeerConnection Connection { get; }
        public bool Unchoked => _unchoked;
        public IReadOnlyList<(int Index, int Begin, byte[] Data)> Blocks => [.. _blocks];

        private async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    var message = await Connection.ReceiveAsync(Ct);
                    if (message.Kind == MessageKind.Unchoke) _unchoked = true;
                    if (message.Kind == MessageKind.Piece) _blocks.Enqueue((message.Index, message.Begin, message.Payload.ToArray()));
                }
            }
            catch (Exception e) when (e is WireException or OperationCanceledException) { }
        }

        /// <summary>Asks for <paramref name="count"/> consecutive blocks of <paramref name="index"/> in one write.</summary>
        public ValueTask AskAsync(int index, int first, int count) =>
            Connection.SendAsync(Enumerable.Range(first, count).Select(b => PeerMessage.Request(index, b * Block, Block)).ToArray(), Ct);

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await _reading;
        }
    }

    [Fact]
    public async Task EightConsecutiveBlocksQueuedTogether_AreReadWithOneRead_AndArriveWhole()
    {
        var built = TestTorrents.SingleFile(length: 8 * BlocksPerPiece * Block, pieceLength: BlocksPerPiece * Block, announce: null, seed: 84);
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
            Encryption = EncryptionPolicy.Off, Time = new ManualClock(),
        });
        var storage = new RecordingStorage(built.Payload);
        await using var swarm = new TorrentSwarm(session, built.Torrent, new DownloadOptions { OutputDirectory = "." }, storage,
            Bitfield.Full(built.Torrent.PieceCount), downloading: false);
        swarm.Start();
        var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), built.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount }, Ct);
        await using var leecher = new Leecher(connection);
        await connection.SendInterestedAsync(Ct);
        Assert.True(await Wait.UntilAsync(() => leecher.Unchoked, Patience, Ct), "the seed never unchoked the leecher");

        // Two pieces first: the seed's rate to it (on a clock that never moves, bytes over one second) reaches the
        // rate at which a send carries eight blocks (PeerUpload.BlocksPerSendAt).
        await leecher.AskAsync(0, 0, BlocksPerPiece);
        await leecher.AskAsync(1, 0, BlocksPerPiece);
        Assert.True(await Wait.UntilAsync(() => leecher.Blocks.Count == 2 * BlocksPerPiece, Patience, Ct), "the first two pieces never arrived");
        Assert.Equal(BlocksPerPiece, PeerUpload.BlocksPerSendAt(swarm.PeersSnapshot()[0].Up.BytesPerSecond));

        // One block whose read the storage holds; then eight consecutive blocks of piece 3, queued while it is held.
        storage.Hold();
        await leecher.AskAsync(2, 0, 1);
        Assert.True(await Wait.UntilAsync(() => storage.Waiting == 1, Patience, Ct), "the held read never began");
        await leecher.AskAsync(3, 0, BlocksPerPiece);
        var ours = swarm.PeersSnapshot()[0];
        Assert.True(await Wait.UntilAsync(() => ours.QueuedUploads == BlocksPerPiece, Patience, Ct), "the eight requests were never queued");
        var before = storage.Reads.Count;
        storage.Release();

        Assert.True(await Wait.UntilAsync(() => leecher.Blocks.Count == 2 * BlocksPerPiece + 1 + BlocksPerPiece, Patience, Ct),
            $"the blocks never all arrived ({leecher.Blocks.Count})");
        Assert.Equal([(3, 0, BlocksPerPiece * Block)], storage.Reads.Skip(before));
        foreach (var (index, begin, data) in leecher.Blocks)
            Assert.Equal(built.Payload.AsSpan(index * BlocksPerPiece * Block + begin, Block).ToArray(), data);
    }

    [Theory]
    [InlineData(1)] // one block
    [InlineData(8)] // a piece's eight blocks in order
    public void RunLength_ConsecutiveWholeBlocksOfOnePiece_AreOneRun(int count)
    {
        var requests = Enumerable.Range(0, count).Select(b => PeerMessage.Request(5, b * Block, Block)).ToArray();
        Assert.Equal(count, PeerUpload.RunLength(requests, 0, count));
    }

    [Fact]
    public void RunLength_StopsAtAGap_AnotherPiece_OrAShortBlock()
    {
        PeerMessage[] requests =
        [
            PeerMessage.Request(1, 0, Block), PeerMessage.Request(1, Block, Block),
            PeerMessage.Request(1, 3 * Block, Block),                               // a gap: block 2 not asked
            PeerMessage.Request(2, 0, Block),                                       // another piece
            PeerMessage.Request(2, Block, 100), PeerMessage.Request(2, Block + 100, Block), // a short block ends a run
        ];
        Assert.Equal(2, PeerUpload.RunLength(requests, 0, requests.Length));
        Assert.Equal(1, PeerUpload.RunLength(requests, 2, requests.Length - 2));
        Assert.Equal(2, PeerUpload.RunLength(requests, 3, requests.Length - 3));
        Assert.Equal(1, PeerUpload.RunLength(requests, 5, 1));
    }
}
