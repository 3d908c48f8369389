using System.Security.Cryptography;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Reference;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reference;

/// <summary>The single-peer story end to end, against the mock swarm over real loopback sockets.</summary>
[Trait("Tier", "Slow")]
public class ReferenceDownloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built SmallTorrent(string announce) =>
        TestTorrents.MultiFile([("a.bin", 70_000), ("sub/b.bin", 50_000), ("empty.txt", 0)], pieceLength: 16 * 1024, announce: announce);

    private static DownloadOptions Options(string output) => new()
    {
        Session = new SessionSettings
        {
            IdleTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
        OutputDirectory = output,
        MaxPeers = 1,
    };

    private static void AssertSameFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
            Assert.Equal(SHA1.HashData(data), SHA1.HashData(File.ReadAllBytes(Path.Combine(output, path))));
    }

    [Fact]
    public async Task RunAsync_OneNormalSeederFromTheTracker_DownloadsEveryFileExactly()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();

        var result = await ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path), null, Ct);

        AssertSameFiles(swarm.Built, folder.Path);
        Assert.Equal(swarm.Built.Payload.Length, result.Downloaded);
        Assert.Equal([swarm.EndPointOf(0).ToString()], result.PeersUsed);
        Assert.Empty(result.BadPeers);
        // The tracker heard started and completed: the download is now counted as complete.
        Assert.Equal(1, swarm.Tracker.GetSwarm(swarm.Built.Torrent.InfoHash).Completed);
    }

    [Fact]
    public async Task RunAsync_SeederSpeakingTheFastExtension_SendsHaveAllInsteadOfABitfield_AndTheDownloadCompletes()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);   // BEP 6 bit set
        using var folder = new TempFolder();
        var received = new System.Collections.Concurrent.ConcurrentQueue<TorrentLab.Wire.MessageKind>();
        var sent = new System.Collections.Concurrent.ConcurrentQueue<TorrentLab.Wire.MessageKind>();
        var options = Options(folder.Path) with
        {
            Trace = e =>
            {
                if (e.Kind is { } kind) (e.Direction == TorrentLab.Wire.WireDirection.Received ? received : sent).Enqueue(kind);
            },
        };

        await ReferenceDownload.RunAsync(swarm.Built.Torrent, options, null, Ct);

        AssertSameFiles(swarm.Built, folder.Path);
        Assert.Contains(TorrentLab.Wire.MessageKind.HaveAll, received);
        Assert.DoesNotContain(TorrentLab.Wire.MessageKind.Bitfield, received);
        Assert.Equal(TorrentLab.Wire.MessageKind.HaveNone, sent.First());   // BEP 6: first, right after the handshake
    }

    [Theory]
    [InlineData(SyntheticBehaviour.NeverUnchokes, false)]
    [InlineData(SyntheticBehaviour.ChokesMidPiece, false)]
    [InlineData(SyntheticBehaviour.DisconnectsAfterBlocks, false)]
    [InlineData(SyntheticBehaviour.CorruptBlock, true)]
    [InlineData(SyntheticBehaviour.LiesInBitfield, false)]
    [InlineData(SyntheticBehaviour.OversizedLength, true)]
    [InlineData(SyntheticBehaviour.WrongInfoHash, true)]
    [InlineData(SyntheticBehaviour.HaveOutOfRange, true)]
    [InlineData(SyntheticBehaviour.Slow, false)]
    public async Task RunAsync_MisbehavingPeerFirst_CompletesFromTheGoodPeerAndDropsTheBadOne(SyntheticBehaviour behaviour, bool isBadPeer)
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [behaviour, SyntheticBehaviour.Normal], Ct);
        using var parent = new TempFolder();
        var output = parent.Combine("out");
        var log = new List<string>();
        // The misbehaving peer is tried first; the good one comes from the tracker.
        var options = Options(output) with { ExtraPeers = [swarm.EndPointOf(0)], Log = log.Add };

        var result = await ReferenceDownload.RunAsync(swarm.Built.Torrent, options, null, Ct);

        AssertSameFiles(swarm.Built, output);
        Assert.Equal(isBadPeer ? 1 : 0, result.BadPeers.Count);
        if (isBadPeer) Assert.Contains(swarm.EndPointOf(0).ToString(), result.BadPeers[0]);
        // Nothing was written beside the output folder.
        Assert.Equal([output], Directory.GetFileSystemEntries(parent.Path));
    }

    [Fact]
    public async Task RunAsync_OnlyBadPeers_FailsWithOneClearErrorNamingEachPeer()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent,
            [SyntheticBehaviour.CorruptBlock, SyntheticBehaviour.WrongInfoHash], Ct);
        using var folder = new TempFolder();

        var error = await Assert.ThrowsAsync<DownloadFailedException>(() =>
            ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path), null, Ct));

        Assert.StartsWith("no peer could deliver the missing", error.Message);
        Assert.Contains(swarm.EndPointOf(0).ToString(), error.Message);
        Assert.Contains(swarm.EndPointOf(1).ToString(), error.Message);
    }

    [Fact]
    public async Task RunAsync_TrackerListsNoPeers_FailsSayingSo()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, Array.Empty<SyntheticBehaviour>(), Ct);
        using var folder = new TempFolder();

        var error = await Assert.ThrowsAsync<DownloadFailedException>(() =>
            ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path), null, Ct));

        Assert.Contains("the tracker listed no peers", error.Message);
    }

    [Fact]
    public async Task DownloadPieceAsync_LastShortPiece_ReturnsExactlyItsVerifiedBytes()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);
        var torrent = swarm.Built.Torrent;
        var last = torrent.PieceCount - 1;

        var bytes = await ReferenceDownload.DownloadPieceAsync(torrent, last, Options(Path.GetTempPath()), Ct);

        Assert.Equal(torrent.GetPieceLength(last), bytes.Length);
        Assert.Equal(swarm.Built.Payload.AsSpan((int)((long)last * torrent.PieceLength)).ToArray(), bytes);
    }

    [Fact]
    public async Task DownloadPieceAsync_V2MetadataWithoutPieceLayers_AsksThePeerForThemAndReturnsThePieceWithoutPadding()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(22), Folder = folder.Path, Behaviours = [SyntheticBehaviour.Normal],
            MakeTorrent = announce => LabTorrent.GenerateV2(new Random(22), folder.Path, announce),
        }, Ct);
        var full = swarm.Torrent.Torrent;
        var bare = Torrent.ParseInfo(full.RawInfo); // what a magnet link yields: the info dictionary alone
        var last = full.PieceCount - 1;

        var bytes = await ReferenceDownload.DownloadPieceAsync(bare, last, Options(folder.Path) with { Trackers = full.TrackerTiers }, Ct);

        Assert.True(full.IsV2Only);
        Assert.True(bare.Files[0].PieceLayer.IsEmpty);
        Assert.Equal(swarm.Torrent.Piece(last).ToArray(), bytes); // the file's last bytes, not the gap that pads the piece
        Assert.Contains(swarm.Log, l => l.Contains("answered a hash request with Hashes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PeerThatLackedThePieceGetsItLater_IsTriedAgainAfterTheOthers()
    {
        // The first peer lacks the last piece until the second peer sends its corrupt copy of it (peers trade): the
        // story must come back to the first peer, not give up when the list runs out.
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(7), Folder = folder.Path, Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.CorruptBlock],
            ConfigurePeer = (options, behaviour, t) => behaviour == SyntheticBehaviour.CorruptBlock
                ? options with { CorruptPieceIndex = t.Torrent.PieceCount - 1 }
                : options with { LatePiece = t.Torrent.PieceCount - 1 },
        }, Ct);
        var torrent = swarm.Torrent.Torrent;
        var output = Path.Combine(folder.Path, "out");
        var options = Options(output) with { Trackers = [], ExtraPeers = [swarm.Peers[0].EndPoint, swarm.Peers[1].EndPoint] };

        var result = await ReferenceDownload.RunAsync(torrent, options, null, Ct);

        Assert.Equal(swarm.Torrent.Payload, File.ReadAllBytes(Path.Combine(output, torrent.Name)));
        Assert.Contains(swarm.Peers[1].EndPoint.ToString(), Assert.Single(result.BadPeers));
        Assert.Contains(swarm.Peers[0].EndPoint.ToString(), result.PeersUsed);
    }

    [Fact]
    public async Task RunAsync_CancelledPartWay_SavesTheLedgerAndASecondRunFetchesOnlyTheRest()
    {
        // A slow seeder, so the cancel lands mid-download.
        await using var swarm = await MockSwarm.StartAsync(url => TestTorrents.SingleFile(length: 40 * 16 * 1024, pieceLength: 16 * 1024, announce: url),
            [o => o with { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(15) }], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.Torrent;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var progress = new Callback<DownloadProgress>(p => { if (p.PiecesDone >= 10) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ReferenceDownload.RunAsync(torrent, Options(folder.Path) with { RequestsPerPeer = 4 }, progress, cancel.Token));

        var saved = new ResumeLedger(torrent, folder.Path).Validate();
        Assert.True(saved.IsTrusted, saved.Reason);
        var done = saved.Trusted!.Count;
        Assert.InRange(done, 10, torrent.PieceCount - 1);

        var result = await ReferenceDownload.RunAsync(torrent, Options(folder.Path), null, Ct);

        AssertSameFiles(swarm.Built, folder.Path);
        Assert.Equal(done, result.PiecesFromResume);
        Assert.Equal((long)(torrent.PieceCount - done) * torrent.PieceLength, result.Downloaded);
    }

    [Fact]
    public async Task RunAsync_NoResume_IgnoresTheLedgerAndDownloadsEverythingAgain()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        await ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path), null, Ct);

        var again = await ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path) with { Resume = false }, null, Ct);
        var resumed = await ReferenceDownload.RunAsync(swarm.Built.Torrent, Options(folder.Path), null, Ct);

        Assert.Equal(swarm.Built.Payload.Length, again.Downloaded);
        Assert.Equal(0, resumed.Downloaded);
        Assert.Equal(swarm.Built.Torrent.PieceCount, resumed.PiecesFromResume);
    }

    [Fact]
    public async Task RunAsync_FilesChangedSinceTheLedger_FallsBackToAHashCheckAndRefetchesTheDamage()
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.Torrent;
        await ReferenceDownload.RunAsync(torrent, Options(folder.Path), null, Ct);
        var file = Path.Combine(folder.Path, "folder", "a.bin");
        var bytes = File.ReadAllBytes(file);
        bytes[5] ^= 0xff; // damage piece 0
        File.WriteAllBytes(file, bytes);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));

        var result = await ReferenceDownload.RunAsync(torrent, Options(folder.Path), null, Ct);

        AssertSameFiles(swarm.Built, folder.Path);
        Assert.Equal(torrent.PieceCount - 1, result.PiecesFromResume);
        Assert.Equal(torrent.PieceLength, result.Downloaded);
    }

    [Theory]
    [InlineData(true)]   // no space left on device
    [InlineData(false)]  // permission denied
    public async Task RunAsync_StorageWriteFails_StopsWithTheStorageErrorAndALedgerListingOnlyWrittenPieces(bool outOfSpace)
    {
        await using var swarm = await MockSwarm.StartAsync(SmallTorrent, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.Torrent;
        var storage = new FakePieceStorage
        {
            WriteFailure = write => write <= 2
                ? null
                : new StorageException(outOfSpace ? "no space left on device" : "permission denied", isOutOfSpace: outOfSpace),
        };
        var options = Options(folder.Path) with { OpenStorage = (_, _) => storage };

        var error = await Assert.ThrowsAsync<StorageException>(() => ReferenceDownload.RunAsync(torrent, options, null, Ct));

        Assert.Equal(outOfSpace, error.IsOutOfSpace);
        var ledger = new ResumeLedger(torrent, folder.Path);
        Assert.True(File.Exists(ledger.FilePath));
        Assert.Equal(2, LedgerInspector.SavedPieces(ledger.FilePath)); // only the pieces that reached the disk
    }

    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
