using System.Net;
using System.Text.Json.Nodes;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;
using WebState = TorrentLab.Web.TorrentState;

namespace TorrentLab.Tests.Web;

/// <summary>Share limits of serve (TorrentLab.Web/ShareLimits.cs): a seeding torrent stops at its ratio, seeding time or
/// idle time, counted over every run, and the server's action follows: pause (kept in the list, stopped), remove (its
/// data kept) or remove with its files. The session runs on a manual clock: time moves only when a test moves it.</summary>
public class ShareLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static TorrentManager Open(string downloads, ManualClock clock, Action<string>? log = null) => TorrentManager.Open(new WebServerOptions
    {
        Downloads = downloads, PeerBindAddresses = [IPAddress.Loopback], PeerPort = 0, Dht = false, SeedAfterDownload = true,
        ConfigureSession = s => s with { Time = clock }, Log = log,
    });

    /// <summary>Waits until the session armed a timer due in <paramref name="due"/>: the engine's limit timer.</summary>
    private static Task ArmedAsync(ManualClock clock, TimeSpan due) =>
        Wait.UntilAsync(() => clock.PendingTimers.Contains(due), Patience, $"no timer due in {due}: {string.Join(", ", clock.PendingTimers)}", Ct);

    private static Task StateAsync(ManagedTorrent torrent, WebState state) =>
        Wait.UntilAsync(() => torrent.State == state, Patience, $"never {state}: {torrent.State}", Ct);

    [Fact]
    public async Task SeedingTimeReached_PausesIt_KeptInTheList_AndItDoesNotResumeAtTheNextStart()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, name: "timed.bin", announce: null);
        built.WritePayload(folder.Path);
        var clock = new ManualClock();
        await using (var manager = Open(folder.Path, clock))
        {
            var torrent = await manager.AddAsync(built.TorrentBytes, start: true, Ct);
            await StateAsync(torrent, WebState.Seeding);

            await manager.Adjust.SetSeedingAsync(torrent, new SeedPolicy(Minutes: 10)); // taken live
            await ArmedAsync(clock, TimeSpan.FromMinutes(10));
            clock.Advance(TimeSpan.FromMinutes(9));
            var before = torrent.State;
            clock.Advance(TimeSpan.FromMinutes(1));
            await StateAsync(torrent, WebState.Completed);

            Assert.Equal(WebState.Seeding, before);
            Assert.Same(torrent, manager.Find(built.Torrent.InfoHash.Hex)); // paused: still listed
            Assert.Equal("completed", torrent.Summary().State);
            Assert.False(torrent.WantsRunning);
            Assert.Contains(torrent.Details().Log, line => line.Contains("seeding ends: seeded for 00:10:00", StringComparison.Ordinal));
        }
        await using (var again = Open(folder.Path, new ManualClock()))
        {
            var torrent = again.Find(built.Torrent.InfoHash.Hex)!;
            Assert.Equal(10, torrent.Seeding.Minutes);
            Assert.False(torrent.WantsRunning);
            Assert.Equal(WebState.Completed, torrent.State);
        }
    }

    [Fact]
    public async Task RatioReached_CountsTheUploadsOfEarlierRuns_AfterARestart_AndRemoveKeepsItsData()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, name: "shared.bin", announce: null);
        built.WritePayload(folder.Path);
        await using (var manager = Open(folder.Path, new ManualClock()))
        {
            var torrent = await manager.AddAsync(built.TorrentBytes, start: false, Ct);
            await manager.Adjust.SetSeedingAsync(torrent, new SeedPolicy(Ratio: 2));
            manager.UpdateSettings(new WebSettings { SeedLimitAction = ShareLimits.Remove });
        }
        // Earlier runs uploaded 2.5 times its size: the saved list keeps that figure.
        var list = Path.Combine(folder.Path, ".torrentlab", "web", "torrents.json");
        var document = JsonNode.Parse(File.ReadAllText(list))!;
        document["torrents"]![0]!["uploaded"] = 125_000;
        File.WriteAllText(list, document.ToJsonString());

        await using var restarted = Open(folder.Path, new ManualClock());
        var listed = restarted.Find(built.Torrent.InfoHash.Hex)!;
        var (ratio, action) = (listed.Seeding.Ratio, restarted.Settings.SeedLimitAction);
        await restarted.StartAsync(listed, Ct);
        await Wait.UntilAsync(() => restarted.Find(built.Torrent.InfoHash.Hex) is null, Patience, $"never removed: {listed.State}", Ct);

        Assert.Equal((2.0, ShareLimits.Remove), (ratio, action));
        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(Path.Combine(folder.Path, "shared.bin")));
    }

    [Fact]
    public async Task IdleLimit_AfterARestart_RemoveWithData_DeletesOnlyTheTorrentsFiles()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 30_000), ("sub/b.bin", 20_000)], name: "pack", announce: null);
        built.WritePayload(folder.Path);
        File.WriteAllText(Path.Combine(folder.Path, "pack", "notes.txt"), "the user's own file beside the torrent's");
        File.WriteAllText(Path.Combine(folder.Path, "other.txt"), "another file of the downloads folder");
        await using (var manager = Open(folder.Path, new ManualClock()))
        {
            var torrent = await manager.AddAsync(built.TorrentBytes, start: true, Ct);
            await StateAsync(torrent, WebState.Seeding);
            await manager.Adjust.SetSeedingAsync(torrent, new SeedPolicy(IdleMinutes: 30));
            manager.UpdateSettings(new WebSettings { SeedLimitAction = ShareLimits.RemoveData });
        }

        var clock = new ManualClock();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var restarted = Open(folder.Path, clock, log.Enqueue);
        var listed = restarted.Find(built.Torrent.InfoHash.Hex)!;
        await StateAsync(listed, WebState.Seeding); // it was running: it resumes, with its idle limit
        await ArmedAsync(clock, TimeSpan.FromMinutes(30));
        var idle = listed.Handle.Options.SeedIdleTime;
        clock.Advance(TimeSpan.FromMinutes(30)); // nothing uploaded meanwhile
        // The line comes once the removal ended, data deleted: the torrent leaves the list a moment before its files go
        // (a CI run that waited for the list alone found a.bin still there).
        await Wait.UntilAsync(() => log.Any(l => l.StartsWith("removed 'pack' and its data", StringComparison.Ordinal)), Patience,
            $"never removed with its data: {listed.State}", Ct);
        Assert.Null(restarted.Find(built.Torrent.InfoHash.Hex));

        Assert.Equal(TimeSpan.FromMinutes(30), idle);
        Assert.False(File.Exists(Path.Combine(folder.Path, "pack", "a.bin")));
        Assert.False(File.Exists(Path.Combine(folder.Path, "pack", "sub", "b.bin")));
        Assert.True(File.Exists(Path.Combine(folder.Path, "pack", "notes.txt")));
        Assert.True(File.Exists(Path.Combine(folder.Path, "other.txt")));
    }

    /// <summary>A row: the torrent's own policy, the defaults, and the run's limits: seed, ratio, minutes, idle minutes
    /// (null: none).</summary>
    public static TheoryData<string, SeedPolicy, WebSettings, string> Plans => new()
    {
        // qBittorrent's -2 (the default) is a null field; -1 (no limit) is 0; Transmission's modes 0 and 2 the same.
        { "-2 takes the defaults", new SeedPolicy(), new WebSettings(SeedAfterDownload: true, SeedRatio: 2, SeedMinutes: 60) { SeedIdleMinutes = 15 },
            "True 2 60 15" },
        { "-1 is no limit over a default", new SeedPolicy(Ratio: 0, Minutes: 0, IdleMinutes: 0), new WebSettings(SeedAfterDownload: true, SeedRatio: 2, SeedMinutes: 60) { SeedIdleMinutes = 15 },
            "True - - -" },
        { "its own over the defaults", new SeedPolicy(Ratio: 1.5, Minutes: 5, IdleMinutes: 3), new WebSettings(SeedAfterDownload: true, SeedRatio: 2) { SeedIdleMinutes = 15 },
            "True 1.5 5 3" },
        { "0 of qBittorrent: it does not seed", new SeedPolicy(Seed: false), new WebSettings(SeedAfterDownload: true, SeedRatio: 2),
            "False 2 - -" },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public async Task Plan_TakesItsOwnLimitsOverTheDefaults(string name, SeedPolicy policy, WebSettings defaults, string expected)
    {
        using var folder = new TempFolder();
        await using var manager = Open(folder.Path, new ManualClock());
        var torrent = await manager.AddAsync(TestTorrents.SingleFile(length: 5000, announce: null).TorrentBytes, start: false, Ct);
        torrent.Seeding = policy;

        var run = ShareLimits.Plan(torrent, defaults, swarmEngine: true, category: null);

        Assert.True(expected == $"{run.Seed} {run.Ratio?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {run.Time?.TotalMinutes.ToString() ?? "-"} {run.Idle?.TotalMinutes.ToString() ?? "-"}",
            $"{name}: {run}");
    }

    [Fact]
    public void Less_TakesOffWhatEarlierRunsUploadedAndSeeded_AReachedLimitIsZero()
    {
        var run = new SeedingRun(true, 2, TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(30));

        Assert.Equal(run with { Ratio = 1.5, Time = TimeSpan.FromMinutes(50) }, run.Less((500, 600), size: 1000));
        Assert.Equal(run with { Ratio = 0, Time = TimeSpan.Zero }, run.Less((5000, 7200), size: 1000)); // the idle time is per run
        Assert.Equal(new SeedingRun(false, null, null, null), (run with { Seed = false }).Less((0, 0), 1000));
    }
}
