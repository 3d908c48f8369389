using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>A seeding torrent costs almost nothing while no peer wants it (<c>Swarm/SeedingTorrent.cs</c>): no swarm, no
/// open file, no timer until a peer comes, and the swarm is let go again once its peers have left.</summary>
[Trait("Tier", "Slow")]
public class SeedingTorrentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static SessionSettings Loopback(TimeProvider? time = null) => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
        IdleTimeout = TimeSpan.FromMinutes(5), // longer than the grace the clock is moved by: a quiet peer stays connected
        Time = time ?? TimeProvider.System,
    };

    /// <summary>Moves <paramref name="clock"/> a tick at a time until the seeding torrent's swarm, its peers gone and its
    /// rates fallen to zero (a few seconds of virtual time), has stopped its timer and the torrent armed its park timer:
    /// the one timer left. False if that never happened within 100 virtual seconds.</summary>
    private static async Task<bool> ParkTimerArmedAsync(ManualClock clock)
    {
        var tick = TimeSpan.FromMilliseconds(250); // the swarm timer's period
        for (var i = 0; i < 400; i++)
        {
            if (clock.PendingTimers is [var only] && only > tick) return true;
            clock.Advance(tick);
            await Task.Delay(10, Ct); // the swarm's timer handles the tick on the thread pool
        }
        return false;
    }

    /// <summary>Files of this process open below <paramref name="folder"/> (Linux: /proc/self/fd).</summary>
    private static int OpenFilesBelow(string folder)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(root, StringComparison.Ordinal)) count++;
            }
            catch (IOException) { } // closed while we looked
        }
        return count;
    }

    private static DownloadOptions Downloader(string folder, int port) => new()
    {
        OutputDirectory = folder,
        ExtraPeers = [new IPEndPoint(IPAddress.Loopback, port)],
        StallTimeout = Patience,
        Session = Loopback(),
    };

    [Fact]
    public async Task Seeder_WithNoPeer_HoldsNoSwarmNorOpenFile_AndWakesForADownloaderThenSleepsAgain()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 120_000), ("b.bin", 90_000)], name: "sleepy", announce: null, seed: 31);
        var data = folder.Combine("data");
        built.WritePayload(data);
        var clock = new ManualClock();
        await using var session = Session.Start(Loopback(clock));
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = data }, allowPartial: false, Ct);

        Assert.False(seeder.Torrent.IsAwake);
        Assert.Equal(0, OpenFilesBelow(data));
        Assert.Equal(1, session.TorrentCount); // routed to, asleep

        await TorrentClient.DownloadAsync(built.Torrent, Downloader(folder.Combine("first"), session.Port), null, Ct).WaitAsync(Patience, Ct);
        Assert.Equal(built.Files.Single(f => f.Path.EndsWith("a.bin", StringComparison.Ordinal)).Data, File.ReadAllBytes(folder.Combine("first", "sleepy", "a.bin")));
        Assert.Equal(1, seeder.Torrent.Wakes);

        // The downloader has gone: once the swarm has noticed (its park timer is set), the clock moves past the grace.
        Assert.True(await Wait.UntilAsync(() => seeder.ConnectedPeers == 0, Patience, Ct));
        Assert.True(await ParkTimerArmedAsync(clock), "no park timer");
        clock.Advance(SeedingTorrent.ParkAfter);
        Assert.True(await Wait.UntilAsync(() => !seeder.Torrent.IsAwake && OpenFilesBelow(data) == 0, Patience, Ct),
            "the swarm and its files are let go");

        await TorrentClient.DownloadAsync(built.Torrent, Downloader(folder.Combine("second"), session.Port), null, Ct).WaitAsync(Patience, Ct);
        Assert.Equal(built.Files.Single(f => f.Path.EndsWith("b.bin", StringComparison.Ordinal)).Data, File.ReadAllBytes(folder.Combine("second", "sleepy", "b.bin")));
        Assert.Equal(2, seeder.Torrent.Wakes);
        Assert.True(seeder.Uploaded >= 2 * built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}: both swarms count");
    }

    [Fact]
    public async Task SleepingSeeder_WithAPeerWithinTheGrace_KeepsItsSwarm()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "kept.bin", announce: null, seed: 32);
        var data = folder.Combine("data");
        built.WritePayload(data);
        var clock = new ManualClock();
        await using var session = Session.Start(Loopback(clock));
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = data }, allowPartial: false, Ct);
        await TorrentClient.DownloadAsync(built.Torrent, Downloader(folder.Combine("first"), session.Port), null, Ct).WaitAsync(Patience, Ct);
        Assert.True(await Wait.UntilAsync(() => seeder.ConnectedPeers == 0, Patience, Ct));
        Assert.True(await ParkTimerArmedAsync(clock), "no park timer");

        // A peer that stays connected past the grace keeps the swarm: its connection is not cut.
        await using var peer = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), built.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount }, Ct);
        Assert.True(await Wait.UntilAsync(() => seeder.ConnectedPeers == 1, Patience, Ct));
        clock.Advance(SeedingTorrent.ParkAfter);

        Assert.True(seeder.Torrent.IsAwake);
        Assert.Equal(1, seeder.ConnectedPeers);
        Assert.Equal(1, seeder.Torrent.Wakes);
    }

    [Fact]
    public async Task SleepingSeeder_TrackerNamesALeecher_WakesAndDialsIt()
    {
        using var folder = new TempFolder();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromMinutes(30) }, Ct);
        var built = TestTorrents.SingleFile(length: 180_000, name: "dialled.bin", announce: tracker.HttpAnnounceUrl, seed: 33);
        var data = folder.Combine("data");
        built.WritePayload(data);

        // The leecher listens and announces first; it never dials (no peer given, and the tracker has none yet).
        await using var leecherSession = Session.Start(Loopback());
        var leech = TorrentClient.DownloadAsync(leecherSession, built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("leech"),
            StallTimeout = Patience,
        }, null, Ct);
        Assert.True(await Wait.UntilAsync(() => tracker.GetSwarm(built.Torrent.InfoHash).Leechers == 1, Patience, Ct));

        await using var session = Session.Start(Loopback());
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = data }, allowPartial: false, Ct);
        await leech.WaitAsync(Patience, Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("leech", "dialled.bin")));
        Assert.True(seeder.Torrent.Wakes >= 1);
    }

    [Fact]
    public async Task DownloadThenSeed_LetsItsSwarmAndFilesGoOnceThePeerLeaves_AndSeedsAgainOnDemand()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 220_000, name: "handed.bin", announce: null, seed: 34);
        await using var source = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        var clock = new ManualClock();
        await using var session = Session.Start(Loopback(clock));
        var output = folder.Combine("out");
        var progress = new Progress();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = output,
            ExtraPeers = [source.EndPoint],
            StallTimeout = Patience,
            SeedAfterDownload = true,
        }, progress, stop.Token);

        Assert.True(await Wait.UntilAsync(() => progress.Last is { PiecesDone: var done, PieceCount: var all } && done == all, Patience, Ct));
        await source.DisposeAsync(); // the only peer leaves
        Assert.True(await ParkTimerArmedAsync(clock), "no park timer");
        clock.Advance(SeedingTorrent.ParkAfter);
        Assert.True(await Wait.UntilAsync(() => OpenFilesBelow(output) == 0, Patience, Ct), "the seeding torrent holds no file");

        await TorrentClient.DownloadAsync(built.Torrent, Downloader(folder.Combine("next"), session.Port), null, Ct).WaitAsync(Patience, Ct);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("next", "handed.bin")));

        await stop.CancelAsync();
        var result = await run.WaitAsync(Patience, Ct);
        Assert.True(result.Uploaded >= built.Torrent.TotalLength, $"uploaded {result.Uploaded}");
        Assert.Equal(0, session.TorrentCount);
    }

    /// <summary>Writes the torrent's data into <paramref name="output"/> and runs it in <paramref name="session"/> to seed
    /// (checked, then seeding without limits); returns the run once it says it is seeding.</summary>
    private static async Task<Task<DownloadResult>> SeedCompleteAsync(Session session, TestTorrents.Built built, string output,
        ConcurrentQueue<string> log, CancellationToken ct)
    {
        built.WritePayload(output);
        var run = TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = output,
            SeedAfterDownload = true,
            Log = log.Enqueue,
        }, null, ct);
        Assert.True(await Wait.UntilAsync(() => log.Contains("seeding"), Patience, Ct), "never seeding");
        return run;
    }

    /// <summary>Replaces the file at <paramref name="path"/> with something that cannot be opened (a Unix socket:
    /// open(2) fails with ENXIO, even for root); dispose the socket to remove it.</summary>
    internal static Socket MakeUnreadable(string path)
    {
        File.Delete(path);
        var blocker = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        blocker.Bind(new UnixDomainSocketEndPoint(path));
        return blocker;
    }

    /// <summary>On the simulated network: a downloader on a host of its own whose handshake wakes the seeding torrent on
    /// <paramref name="seed"/>'s port 6881; it gives up after 3 s without data. The caller disposes the session.</summary>
    internal static (Session Session, Task<DownloadResult> Download) WakeOnSimulatedNetwork(SimRun sim, TestTorrents.Built built, SimHost seed)
    {
        var host = sim.Network.AddHost("peer", LinkSpec.Fast);
        var session = Session.Start(sim.SessionOn(host, new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false }));
        return (session, TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(host), Trackers = [], Log = host.LogLine,
            ExtraPeers = [new IPEndPoint(seed.Address, 6881)], StallTimeout = TimeSpan.FromSeconds(3),
        }));
    }


    [Fact]
    public void CompleteTorrentSeedingInASession_ItsDataUnreadable_FailsWithTheErrorAndLeavesTheSession() =>
        Simulated.Passes(UnreadableInASession, seed: 35);

    /// <summary>On the simulated network: the waking downloader's 3 s without data pass in virtual time.</summary>
    internal static async Task UnreadableInASession(SimRun sim)
    {
        var built = TestTorrents.SingleFile(length: 150_000, name: "gone.bin", announce: null, seed: 35);
        var host = sim.Network.AddHost("seed", LinkSpec.Fast);
        var output = sim.FolderOf(host);
        await using var session = Session.Start(sim.SessionOn(host, Loopback() with { ListenPort = 6881 }));
        var log = new ConcurrentQueue<string>();
        built.WritePayload(output);
        var run = TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions
        {
            OutputDirectory = output, Trackers = [], SeedAfterDownload = true,
            Log = line =>
            {
                host.LogLine(line);
                log.Enqueue(line);
            },
        }, null, CancellationToken.None);
        Assert.True(await sim.WaitUntil(() => log.Contains("seeding"), TimeSpan.FromMinutes(1)), "never seeding");

        using var blocker = MakeUnreadable(Path.Combine(output, "gone.bin"));
        var (peer, downloader) = WakeOnSimulatedNetwork(sim, built, host);
        await using var _ = peer;

        await Task.WhenAny(run, sim.Delay(TimeSpan.FromMinutes(1)));
        Assert.True(run.IsFaulted, string.Join("\n", log));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => run);
        Assert.True(e is StorageException or IOException, e.ToString());
        Assert.Contains(log, line => line.StartsWith("cannot seed any more", StringComparison.Ordinal));
        Assert.DoesNotContain("seeding stopped", log);
        Assert.Equal(0, session.TorrentCount);
        await Assert.ThrowsAnyAsync<Exception>(() => downloader.WaitAsync(TimeSpan.FromMinutes(1), sim.Clock)); // nothing to get from it
    }

    [Fact]
    public async Task CompleteTorrentSeedingInASession_Cancelled_StopsSeedingAndReturnsItsResult()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "kept.bin", announce: null, seed: 36);
        var output = folder.Combine("out");
        await using var session = Session.Start(Loopback());
        var log = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = await SeedCompleteAsync(session, built, output, log, stop.Token);
        Assert.Equal(1, session.TorrentCount);

        await stop.CancelAsync();
        var result = await run.WaitAsync(Patience, Ct);

        Assert.Equal(built.Torrent.PieceCount, result.PiecesFromResume);
        Assert.Equal(0, result.Uploaded);
        Assert.Contains("seeding stopped", log);
        Assert.Equal(0, session.TorrentCount);
        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(output, "kept.bin")));
    }

    [Fact]
    public async Task CompleteTorrentInASession_StartedTwiceFromATrustedLedger_TheSecondRunFaultsAndTheFirstSeedsOn()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 150_000, name: "twice.bin", announce: null, seed: 37);
        var output = folder.Combine("out");
        await using var session = Session.Start(Loopback());
        var log = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var first = await SeedCompleteAsync(session, built, output, log, stop.Token); // checks the data, writes the ledger

        // The ledger is trusted now: the second start is prepared at once, and the session refuses the same torrent.
        var second = TorrentClient.DownloadAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = output, SeedAfterDownload = true },
            null, Ct);

        var e = await Assert.ThrowsAsync<SwarmException>(() => second);
        Assert.Contains("running in this session already", e.Message);
        Assert.False(first.IsCompleted);
        Assert.Equal(1, session.TorrentCount);
        await stop.CancelAsync();
        await first.WaitAsync(Patience, Ct);
    }

    private sealed class Progress : IProgress<DownloadProgress>
    {
        public DownloadProgress? Last { get; private set; }
        public void Report(DownloadProgress value) => Last = value;
    }
}
