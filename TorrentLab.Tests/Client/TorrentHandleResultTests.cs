using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>What a program written from the package's README expects of a handle (<c>Client/TorrentHandle*.cs</c>): the
/// result is there before <see cref="TorrentHandle.IsComplete"/> reads true, <see cref="TorrentHandle.WaitForCompletionAsync"/>
/// returns it (or the torrent's error, or the token's cancellation), and each alert carries the counts of its moment.
/// Against a seeder of our own on loopback, on each engine and with seeding after the download.</summary>
[Trait("Tier", "Slow")]
public class TorrentHandleResultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public enum Run { Swarm, Reference, SwarmThenSeeding }

    [Theory]
    [InlineData(Run.Swarm)]
    [InlineData(Run.Reference)]
    [InlineData(Run.SwarmThenSeeding)]
    public async Task Download_TheResultComesBeforeCompleteAndEachAlertCarriesItsMomentsCounts(Run run)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 200_000), ("b.bin", 130_000)], pieceLength: 16 * 1024, name: "result", announce: null, seed: 91);
        await using var seeder = await TorrentSessionTests.SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)],
            MaxPeers = run == Run.Reference ? 1 : 50, SeedAfterDownload = run == Run.SwarmThenSeeding,
        }, start: false);

        // Whoever looks, at every alert and at every change: complete means the result is there (read in that order).
        var broken = new ConcurrentQueue<string>();
        var alerts = new ConcurrentQueue<TorrentAlert>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var alert in session.Alerts.ReadAllAsync(stop.Token))
                {
                    alerts.Enqueue(alert);
                    if (handle.IsComplete && handle.Result is null) broken.Enqueue($"at alert {alert}");
                }
            }
            catch (OperationCanceledException) { }
        }, Ct);
        var watcher = Task.Run(async () =>
        {
            var version = handle.Version;
            try
            {
                while (true)
                {
                    if (handle.IsComplete && handle.Result is null) broken.Enqueue($"at version {version}");
                    // Complete means the map shows it too, not the map of the last progress report before the last pieces.
                    if (handle.IsComplete && handle.Pieces.CountOf(PieceState.Verified) != built.Torrent.PieceCount)
                        broken.Enqueue($"a map of {handle.Pieces.CountOf(PieceState.Verified)} verified pieces at version {version}");
                    version = await handle.WaitForChangeAsync(version, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
        }, Ct);

        handle.Start();
        var result = await handle.WaitForCompletionAsync(Ct).WaitAsync(Patience, Ct);
        Assert.True(await Wait.UntilAsync(() => alerts.Count(a => a.Kind == TorrentAlertKind.PieceFinished) == built.Torrent.PieceCount, Patience, Ct));
        await stop.CancelAsync();
        await Task.WhenAll(reader, watcher);

        Assert.Empty(broken);
        Assert.True(handle.IsComplete);
        Assert.Same(result, handle.Result);
        Assert.Equal(0, result.PiecesFromResume);
        Assert.True(result.Downloaded >= built.Torrent.PayloadLength, $"downloaded {result.Downloaded}");
        Assert.Equal(run == Run.SwarmThenSeeding ? TorrentState.Seeding : TorrentState.Completed, handle.State);
        // Each piece's alert says how many pieces were verified with it: 1, 2, ... in the order they were reported.
        var finished = alerts.Where(a => a.Kind == TorrentAlertKind.PieceFinished).ToList();
        Assert.Equal(Enumerable.Range(1, built.Torrent.PieceCount), finished.Select(a => a.PiecesDone));
        Assert.Equal(built.Torrent.PayloadLength, finished[^1].BytesDone);
        Assert.All(alerts.Where(a => a.Kind == TorrentAlertKind.FileCompleted),
            a => Assert.Equal(finished.Single(f => f.PiecesDone == a.PiecesDone).BytesDone, a.BytesDone));
        Assert.Equal(built.Torrent.PieceCount, alerts.Last(a => a.Kind == TorrentAlertKind.StateChanged).PiecesDone);
        // Completed (or seeding) once, for good: no report of the ending run moves it back to downloading.
        var states = alerts.Where(a => a.Kind == TorrentAlertKind.StateChanged).Select(a => a.State!.Value).ToList();
        Assert.Equal(states.Count - 1, states.FindIndex(s => s is TorrentState.Completed or TorrentState.Seeding));
        // Asked again once complete, the wait answers at once with the same result.
        Assert.Same(result, await handle.WaitForCompletionAsync(Ct));
    }

    /// <summary>The map is the last progress report's while a download runs; its last pieces may be verified before the
    /// next report (written pieces are heard at once, reports come about once a second). Complete, the map says so:
    /// <c>torrentlab --record</c> read a map of nothing verified from a download that had just completed.</summary>
    [Fact]
    public async Task Pieces_OnceComplete_ShowEveryPieceVerified_ThoughTheLastReportSaidNone()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 64 * 1024, pieceLength: 16 * 1024, name: "map.bin", announce: null, seed: 93);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }); // no peer: it waits
        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Downloading || handle.Progress is not null, Patience, Ct));
        var count = built.Torrent.PieceCount;

        ((ITorrentRunObserver)handle).Report(new DownloadProgress(0, count, 0, built.Torrent.PayloadLength, 0, 0, 0, null, TimeSpan.Zero)
        {
            Pieces = PieceStates.From(new TorrentLab.Wire.Bitfield(count), requested: [0, 1]),
        });
        ((ITorrentEvents)handle).Downloaded(new DownloadResult(built.Torrent.PayloadLength, 0, 0, [], [], TimeSpan.FromSeconds(1)));

        Assert.True(handle.IsComplete);
        Assert.Equal(count, handle.Pieces.CountOf(PieceState.Verified));
    }

    [Fact]
    public async Task WaitForCompletionAsync_ATorrentNotStarted_WaitsUntilItsTokenIsCancelled()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 40_000, name: "idle.bin", announce: null, seed: 92);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, start: false);
        using var cancel = new CancellationTokenSource();

        var waiting = handle.WaitForCompletionAsync(cancel.Token);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(TorrentState.Paused, handle.State);
        Assert.Null(handle.Result);
    }

    [Fact]
    public async Task WaitForCompletionAsync_ATorrentThatFails_ThrowsItsError()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 40_000, name: "blocked.bin", announce: null, seed: 93);
        Directory.CreateDirectory(folder.Combine("blocked.bin")); // a folder where the file must go: a storage error
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path });

        var thrown = await Assert.ThrowsAsync<TorrentLab.Storage.StorageException>(() => handle.WaitForCompletionAsync(Ct).WaitAsync(Patience, Ct));

        Assert.Equal(TorrentState.Failed, handle.State);
        Assert.Same(handle.Error, thrown);
        Assert.Null(handle.Result);
    }

    /// <summary>Seeding turned on while the download runs reaches it with its peer kept: it completes into seeding with
    /// the one connection it had, never paused or restarted.</summary>
    [Fact]
    public async Task SeedingTurnedOnWhileDownloading_CompletesIntoSeedingWithItsConnectionKept()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 600_000, pieceLength: 16 * 1024, name: "seedlater.bin", announce: null, seed: 94);
        await using var seeder = await TorrentSessionTests.SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var lines = new ConcurrentQueue<string>();
        await using var alerts = StateAlerts.Read(session, Ct);
        var states = alerts.States;
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)], Log = lines.Enqueue,
            DownloadLimit = new RateLimit(100 * 1024), // about 6 s: seeding is turned on well before the end
        });
        Assert.True(await Wait.UntilAsync(() => handle.PiecesDone > 0 && handle.State == TorrentState.Downloading, Patience, Ct), $"never downloading: {handle}");

        await handle.SetSeedingAsync(true).WaitAsync(Patience, Ct);
        Assert.True(handle.SeedAfterDownload);
        handle.DownloadLimit.BytesPerSecond = 0;
        var result = await handle.WaitForCompletionAsync(Ct).WaitAsync(Patience, Ct);
        await alerts.StopAsync();

        Assert.Equal(TorrentState.Seeding, handle.State);
        Assert.True(result.Downloaded >= built.Torrent.PayloadLength);
        Assert.DoesNotContain(TorrentState.Paused, states); // no change stopped the run
        Assert.Equal([TorrentState.Checking, TorrentState.Downloading, TorrentState.Seeding], states.Distinct());
        Assert.Equal(1, lines.Count(l => l.StartsWith($"peer 127.0.0.1:{seeder.Port}: connected", StringComparison.Ordinal)));
    }

    /// <summary>Options replaced whole while the torrent downloads: when only live settings changed (order, peer cap,
    /// seeding plan) its connection stays; a setting the engine reads only at a start restarts it (a second handshake).</summary>
    [Fact]
    public async Task SetOptionsAsync_OnlyLiveSettingsChanged_KeepsTheConnection_AnotherSettingRestarts()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 600_000, pieceLength: 16 * 1024, name: "options.bin", announce: null, seed: 95);
        await using var seeder = await TorrentSessionTests.SeedAsync(built, folder.Combine("seed"));
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var lines = new ConcurrentQueue<string>();
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, seeder.Port)], Log = lines.Enqueue,
            DownloadLimit = new RateLimit(60 * 1024), // about 10 s: both changes reach a download
        });
        int Connected() => lines.Count(l => l.StartsWith($"peer 127.0.0.1:{seeder.Port}: connected", StringComparison.Ordinal));
        Assert.True(await Wait.UntilAsync(() => handle.PiecesDone > 0 && Connected() == 1, Patience, Ct), $"never downloading: {handle}");

        await handle.SetOptionsAsync(handle.Options with { Sequential = true, MaxPeers = 20, SeedAfterDownload = true }).WaitAsync(Patience, Ct);
        Assert.True(handle.Sequential);
        Assert.Equal(20, handle.MaxPeers);
        Assert.Equal(TorrentState.Downloading, handle.State);
        Assert.Equal(1, Connected());

        await handle.SetOptionsAsync(handle.Options with { RequestTimeout = TimeSpan.FromSeconds(20) }).WaitAsync(Patience, Ct);
        Assert.True(await Wait.UntilAsync(() => Connected() == 2, Patience, Ct), "the restarted run never connected again");
        handle.DownloadLimit.BytesPerSecond = 0;
        await handle.WaitForCompletionAsync(Ct).WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Seeding, handle.State);
    }

    /// <summary>A seeding torrent's plan changed while a peer downloads from it: a time limit keeps the peer's connection,
    /// a ratio already reached ends the seeding at once (the torrent Completed, what it uploaded kept), and no
    /// change started the run again.</summary>
    [Fact]
    public async Task SeedingPlanChangedWhileSeeding_KeepsThePeer_ThenARatioReachedEndsTheSeeding()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 600_000, pieceLength: 16 * 1024, name: "plan.bin", announce: null, seed: 96);
        built.WritePayload(folder.Combine("seed"));
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var lines = new ConcurrentQueue<string>();
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("seed"), SeedAfterDownload = true, Log = lines.Enqueue,
            UploadLimit = new RateLimit(40 * 1024), // about 15 s for the whole file: the peer is still there for each change
        });
        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Seeding, Patience, Ct), $"never seeding: {handle}");
        var peerLines = new ConcurrentQueue<string>();
        using var stopPeer = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var peer = TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("peer"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, session.Port)],
            Session = TorrentSessionTests.Loopback(), Log = peerLines.Enqueue,
        }, null, stopPeer.Token);
        int Connected() => peerLines.Count(l => l.StartsWith($"peer 127.0.0.1:{session.Port}: connected", StringComparison.Ordinal));
        Assert.True(await Wait.UntilAsync(() => handle.Uploaded > 0 && Connected() == 1, Patience, Ct), $"the peer never downloaded: {handle}");

        await handle.SetSeedingAsync(true, time: TimeSpan.FromHours(1)).WaitAsync(Patience, Ct);
        Assert.Equal(TorrentState.Seeding, handle.State);
        Assert.Equal(TimeSpan.FromHours(1), handle.Options.SeedTime);
        var uploaded = handle.Uploaded;
        Assert.True(await Wait.UntilAsync(() => handle.Uploaded > uploaded, Patience, Ct), "nothing more uploaded after the change");
        Assert.Equal(1, Connected());
        Assert.Contains(lines, l => l == "seeding for 01:00:00");

        // A ratio reached already (a tenth of the torrent went up before): the seeding ends now.
        await Wait.UntilAsync(() => handle.Uploaded >= built.Torrent.TotalLength / 10, Patience, Ct);
        await handle.SetSeedingAsync(true, ratio: 0.1).WaitAsync(Patience, Ct);
        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Completed, Patience, Ct), $"still seeding: {handle}");
        await stopPeer.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => peer);

        Assert.Equal(1, Connected()); // the one connection, never dialled again
        Assert.Contains(lines, l => l == "seeding ends: ratio 0.1 reached");
        Assert.DoesNotContain(lines, l => l == "seeding stopped");
        Assert.Equal(1, lines.Count(l => l == "seeding")); // started once
        Assert.True(handle.Uploaded >= built.Torrent.TotalLength / 10);
        Assert.Equal(0.1, handle.Options.SeedRatio);
    }

    /// <summary>Seeding turned off while the torrent seeds: it stops seeding at once, Completed, without a restart.</summary>
    [Fact]
    public async Task SeedingTurnedOffWhileSeeding_EndsTheSeedingAtOnce()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 100_000, pieceLength: 16 * 1024, name: "off.bin", announce: null, seed: 97);
        built.WritePayload(folder.Path);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var lines = new ConcurrentQueue<string>();
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path, SeedAfterDownload = true, Log = lines.Enqueue });
        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Seeding, Patience, Ct), $"never seeding: {handle}");
        Assert.Equal(1, session.Session.TorrentCount);

        await handle.SetSeedingAsync(false).WaitAsync(Patience, Ct);

        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Completed, Patience, Ct), $"still seeding: {handle}");
        Assert.False(handle.SeedAfterDownload);
        Assert.Contains(lines, l => l == "seeding ends: set not to seed");
        Assert.Equal(1, lines.Count(l => l == "seeding")); // never started again
        Assert.True(await Wait.UntilAsync(() => session.Session.TorrentCount == 0, Patience, Ct), "the session still routes to it");
    }

    /// <summary>Super-seeding turned on and off while peers download: each peer keeps its one connection; the peer that
    /// came after it was turned on is super-seeded (one piece revealed at a time), and hears of every piece once it is
    /// turned off; both complete.</summary>
    [Fact]
    public async Task SuperSeedTurnedOnThenOffWhileSeeding_KeepsEachPeer_TheLaterPeerIsSuperSeededThenToldEverything()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 600_000, pieceLength: 16 * 1024, name: "super.bin", announce: null, seed: 98);
        built.WritePayload(folder.Combine("seed"));
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var lines = new ConcurrentQueue<string>();
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("seed"), SeedAfterDownload = true, Log = lines.Enqueue,
            UploadLimit = new RateLimit(40 * 1024), // about 15 s for the whole file: the peers are there for each change
        });
        Assert.True(await Wait.UntilAsync(() => handle.State == TorrentState.Seeding, Patience, Ct), $"never seeding: {handle}");
        using var stopPeers = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var logs = new[] { new ConcurrentQueue<string>(), new ConcurrentQueue<string>() };
        Task<DownloadResult> Peer(int i) => TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine($"peer{i}"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, session.Port)],
            Session = TorrentSessionTests.Loopback(), Log = logs[i].Enqueue,
        }, null, stopPeers.Token);
        int Connected(int i) => logs[i].Count(l => l.StartsWith($"peer 127.0.0.1:{session.Port}: connected", StringComparison.Ordinal));

        var first = Peer(0);
        Assert.True(await Wait.UntilAsync(() => handle.Uploaded > 0 && Connected(0) == 1, Patience, Ct), $"the first peer never downloaded: {handle}");
        await handle.SetSuperSeedAsync(true).WaitAsync(Patience, Ct);
        Assert.True(handle.SuperSeed);
        var second = Peer(1);
        Assert.True(await Wait.UntilAsync(() => lines.Any(l => l.Contains("super-seeding reveals piece", StringComparison.Ordinal)), Patience, Ct),
            "the peer that came later was not super-seeded");

        await handle.SetSuperSeedAsync(false).WaitAsync(Patience, Ct);
        Assert.False(handle.SuperSeed);
        Assert.Contains(lines, l => l.Contains("super-seeding ends: told of", StringComparison.Ordinal));
        handle.UploadLimit.BytesPerSecond = 0;
        await Task.WhenAll(first, second).WaitAsync(Patience, Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("peer0", "super.bin")));
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("peer1", "super.bin")));
        Assert.Equal(1, Connected(0)); // each peer's one connection, kept through both changes
        Assert.Equal(1, Connected(1));
        Assert.Equal(TorrentState.Seeding, handle.State);
        Assert.Equal(1, lines.Count(l => l == "seeding")); // never started again
    }
}
