using System.Collections.Concurrent;
using System.Net;
using System.Text;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A torrent handle against a python3-libtorrent seeder: a magnet link with only an <c>x.pe</c> peer and a
/// <c>so=</c> selection added through <see cref="TorrentSession.AddAsync"/>, then paused, its priorities changed,
/// resumed and rechecked while it runs.</summary>
[Trait("Tier", "Slow")]
public class TorrentHandleInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static async Task WaitForAsync(TorrentHandle handle, Func<TorrentHandle, bool> condition, string what) =>
        Assert.True(await Wait.UntilAsync(() => condition(handle), Patience, Ct), $"{what}: {handle} ({handle.Error})");

    [Fact]
    public async Task AddAsync_MagnetFromLibtorrent_PausedReprioritisedResumedAndRechecked_EndsWithEveryFile()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-handle-lt");
        var built = TestTorrents.MultiFile([("a.bin", 700_001), ("b.bin", 900_003), ("c.bin", 500_007)], pieceLength: 64 * 1024, name: "three", announce: null, seed: 71);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 256 KiB/s: about 6 s for the selected files, so the handle is paused while it downloads.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct,
            uploadLimit: 256 * 1024, settings: LibtorrentSeeder.UtMetadata);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var magnet = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{seeder.Port}&so=0,1";

        var handle = await session.AddAsync(magnet, new DownloadOptions { OutputDirectory = folder.Combine("out") }, Ct);
        Assert.Equal([FilePriority.Normal, FilePriority.Normal, FilePriority.Skip], handle.FilePriorities);
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");

        await handle.PauseAsync().WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.Equal(0, session.Session.TorrentCount);
        await handle.SetFilePrioritiesAsync([FilePriority.Normal, FilePriority.Normal, FilePriority.High]).WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Paused, handle.State); // a paused torrent stays paused through a change
        await handle.ResumeAsync();
        await WaitForAsync(handle, h => h.State == TorrentState.Downloading, "never downloading again");
        await handle.RecheckAsync(Ct).WaitAsync(Patience, Ct); // on the running torrent: it goes on from what verifies

        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed");
        foreach (var (path, data) in built.Files) Assert.Equal(data, File.ReadAllBytes(Path.Combine(folder.Combine("out"), path)));
    }

    [Fact]
    public async Task RunningTorrentFromTwoLibtorrentSeeders_PrioritiesChangedLive_MovedRecheckedPausedAndResumed_CompletesInTheNewFolder()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-handle-lt2");
        var built = TestTorrents.MultiFile([("a.bin", 1_500_001), ("b.bin", 1_500_003), ("c.bin", 1_500_007)], pieceLength: 64 * 1024, name: "three",
            announce: null, seed: 72);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // Two seeders at 128 KiB/s each: about 12 s for the two files wanted, so every change reaches a running torrent.
        using var first = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 128 * 1024);
        using var second = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 128 * 1024);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        await using var alerts = StateAlerts.Read(session, Ct);
        var changes = alerts.States;
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, first.Port), new IPEndPoint(IPAddress.Loopback, second.Port)],
            FilePriorities = [FilePriority.Normal, FilePriority.Normal, FilePriority.Skip],
        });
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");

        // Live priorities: taken by the running download, which is neither paused nor checked again (the states up to
        // the move, asserted at the end: alerts come in order).
        await handle.SetFilePrioritiesAsync([FilePriority.Skip, FilePriority.Normal, FilePriority.High]).WaitAsync(Patience, Ct);
        Assert.Equal([FilePriority.Skip, FilePriority.Normal, FilePriority.High], handle.FilePriorities);
        await WaitForAsync(handle, h => h.Peers.Count > 0 && h.PiecesDone > 2, "no progress after the change");

        // Move while it runs: it goes on from the new folder.
        await handle.MoveDataAsync(folder.Combine("moved"), Ct).WaitAsync(Patience, Ct);
        Assert.Equal(folder.Combine("moved"), handle.SaveFolder);
        await WaitForAsync(handle, h => h.State == TorrentState.Downloading, "never downloading after the move");

        // Recheck while it runs, then pause and resume.
        await handle.RecheckAsync(Ct).WaitAsync(Patience, Ct);
        await WaitForAsync(handle, h => h.State == TorrentState.Downloading, "never downloading after the recheck");
        await handle.PauseAsync().WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.Equal(0, session.Session.TorrentCount);
        await handle.ResumeAsync();

        await WaitForAsync(handle, h => h.State == TorrentState.Completed, "never completed");
        Assert.True(await Wait.UntilAsync(() => changes.Contains(TorrentState.Completed), Patience, Ct), "the alert of completion never came");
        await alerts.StopAsync();
        // The first stop was the move's (Paused, then Moving): the priority change before it stopped nothing.
        Assert.Equal([TorrentState.Checking, TorrentState.Downloading, TorrentState.Paused, TorrentState.Moving], changes.Take(4));
        foreach (var i in new[] { 1, 2 })
        {
            Assert.Equal(built.Files[i].Data, File.ReadAllBytes(Path.Combine(folder.Combine("moved"), built.Files[i].Path)));
            Assert.False(File.Exists(Path.Combine(folder.Combine("out"), built.Files[i].Path)), $"{built.Files[i].Path} was left in the old folder");
        }
    }

    /// <summary>Issue "one torrent from add to remove": a reannounce, trackers added and removed, a peer added and the
    /// peer cap lowered and raised reach the running torrent without a restart; its one connection to the first seeder stays (no second handshake, no
    /// disconnect, no pause), and each tracker hears what it should.</summary>
    [Fact]
    public async Task RunningTorrent_ReannouncedTrackersEditedAndAPeerAdded_KeepsItsConnectionToTheLibtorrentSeeder()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-handle-live");
        var built = TestTorrents.SingleFile(4_000_000, pieceLength: 64 * 1024, name: "live.bin", announce: null, seed: 73);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 64 KiB/s each: half a minute or more for the file, so every change reaches a downloading torrent.
        using var first = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 64 * 1024);
        using var second = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 64 * 1024);
        await using var trackers = await LoopbackHttpServer.StartAsync(Ct);
        var answer = Encoding.ASCII.GetBytes("d8:intervali1800e5:peers0:e"); // no peers, and no announce again for 30 minutes
        var a = trackers.Put("/a/announce", answer, "text/plain");
        var b = trackers.Put("/b/announce", answer, "text/plain");
        var lines = new ConcurrentQueue<string>();
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        await using var alerts = StateAlerts.Read(session, Ct);
        var states = alerts.States;
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, first.Port)],
            Trackers = [[a]],
            Log = lines.Enqueue,
        });
        int Connected(LibtorrentSeeder seeder) => lines.Count(l => l.StartsWith($"peer 127.0.0.1:{seeder.Port}: connected", StringComparison.Ordinal));
        async Task Until(Func<bool> condition, string what) =>
            Assert.True(await Wait.UntilAsync(condition, Patience, Ct), $"{what}: {handle} ({handle.Error})\n{string.Join('\n', lines)}");
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");
        await Until(() => trackers.Requests("/a/announce") >= 1, "tracker a never heard started");

        var toA = trackers.Requests("/a/announce");
        await handle.ReannounceAsync().WaitAsync(Patience, Ct);
        await Until(() => trackers.Requests("/a/announce") > toA, "the reannounce never reached tracker a");

        // A tier added: the new list hears started (from its first tier that answers, BEP 12: a again).
        toA = trackers.Requests("/a/announce");
        await handle.AddTrackerAsync(b).WaitAsync(Patience, Ct);
        Assert.Equal([[a], [b]], handle.Trackers);
        await Until(() => trackers.Requests("/a/announce") > toA, "the list with b added was never announced to");

        await handle.RemoveTrackerAsync(a).WaitAsync(Patience, Ct);
        Assert.Equal([[b]], handle.Trackers);
        await Until(() => trackers.Requests("/b/announce") >= 1, "tracker b, left alone, was never announced to");
        toA = trackers.Requests("/a/announce");
        var toB = trackers.Requests("/b/announce");
        await handle.ReannounceAsync().WaitAsync(Patience, Ct);
        await Until(() => trackers.Requests("/b/announce") > toB, "the reannounce never reached tracker b");

        await handle.AddPeerAsync(new IPEndPoint(IPAddress.Loopback, second.Port)).WaitAsync(Patience, Ct);
        await Until(() => Connected(second) == 1, "the added peer was never connected");

        // The peer cap, lowered below the two seeders: the one that gave less (the second, just added) goes, the first
        // stays; raised again, the torrent may dial more.
        bool Dropped(LibtorrentSeeder seeder) => lines.Any(l => l.StartsWith($"peer 127.0.0.1:{seeder.Port}: disconnected", StringComparison.Ordinal));
        await handle.SetMaxPeersAsync(1).WaitAsync(Patience, Ct);
        await Until(() => Dropped(second), "the seeder beyond the lowered cap was never dropped");
        Assert.Equal(1, handle.MaxPeers);
        await handle.SetMaxPeersAsync(50).WaitAsync(Patience, Ct);
        Assert.Equal(50, handle.MaxPeers);

        Assert.Equal(toA, trackers.Requests("/a/announce")); // the removed tracker hears nothing more
        Assert.Equal(1, Connected(first)); // one handshake with the first seeder through every change
        Assert.DoesNotContain(lines, l => l.StartsWith($"peer 127.0.0.1:{first.Port}: disconnected", StringComparison.Ordinal));
        Assert.DoesNotContain(TorrentState.Paused, states); // no change stopped the run
        await alerts.StopAsync();
    }

    /// <summary>Issue "one torrent from add to remove": a download from a libtorrent seeder while a libtorrent leecher
    /// downloads from us takes every live change (order, priorities, a limit, super-seeding on and off, options, its
    /// seeding plan), completes and goes on seeding with the same connections: one handshake with each, the leecher
    /// served to its end by the torrent that seeds.</summary>
    [Fact]
    public async Task DownloadTakingEveryLiveChange_CompletesAndSeedsOnWithTheSameConnections()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-handle-on");
        var built = TestTorrents.SingleFile(1_048_576, pieceLength: 64 * 1024, name: "on.bin", announce: null, seed: 74);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 128 KiB/s to us: about 8 s; 64 KiB/s from us to the leecher: it is half-way when we complete.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 128 * 1024);
        var lines = new ConcurrentQueue<string>();
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        await using var alerts = StateAlerts.Read(session, Ct);
        var states = alerts.States;
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)], SeedAfterDownload = true,
            Log = lines.Enqueue,
        });
        async Task Until(Func<bool> condition, string what) =>
            Assert.True(await Wait.UntilAsync(condition, Patience, Ct), $"{what}: {handle} ({handle.Error})\n{string.Join('\n', lines)}");
        await WaitForAsync(handle, h => h.PiecesDone > 0 && h.State == TorrentState.Downloading, "never downloading");

        var script = Path.Combine(folder.Path, "leecher.py");
        await File.WriteAllTextAsync(script, Leecher, Ct);
        using var leecher = ProcessRunner.Start(python, [script, torrentPath, folder.Combine("leech"), ProcessRunner.FreeTcpPort().ToString(),
            session.Port.ToString(), (64 * 1024).ToString()]);
        var leecherLines = new ConcurrentQueue<string>();
        var leecherReader = Task.Run(async () =>
        {
            while (await leecher.StandardOutput.ReadLineAsync(Ct) is { } line) leecherLines.Enqueue(line);
        }, Ct);
        try
        {
            string? Incoming() => lines.FirstOrDefault(l => l.Contains(": connected (incoming", StringComparison.Ordinal));
            await Until(() => Incoming() is not null, "the libtorrent leecher never connected");
            var leecherPeer = Incoming()![..Incoming()!.IndexOf(": connected", StringComparison.Ordinal)];

            await handle.SetSequentialAsync(true).WaitAsync(Patience, Ct);
            await handle.SetFilePrioritiesAsync([FilePriority.High]).WaitAsync(Patience, Ct);
            handle.DownloadLimit.BytesPerSecond = 512 * 1024;
            handle.UploadLimit.BytesPerSecond = 256 * 1024;
            await handle.SetSuperSeedAsync(true).WaitAsync(Patience, Ct);
            await handle.SetSuperSeedAsync(false).WaitAsync(Patience, Ct);
            await handle.SetOptionsAsync(handle.Options with { MaxPeers = 40, Sequential = false }).WaitAsync(Patience, Ct);
            await handle.SetSeedingAsync(true, time: TimeSpan.FromHours(1)).WaitAsync(Patience, Ct);
            Assert.Equal(TorrentState.Downloading, handle.State); // every change reached a download

            await Until(() => handle.State == TorrentState.Seeding, "never seeding");
            Assert.True(handle.IsComplete);
            await Until(() => leecherLines.Contains("done"), "the leecher never completed from the seeding torrent");
            var seen = lines.ToArray();

            Assert.Equal(1, seen.Count(l => l.StartsWith($"peer 127.0.0.1:{seeder.Port}: connected", StringComparison.Ordinal)));
            Assert.Equal(1, seen.Count(l => l.Contains(": connected (incoming", StringComparison.Ordinal))); // the leecher, once
            // Once it has everything the two of us are seeds, and that connection may go: for that reason only.
            Assert.All(seen.Where(l => l.StartsWith($"{leecherPeer}: disconnected", StringComparison.Ordinal)),
                l => Assert.Contains("both sides are seeds", l, StringComparison.Ordinal));
            Assert.DoesNotContain(TorrentState.Paused, states); // no change stopped the run
            Assert.Equal(1, seen.Count(l => l == "seeding for 01:00:00")); // the plan, told once; the seeding never started again
            Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("out", "on.bin")));
        }
        finally
        {
            ProcessRunner.Stop(leecher);
            try { await leecherReader; } catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException) { }
        }
        await alerts.StopAsync();
    }

    /// <summary>A python3-libtorrent leecher that dials one peer, downloads at a capped rate and prints "done" once it
    /// has every piece; it stays until stopped. Arguments: torrent, save path, its port, the peer's port, the limit.</summary>
    internal const string Leecher = LibtorrentScript.Prelude + """
        torrent, save_path, port, peer, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        ses = loopback_session(port)
        h, ti = add_torrent(ses, torrent, save_path)
        h.set_download_limit(limit)
        h.connect_peer(('127.0.0.1', peer))
        deadline = time.time() + 110
        told = False
        while time.time() < deadline:
            time.sleep(0.2)
            if not told and h.status().is_seeding:
                print('done', flush=True)
                told = True
        """;
}
