using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A session that owns its torrents and a handle per torrent (<c>Client/TorrentSession.cs</c>,
/// <c>Client/TorrentHandle*.cs</c>), against seeders of our own on loopback: a magnet link's peers and selection kept,
/// pause and resume, live file priorities, a move and a recheck of a running torrent, and the alerts of each.</summary>
[Trait("Tier", "Slow")]
public class TorrentSessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    internal static SessionSettings Loopback(RateLimit? download = null) => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
        DownloadLimit = download,
    };

    private static TestTorrents.Built ThreeFiles(int seed) =>
        TestTorrents.MultiFile([("a.bin", 300_000), ("b.bin", 400_000), ("c.bin", 300_000)], pieceLength: 32 * 1024, name: "three", announce: null, seed: seed);

    /// <summary>Seeds <paramref name="built"/> from a session of its own on loopback (serving its metadata too, BEP 9).</summary>
    internal static async Task<Seeder> SeedAsync(TestTorrents.Built built, string data)
    {
        built.WritePayload(data);
        return await Seeder.StartAsync(built.Torrent, new DownloadOptions { OutputDirectory = data, Session = Loopback() },
            allowPartial: false, Ct);
    }

    private static async Task WaitForAsync(TorrentHandle handle, Func<TorrentHandle, bool> condition, string what) =>
        Assert.True(await Wait.UntilAsync(() => condition(handle), Patience, Ct), $"{what}: {handle} ({handle.Error})");

    private static void AssertFiles(TestTorrents.Built built, string folder, params int[] files)
    {
        foreach (var i in files) Assert.Equal(built.Files[i].Data, File.ReadAllBytes(Path.Combine(folder, built.Files[i].Path)));
    }

    [Fact]
    public async Task AddAsync_MagnetWithOnlyAnXPePeerAndASelection_DownloadsTheSelectedFileFromThatPeer()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 61);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        await using var alerts = new AlertLog(session);
        // No tracker, no DHT: the link's one peer gives the metadata and then the data; so=1 selects the second file.
        var magnet = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{seeder.Port}&so=1";

        var handle = await session.AddAsync(magnet, new DownloadOptions { OutputDirectory = folder.Combine("out") }, Ct);
        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed");

        Assert.Same(handle, Assert.Single(session.Torrents));
        Assert.Equal([FilePriority.Skip, FilePriority.Normal, FilePriority.Skip], handle.FilePriorities);
        AssertFiles(built, folder.Combine("out"), 1);
        Assert.True(await Wait.UntilAsync(() => alerts.Has(TorrentAlertKind.FileCompleted, a => a.Index == 1), Patience, Ct));
        Assert.True(alerts.Has(TorrentAlertKind.MetadataReceived));
        Assert.False(alerts.Has(TorrentAlertKind.FileCompleted, a => a.Index is 0 or 2)); // skipped files are not reported
    }

    [Fact]
    public async Task DownloadAsync_OpenedMagnetWithOnlyAnXPePeer_DownloadsWithoutTheCallerCopyingItsPeers()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 62);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = Session.Start(Loopback());
        var magnet = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{seeder.Port}&so=0,2";
        var options = new DownloadOptions { OutputDirectory = folder.Combine("out"), StallTimeout = TimeSpan.FromSeconds(30) };

        var opened = await TorrentClient.OpenAsync(session, magnet, options, ct: Ct);
        var result = await TorrentClient.DownloadAsync(session, opened, options, null, Ct).WaitAsync(Patience, Ct);

        Assert.Contains(result.PeersUsed, p => p.Contains(seeder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        AssertFiles(built, folder.Combine("out"), 0, 2);
        var skipped = folder.Combine("out", "three", "b.bin"); // only the pieces it shares with the chosen files
        Assert.False(File.Exists(skipped) && File.ReadAllBytes(skipped).SequenceEqual(built.Files[1].Data));
    }

    [Fact]
    public async Task Handle_PausedMidwayAndResumed_LeavesTheSessionKeepsItsPiecesAndCompletes()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 63);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            DownloadLimit = new RateLimit(128 * 1024), // about 8 s for the whole torrent: paused well before its end
        });
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");

        await handle.PauseAsync().WaitAsync(Patience, Ct);

        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.Equal(0, session.Session.TorrentCount); // its peers left with it
        var kept = handle.PiecesDone;
        Assert.InRange(kept, 1, built.Torrent.PieceCount - 1);

        handle.DownloadLimit.BytesPerSecond = 0; // live: unlimited from now on
        await handle.ResumeAsync();
        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed after resuming");
        AssertFiles(built, folder.Combine("out"), 0, 1, 2);
    }

    [Fact]
    public async Task Handle_FilePrioritiesChangedWhileDownloading_FetchesTheFileSkippedBefore()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 64);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        await using var alerts = new AlertLog(session);
        // 64 KiB/s: about 11 s for the first two files, so the change reaches a torrent that is downloading.
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            FilePriorities = [FilePriority.Normal, FilePriority.Normal, FilePriority.Skip],
            DownloadLimit = new RateLimit(64 * 1024),
        });
        await WaitForAsync(handle, h => h.State == TorrentState.Downloading, "never downloading");

        await handle.SetFilePrioritiesAsync([FilePriority.Skip, FilePriority.High, FilePriority.Normal]).WaitAsync(Patience, Ct);
        handle.DownloadLimit.BytesPerSecond = 0;

        Assert.Equal([FilePriority.Skip, FilePriority.High, FilePriority.Normal], handle.FilePriorities);
        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed");
        AssertFiles(built, folder.Combine("out"), 1, 2);
        // Taken live: the run was never stopped and started again (a start goes through Checking).
        Assert.True(await Wait.UntilAsync(() => alerts.Has(TorrentAlertKind.StateChanged, a => a.State == TorrentState.Completed), Patience, Ct));
        Assert.Single(alerts.All, a => a.Kind == TorrentAlertKind.StateChanged && a.State == TorrentState.Checking);
        Assert.DoesNotContain(alerts.All, a => a.Kind == TorrentAlertKind.StateChanged && a.State == TorrentState.Paused);
        await Assert.ThrowsAsync<ArgumentException>(() => handle.SetFilePrioritiesAsync([FilePriority.Normal])); // one per file
    }

    /// <summary>Issue 79: a download that completed the files it wanted and seeds on, with a leecher of ours connected to
    /// it, comes to want the file it skipped: it downloads it in the same swarm (the leecher's connection kept, never
    /// started again through Checking), completes and seeds on; the priorities set alone or with all the options; and
    /// the same for a torrent paused and started again first, which seeds from its start (its swarm woken by the
    /// leecher, its data opened read only until it wants more).</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Handle_SeedingWithAPeerConnected_ComesToWantASkippedFile_DownloadsItWithThePeerKept(bool throughOptions, bool seedingFromItsStart)
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 66);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        await using var alerts = new AlertLog(session);
        var lines = new ConcurrentQueue<string>();
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            FilePriorities = [FilePriority.Normal, FilePriority.Normal, FilePriority.Skip], SeedAfterDownload = true, Log = lines.Enqueue,
        });
        await WaitForAsync(handle, h => h.State == TorrentState.Seeding, "never seeding the two files it wanted");
        var wanted = handle.PiecesDone;
        if (seedingFromItsStart)
        {
            await handle.PauseAsync().WaitAsync(Patience, Ct);
            handle.Start(); // checked, complete at its start: seeds with no swarm until a peer comes
            await WaitForAsync(handle, h => h.State == TorrentState.Seeding, "never seeding again after the pause");
        }
        // A leecher that knows only us: it takes what we have, and stays.
        await using var other = TorrentSession.Start(Loopback());
        var leecher = other.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("leech"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, session.Port)],
        });
        await WaitForAsync(leecher, h => h.PiecesDone >= wanted, "the leecher never took what we had");

        await handle.SetSequentialAsync(true).WaitAsync(Patience, Ct); // kept for the download of more, nothing restarted
        FilePriority[] every = [FilePriority.Normal, FilePriority.Normal, FilePriority.Normal];
        await (throughOptions ? handle.SetOptionsAsync(handle.Options with { FilePriorities = every }) : handle.SetFilePrioritiesAsync(every)).WaitAsync(Patience, Ct);

        Assert.Equal(TorrentState.Downloading, handle.State); // taken live: a start again would be Checking
        await WaitForAsync(handle, h => h.State == TorrentState.Seeding && h.IsComplete, "never seeding every file");
        AssertFiles(built, folder.Combine("out"), 0, 1, 2);
        Assert.Equal(built.Torrent.PieceCount, handle.PiecesDone);
        Assert.True((await handle.WaitForCompletionAsync(Ct).WaitAsync(Patience, Ct)).Downloaded > 0); // the result of the second download
        await WaitForAsync(leecher, h => h.State == TorrentState.Completed, "the leecher never completed");
        AssertFiles(built, folder.Combine("leech"), 0, 1, 2);
        Assert.Single(lines, l => l.Contains(": connected (incoming", StringComparison.Ordinal)); // the leecher, once
        Assert.Contains(lines, l => l.StartsWith("downloading again: ", StringComparison.Ordinal));
        Assert.Equal(seedingFromItsStart ? 2 : 1, alerts.All.Count(a => a.Kind == TorrentAlertKind.StateChanged && a.State == TorrentState.Checking));
        Assert.Equal(seedingFromItsStart ? 1 : 0, alerts.All.Count(a => a.Kind == TorrentAlertKind.StateChanged && a.State == TorrentState.Paused));
    }

    [Fact]
    public async Task Handle_DataMovedWhileDownloading_CompletesInTheNewFolderAndLeavesNothingBehind()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 65);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        await using var alerts = new AlertLog(session);
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("old"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            DownloadLimit = new RateLimit(128 * 1024),
        });
        await WaitForAsync(handle, h => h.PiecesDone > 0, "no piece yet");

        await handle.MoveDataAsync(folder.Combine("new"), Ct).WaitAsync(Patience, Ct);
        handle.DownloadLimit.BytesPerSecond = 0;

        Assert.Equal(folder.Combine("new"), handle.SaveFolder);
        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed after the move");
        AssertFiles(built, folder.Combine("new"), 0, 1, 2);
        Assert.False(Directory.Exists(folder.Combine("old", "three")));
        Assert.True(alerts.Has(TorrentAlertKind.StateChanged, a => a.State == TorrentState.Moving));
    }

    [Fact]
    public async Task Handle_RecheckWhileSeedingAfterAPieceWasDamaged_FetchesThatPieceAgain()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 66);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(Loopback());
        await using var alerts = new AlertLog(session);
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)], SeedAfterDownload = true,
        });
        await WaitForAsync(handle, h => h.State == TorrentState.Seeding && h.PiecesDone == built.Torrent.PieceCount, "never seeding");
        var path = folder.Combine("out", "three", "a.bin");
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write)) { file.WriteByte(0xEE); file.WriteByte(0xEE); }
        var before = alerts.All.Count(a => a.Kind == TorrentAlertKind.PieceFinished && a.Index == 0);

        await handle.RecheckAsync(Ct).WaitAsync(Patience, Ct);

        // The damaged piece was dropped by the check, fetched again, and the torrent seeds again.
        await WaitForAsync(handle, h => h.State == TorrentState.Seeding && h.PiecesDone == built.Torrent.PieceCount, "never seeding again");
        AssertFiles(built, folder.Combine("out"), 0, 1, 2);
        // The alert log reads the session's alerts on its own: the handle can say seeding before the log has the alert.
        Assert.True(await Wait.UntilAsync(() => alerts.All.Count(a => a.Kind == TorrentAlertKind.PieceFinished && a.Index == 0) > before, Patience, Ct),
            "piece 0 was not finished again");
        Assert.True(alerts.Has(TorrentAlertKind.StateChanged, a => a.State == TorrentState.Checking));
    }

    [Fact]
    public async Task AddAsync_SessionSettingsOnTheTorrent_AreRefusedRatherThanIgnored()
    {
        await using var session = TorrentSession.Start(Loopback());
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            session.AddAsync("x.torrent", new DownloadOptions { Session = new SessionSettings { ListenPort = 7000 }, OutputDirectory = "out" }, Ct));
        Assert.Contains("session's settings", error.Message, StringComparison.Ordinal);
        Assert.Empty(session.Torrents);
    }

    /// <summary>The single-peer reference engine (<c>MaxPeers = 1</c>) takes no rate limit: a torrent that would run it
    /// under the session's cap or a limit of its own is refused when added, not run unlimited.</summary>
    [Theory]
    [InlineData("the session's download cap")]
    [InlineData("its own upload limit")]
    public async Task Add_SinglePeerUnderALimit_IsRefusedAndNotAdded(string limit)
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 68);
        var capped = limit == "the session's download cap";
        await using var session = TorrentSession.Start(Loopback(capped ? new RateLimit(1 << 20) : null));
        var options = new DownloadOptions { OutputDirectory = folder.Path, MaxPeers = 1, UploadLimit = capped ? null : new RateLimit(1 << 20) };

        var error = Assert.Throws<ArgumentException>(() => session.Add(built.Torrent, options));
        var magnet = await Assert.ThrowsAsync<ArgumentException>(() => session.AddAsync(built.Torrent.MagnetLink, options, Ct));

        Assert.Contains("rate limit", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, magnet.Message); // refused before the metadata is fetched
        Assert.Empty(session.Torrents);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task Add_SinglePeerWithoutALimit_RunsTheReferenceEngine()
    {
        // The refusal is for a limit only: with none, MaxPeers = 1 in a session is the single-peer story, as it says.
        using var folder = new TempFolder();
        using var data = new TempFolder();
        var built = ThreeFiles(seed: 69);
        await using var seeder = await SeedAsync(built, data.Path);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Path, MaxPeers = 1, ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
        });

        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "completed");
        AssertFiles(built, folder.Path, 0, 1, 2);
    }

    [Fact]
    public async Task SeedAsync_PartialData_ServesWhatVerifiedAndWritesNothingBelowItsFolder()
    {
        using var data = new TempFolder();
        using var leech = new TempFolder();
        var built = ThreeFiles(seed: 70);
        built.WritePayload(data.Path);
        File.Delete(Path.Combine(data.Path, built.Files[0].Path)); // a.bin gone: its pieces (and the one it shares with b.bin) are missing
        string[] Listing() => [.. Directory.EnumerateFiles(data.Path, "*", SearchOption.AllDirectories).Order().Select(f => $"{f} {new FileInfo(f).Length}")];
        var before = Listing();
        await using var seeds = TorrentSession.Start(Loopback());

        await Assert.ThrowsAsync<SwarmException>(() => seeds.SeedAsync(built.Torrent, new DownloadOptions { OutputDirectory = data.Path }, allowPartial: false, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => seeds.SeedAsync(built.Torrent, new DownloadOptions { OutputDirectory = data.Path, SeedRatio = 2 }, allowPartial: true, Ct));
        Assert.Empty(seeds.Torrents);
        var seed = await seeds.SeedAsync(built.Torrent, new DownloadOptions { OutputDirectory = data.Path }, allowPartial: true, Ct);
        Assert.Equal(TorrentState.Seeding, seed.State);
        Assert.False(seed.IsComplete);

        // Another session fetches c.bin, whose pieces the partial copy has, from it alone.
        await using var leeches = TorrentSession.Start(Loopback());
        var handle = leeches.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = leech.Path, ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeds.Port)],
            FilePriorities = [FilePriority.Skip, FilePriority.Skip, FilePriority.Normal],
        });
        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "completed");
        AssertFiles(built, leech.Path, 2);

        await seed.PauseAsync();
        Assert.True(seed.Uploaded >= built.Files[2].Data.Length, $"uploaded {seed.Uploaded}");
        Assert.False(seed.IsComplete); // it still has only what it verified
        Assert.Equal(before, Listing()); // no ledger, no file made for the missing one
    }

    /// <summary>A seed-only torrent fetches nothing: new priorities that want pieces it lacks are kept, with its peers,
    /// rather than starting it again (which would seed the same pieces after dropping them).</summary>
    [Fact]
    public async Task SeedAsync_PartialData_NewPrioritiesWantingMore_KeepTheConnectedPeer()
    {
        using var data = new TempFolder();
        using var leech = new TempFolder();
        var built = ThreeFiles(seed: 71);
        built.WritePayload(data.Path);
        File.Delete(Path.Combine(data.Path, built.Files[0].Path));
        await using var seeds = TorrentSession.Start(Loopback());
        var lines = new ConcurrentQueue<string>();
        var seed = await seeds.SeedAsync(built.Torrent, new DownloadOptions { OutputDirectory = data.Path, Log = lines.Enqueue }, allowPartial: true, Ct);
        // A leecher of every file: it takes what the partial copy has and stays for the rest.
        await using var leeches = TorrentSession.Start(Loopback());
        var handle = leeches.Add(built.Torrent, new DownloadOptions { OutputDirectory = leech.Path, ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeds.Port)] });
        await WaitForAsync(handle, h => h.PiecesDone >= seed.PiecesDone, "the leecher never took what the seed has");

        await seed.SetFilePrioritiesAsync([FilePriority.Normal, FilePriority.High, FilePriority.Normal]).WaitAsync(Patience, Ct);

        Assert.Equal(TorrentState.Seeding, seed.State);
        Assert.Equal([FilePriority.Normal, FilePriority.High, FilePriority.Normal], seed.Options.FilePriorities);
        Assert.Single(lines, l => l.Contains(": connected (incoming", StringComparison.Ordinal)); // the leecher, once
        Assert.DoesNotContain(lines, l => l.Contains("disconnected", StringComparison.Ordinal) || l == "seeding stopped");
    }

    [Fact]
    public async Task Add_TheSameTorrentTwice_IsRefused()
    {
        using var folder = new TempFolder();
        var built = ThreeFiles(seed: 67);
        await using var session = TorrentSession.Start(Loopback());
        session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, start: false);
        Assert.Throws<InvalidOperationException>(() => session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }));
        Assert.Single(session.Torrents);
    }

    [Fact]
    public void Alerts_ScriptedDownload_ReportEveryKind() => Simulated.Passes(ScriptedDownload, seed: 68);

    /// <summary>One session on a simulated host runs three torrents: a magnet link whose first peer has one piece and
    /// whose second is hostile (banned), then a whole seed, announced to our tracker; a torrent whose tracker refuses
    /// connections; a torrent whose file cannot be made. Each alert kind is heard, typed.</summary>
    internal static async Task ScriptedDownload(SimRun sim)
    {
        var link = new LinkSpec(TimeSpan.FromMilliseconds(10));
        var trackerHost = sim.Network.AddHost("tracker", link);
        var firstHost = sim.Network.AddHost("first", link);
        var hostileHost = sim.Network.AddHost("hostile", link);
        var seedHost = sim.Network.AddHost("seed", link);
        var host = sim.Network.AddHost("client", link);
        await using var tracker = await TorrentLab.Tracker.Server.TrackerServer.StartAsync(new TorrentLab.Tracker.Server.TrackerServerOptions
        {
            Host = trackerHost.Address, Port = 6969, Interval = TimeSpan.FromMinutes(30), Network = trackerHost, Time = sim.Clock, Log = trackerHost.LogLine,
        });
        var good = TestTorrents.MultiFile([("a.bin", 100_000), ("b.bin", 60_000)], pieceLength: 16 * 1024, name: "good", announce: tracker.HttpAnnounceUrl, seed: 68);
        var deadUrl = $"http://{trackerHost.Address}:1/announce";   // nothing listens there: refused
        var deadTracker = TestTorrents.SingleFile(length: 40_000, name: "dead.bin", announce: deadUrl, seed: 69);
        var blocked = TestTorrents.SingleFile(length: 40_000, name: "blocked.bin", announce: null, seed: 70);
        SessionSettings On(SimHost h) => sim.SessionOn(h, Loopback() with { ListenPort = 6881 });
        // The link's peer has the metadata and the first piece only, so the download cannot end before the hostile
        // peer was heard; the whole seed joins once the ban was reported.
        var first = sim.FolderOf(firstHost);
        good.WritePayload(first);
        File.WriteAllBytes(Path.Combine(first, good.Files[0].Path), [.. good.Files[0].Data.AsSpan(0, 16 * 1024), .. new byte[100_000 - 16 * 1024]]);
        File.WriteAllBytes(Path.Combine(first, good.Files[1].Path), new byte[60_000]);
        await using var firstSeeder = await Seeder.StartAsync(good.Torrent, new DownloadOptions { OutputDirectory = first, Session = On(firstHost) },
            allowPartial: true);
        // A peer that breaks the protocol (a bitfield of the wrong length) is banned.
        using var hostileListener = hostileHost.Listen(new IPEndPoint(IPAddress.Any, 6881), 4);
        using var stopHostile = new CancellationTokenSource();
        var hostile = PlayWrongBitfieldAsync(hostileListener, good, stopHostile.Token);
        var hostileAt = new IPEndPoint(hostileHost.Address, 6881);
        var output = sim.FolderOf(host, "out");
        Directory.CreateDirectory(Path.Combine(output, "blocked.bin")); // a folder where the file must go: a storage error
        await using var session = TorrentSession.Start(On(host));
        await using var alerts = new AlertLog(session);

        var magnet = $"magnet:?xt=urn:btih:{good.Torrent.InfoHash.Hex}&x.pe={firstHost.Address}:6881&tr={Uri.EscapeDataString(tracker.HttpAnnounceUrl)}";
        var handle = await session.AddAsync(magnet, new DownloadOptions { OutputDirectory = output, ExtraPeers = [hostileAt] });
        var dead = session.Add(deadTracker.Torrent, new DownloadOptions { OutputDirectory = output });
        var failing = session.Add(blocked.Torrent, new DownloadOptions { OutputDirectory = output });
        bool Heard(TorrentAlertKind kind, TorrentHandle of, Func<TorrentAlert, bool>? also = null) => alerts.Has(kind, a => a.Torrent == of && (also?.Invoke(a) ?? true));
        string Alerts() => string.Join("\n", alerts.All.Where(a => a.Kind != TorrentAlertKind.PieceFinished));
        Assert.True(await sim.WaitUntil(() => Heard(TorrentAlertKind.PeerBanned, handle), TimeSpan.FromMinutes(2)), Alerts());
        var seed = sim.FolderOf(seedHost);
        good.WritePayload(seed);
        await using var seeder = await Seeder.StartAsync(good.Torrent, new DownloadOptions { OutputDirectory = seed, Session = On(seedHost) },
            allowPartial: false);
        await handle.AddPeerAsync(new IPEndPoint(seedHost.Address, seeder.Port));

        Assert.True(await sim.WaitUntil(() => handle.State == TorrentState.Completed, TimeSpan.FromMinutes(5)), $"never completed: {handle} ({handle.Error})");
        Assert.True(await sim.WaitUntil(() => failing.State == TorrentState.Failed, TimeSpan.FromMinutes(5)), $"never failed: {failing}");
        Assert.True(await sim.WaitUntil(() => Heard(TorrentAlertKind.TrackerFailed, dead) && Heard(TorrentAlertKind.TrackerAnswered, handle)
            && Heard(TorrentAlertKind.FileCompleted, handle, a => a.Index == 1), TimeSpan.FromMinutes(5)), Alerts());

        Assert.True(Heard(TorrentAlertKind.MetadataReceived, handle));
        Assert.True(Heard(TorrentAlertKind.StateChanged, handle, a => a.State == TorrentState.Downloading));
        Assert.True(Heard(TorrentAlertKind.StateChanged, handle, a => a.State == TorrentState.Completed));
        Assert.Equal(Enumerable.Range(0, good.Torrent.PieceCount),
            alerts.All.Where(a => a.Torrent == handle && a.Kind == TorrentAlertKind.PieceFinished).Select(a => a.Index!.Value).Order());
        Assert.True(Heard(TorrentAlertKind.FileCompleted, handle, a => a.Index == 0));
        // Typed, from the engine's events rather than its log text: the peer as an address, the tracker as its URL.
        var banned = alerts.All.First(a => a.Kind == TorrentAlertKind.PeerBanned);
        Assert.NotNull(banned.Peer);
        Assert.Equal(hostileAt, new IPEndPoint(banned.Peer.Address.IsIPv4MappedToIPv6 ? banned.Peer.Address.MapToIPv4() : banned.Peer.Address, banned.Peer.Port));
        Assert.False(string.IsNullOrEmpty(banned.Message));
        Assert.Equal(tracker.HttpAnnounceUrl, alerts.All.First(a => a.Kind == TorrentAlertKind.TrackerAnswered && a.Torrent == handle).Url);
        Assert.Equal(deadUrl, alerts.All.First(a => a.Kind == TorrentAlertKind.TrackerFailed && a.Torrent == dead).Url);
        Assert.True(Heard(TorrentAlertKind.StorageError, failing, a => a.Error is TorrentLab.Storage.StorageException));
        Assert.True(Heard(TorrentAlertKind.StateChanged, failing, a => a.State == TorrentState.Failed));
        Assert.Equal([handle, dead, failing], session.Torrents);
        Assert.Contains(good.Torrent.InfoHash, tracker.InfoHashes); // the download announced itself to our tracker
        await stopHostile.CancelAsync();
        await hostile;
    }

    /// <summary>A peer that answers each plaintext handshake and then sends a bitfield five bytes too long (BEP 3: a
    /// bitfield of the wrong length closes the connection), until stopped; an encrypted handshake is closed at once, as
    /// a plaintext-only client does.</summary>
    private static async Task PlayWrongBitfieldAsync(TorrentLab.Network.ITcpListener listener, TestTorrents.Built built, CancellationToken ct)
    {
        var peerId = TorrentLab.Wire.PeerId.CreateOurs();
        try
        {
            for (var connections = 0; connections < 4; connections++)
            {
                if (await listener.AcceptAsync(ct) is not var (stream, _)) continue;
                await using (stream)
                {
                    var buffer = new byte[TorrentLab.Wire.Handshake.Length];
                    try
                    {
                        await stream.ReadExactlyAsync(buffer, ct);
                        if (!TorrentLab.Wire.Handshake.StartsPlaintext(buffer)) continue;
                        await stream.WriteAsync(new TorrentLab.Wire.Handshake(built.Torrent.InfoHash, peerId).ToBytes(), ct);
                        await stream.WriteAsync(Reliability.HostileSession.Frame(5, new byte[built.Torrent.PieceCount / 8 + 5]), ct);
                        while (await stream.ReadAsync(buffer, ct) > 0) { } // stay until the downloader hangs up
                    }
                    catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException) { }
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
