using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Swarm;

namespace TorrentLab.Tests.Client;

/// <summary>A run held as a handle (<c>Client/TorrentRun.cs</c>): it is stopped, not cancelled, and its observer hears
/// once how it ended, whether it downloads, seeds as a record of the session, or fails.</summary>
[Trait("Tier", "Slow")]
public class TorrentRunTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static SessionSettings Loopback() => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Collects a run's log lines and its ends (a run must end once).</summary>
    private sealed class Observer : ITorrentRunObserver
    {
        private readonly TaskCompletionSource<TorrentRunEnd> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Log { get; } = new();
        public ConcurrentQueue<TorrentRunEnd> Ends { get; } = new();
        public DownloadProgress? Last { get; private set; }
        public Task<TorrentRunEnd> End => _first.Task;

        public void Report(DownloadProgress value) => Last = value;

        public void Ended(TorrentRunEnd end)
        {
            Ends.Enqueue(end);
            _first.TrySetResult(end);
        }
    }

    private static async Task<TorrentRun> SeedAsync(Session session, TestTorrents.Built built, string output, Observer observer)
    {
        built.WritePayload(output);
        var run = TorrentClient.Start(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = output,
            SeedAfterDownload = true,
            Log = observer.Log.Enqueue,
        }, observer);
        Assert.True(await Wait.UntilAsync(() => observer.Log.Contains("seeding"), Patience, Ct), "never seeding");
        return run;
    }

    [Fact]
    public async Task Start_CompleteTorrentSeedingUntilStopped_ServesAPeer_AndAStopEndsItCompleted()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "record.bin", announce: null, seed: 41);
        await using var session = Session.Start(Loopback());
        var observer = new Observer();
        var run = await SeedAsync(session, built, folder.Combine("out"), observer);

        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("peer"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, session.Port)],
            StallTimeout = Patience,
            Session = Loopback(),
        }, null, Ct).WaitAsync(Patience, Ct);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("peer", "record.bin")));
        Assert.False(observer.End.IsCompleted);

        await run.StopAsync().WaitAsync(Patience, Ct);

        var end = Assert.Single(observer.Ends); // heard before the stop returned, and once
        Assert.True(end.Stopped);
        Assert.Null(end.Error);
        Assert.NotNull(end.Result);
        Assert.Equal(built.Torrent.PieceCount, end.Result.PiecesFromResume);
        Assert.True(end.Result.Uploaded >= built.Torrent.TotalLength, $"uploaded {end.Result.Uploaded}");
        Assert.Contains("seeding stopped", observer.Log);
        Assert.Equal(0, session.TorrentCount);
        await run.StopAsync().WaitAsync(Patience, Ct); // a second stop: nothing more
        Assert.Single(observer.Ends);
    }

    [Fact]
    public async Task Start_ADownloadThatCompletesAndSeeds_BecomesARecord_AndAStopEndsItWithWhatItDownloaded()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "then-seed.bin", announce: null, seed: 43);
        await using var seedSession = Session.Start(Loopback());
        var seeder = new Observer();
        var seed = await SeedAsync(seedSession, built, folder.Combine("seed"), seeder);
        await using var session = Session.Start(Loopback());
        var observer = new Observer();

        var run = TorrentClient.Start(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seedSession.Port)],
            SeedAfterDownload = true,
            StallTimeout = Patience,
            Log = observer.Log.Enqueue,
        }, observer);
        // Seeding on after its download, the run holds no task: the swarm went on as a record of the session.
        Assert.True(await Wait.UntilAsync(() => run.IsRecord, Patience, Ct), "the run never became a record after its download");
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("out", "then-seed.bin")));
        Assert.False(observer.End.IsCompleted);

        await run.StopAsync().WaitAsync(Patience, Ct);
        await seed.StopAsync().WaitAsync(Patience, Ct);

        var end = Assert.Single(observer.Ends);
        Assert.True(end.Stopped);
        Assert.Null(end.Error);
        Assert.NotNull(end.Result);
        Assert.Equal(built.Torrent.TotalLength, end.Result.Downloaded);
        Assert.Equal(0, end.Result.PiecesFromResume);
        Assert.Equal(0, session.TorrentCount);
    }

    [Fact]
    public void Start_SeedingRecordWhoseDataBecomesUnreadable_EndsWithTheErrorAndLeavesTheSession() =>
        Simulated.Passes(UnreadableRecord, seed: 42);

    /// <summary>On the simulated network: the waking downloader's 3 s without data pass in virtual time.</summary>
    internal static async Task UnreadableRecord(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: 150_000, name: "gone.bin", announce: null, seed: 42);
        var host = sim.Network.AddHost("seed", TorrentLab.Simulation.LinkSpec.Fast);
        var output = sim.FolderOf(host);
        await using var session = Session.Start(sim.SessionOn(host, Loopback() with { ListenPort = 6881 }));
        var observer = new Observer();
        built.WritePayload(output);
        TorrentClient.Start(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = output, Trackers = [], SeedAfterDownload = true,
            Log = line =>
            {
                host.LogLine(line);
                observer.Log.Enqueue(line);
            },
        }, observer);
        Assert.True(await sim.WaitUntil(() => observer.Log.Contains("seeding"), TimeSpan.FromMinutes(1)), "never seeding");

        using var blocker = SeedingTorrentTests.MakeUnreadable(Path.Combine(output, "gone.bin"));
        var (peer, downloader) = SeedingTorrentTests.WakeOnSimulatedNetwork(sim, built, host);
        await using var _ = peer;

        var end = await observer.End.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock);

        Assert.False(end.Stopped);
        Assert.Null(end.Result);
        Assert.True(end.Error is StorageException or IOException, end.Error?.ToString());
        Assert.Contains(observer.Log, line => line.StartsWith("cannot seed any more", StringComparison.Ordinal));
        Assert.Equal(0, session.TorrentCount);
        await Assert.ThrowsAnyAsync<Exception>(() => downloader.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock)); // nothing to get from it
    }

    [Fact]
    public async Task Start_DownloadStoppedBeforeItHasEverything_EndsStoppedWithoutAResult()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "partial.bin", announce: null, seed: 43);
        await using var session = Session.Start(Loopback());
        var observer = new Observer();
        var run = TorrentClient.Start(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), // nothing there, no peer to fetch from
            SeedAfterDownload = true,
            StallTimeout = Patience,
            Log = observer.Log.Enqueue,
        }, observer);
        Assert.True(await Wait.UntilAsync(() => session.TorrentCount == 1, Patience, Ct), "never joined the session");

        await run.StopAsync().WaitAsync(Patience, Ct);

        var end = Assert.Single(observer.Ends);
        Assert.True(end.Stopped);
        Assert.Null(end.Result);
        Assert.Null(end.Error);
        Assert.Equal(0, session.TorrentCount);
    }

    [Fact]
    public async Task Start_OptionsThatContradictEachOther_EndsWithTheError()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 1_000, name: "one.bin", announce: null, seed: 44);
        await using var session = Session.Start(Loopback());
        var observer = new Observer();

        TorrentClient.Start(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Path,
            SeedAfterDownload = true,
            MaxPeers = 1, // the reference path, which does not seed
        }, observer);

        var end = await observer.End.WaitAsync(Patience, Ct);
        Assert.IsType<ArgumentException>(end.Error);
        Assert.False(end.Stopped);
    }

    [Fact]
    public async Task StopAsync_RightAfterTheStart_EndsTheRunOnceAndLeavesNothingInTheSession()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "brief.bin", announce: null, seed: 45);
        var output = folder.Combine("out");
        built.WritePayload(output);
        await using var session = Session.Start(Loopback());
        var observer = new Observer();

        // Wherever the stop finds it (preparing, or seeding as a record already), the run ends once, stopped.
        var run = TorrentClient.Start(session, built.Torrent, new DownloadOptions { OutputDirectory = output, SeedAfterDownload = true }, observer);
        await run.StopAsync().WaitAsync(Patience, Ct);

        var end = Assert.Single(observer.Ends);
        Assert.True(end.Stopped);
        Assert.Null(end.Error);
        Assert.Equal(0, session.TorrentCount);
        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(output, "brief.bin")));
    }
}
