using System.Collections.Concurrent;
using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The disk guard (issue 80): downloads wait while their volume has fewer free bytes than the server keeps
/// free, and go on once it has room again; one log line each way; the page's <c>GET /api/disk</c>.</summary>
public class DiskGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const long MiB = 1 << 20;

    /// <summary>A volume whose free bytes the test sets.</summary>
    private sealed class FakeVolume(long free)
    {
        public long Free { get; set; } = free;
        public (string, long, long)? Probe(string folder) => ("/vol", Free, 100 * MiB);
    }

    [Fact]
    public void Check_LowBelowTheBytesKeptFree_BackOnlyATenthAbove_OneLineEachWay()
    {
        var volume = new FakeVolume(50 * MiB);
        var log = new List<string>();
        var guard = new DiskGuard(volume.Probe, log.Add);

        Assert.Empty(guard.Check(["/vol/a"], keepFree: 20 * MiB));
        Assert.False(guard.IsLow("/vol/a"));
        volume.Free = 19 * MiB;
        var low = Assert.Single(guard.Check(["/vol/a", "/vol/b"], 20 * MiB)); // two folders, one volume: one change
        Assert.True(low.Low);
        Assert.True(guard.IsLow("/vol/b"));
        Assert.Empty(guard.Check(["/vol/a"], 20 * MiB)); // still low: no second line
        volume.Free = 21 * MiB; // above the bytes kept free, but not by a tenth: a resumed download would stop at once
        Assert.Empty(guard.Check(["/vol/a"], 20 * MiB));
        Assert.True(guard.IsLow("/vol/a"));
        volume.Free = 22 * MiB;
        var back = Assert.Single(guard.Check(["/vol/a"], 20 * MiB));

        Assert.False(back.Low);
        Assert.False(guard.IsLow("/vol/a"));
        Assert.Equal(2, log.Count);
        Assert.Equal("disk guard: 19.0 MiB free on /vol, under the 20.0 MiB kept free: downloads there wait", log[0]);
        Assert.Equal("disk guard: 22.0 MiB free on /vol again: downloads there go on", log[1]);
        Assert.Equal(2, guard.Version);
    }

    [Fact]
    public void Check_Off_OrAVolumeThatCannotBeRead_NeverHoldsADownload()
    {
        var guard = new DiskGuard(volume => volume == "/unreadable" ? null : ("/vol", 0, 100 * MiB), null);

        Assert.Empty(guard.Check(["/vol/a", "/unreadable"], keepFree: 0));
        Assert.Empty(guard.Check(["/unreadable"], keepFree: 20 * MiB));

        Assert.False(guard.IsLow("/vol/a"));
        Assert.False(guard.IsLow("/unreadable"));
        Assert.Null(guard.WaitReason("/vol/a"));
        Assert.Equal(0L, Assert.Single(guard.Volumes).KeepFree);
    }

    [Fact]
    public void Probe_NamesTheMountPointAboveAFolderNotMadeYet()
    {
        using var folder = new TempFolder();
        var probe = DiskGuard.Probe(Path.Combine(folder.Path, "not", "made", "yet"));

        Assert.NotNull(probe);
        var mounts = DriveInfo.GetDrives().Select(d => d.RootDirectory.FullName).ToList();
        Assert.Contains(probe.Value.Volume, mounts);
        Assert.StartsWith(probe.Value.Volume, folder.Path, StringComparison.Ordinal);
        Assert.True(probe.Value.Free > 0 && probe.Value.Total >= probe.Value.Free);
    }

    /// <summary>A running download whose volume comes low waits in the queue with the reason on its row (its run
    /// stopped, not its wish to run), and completes once the volume has room again.</summary>
    [Fact]
    public async Task ARunningDownload_WaitsWhileItsVolumeIsLow_AndCompletesOnceThereIsRoom()
    {
        var volume = new FakeVolume(500 * MiB);
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, TorrentLab.Lab.SyntheticBehaviour.Slow, pieces: 64, slowDelay: TimeSpan.FromMilliseconds(100),
            configure: o => o with { KeepFree = 100 * MiB, DiskProbe = volume.Probe, DiskCheckEvery = Timeout.InfiniteTimeSpan, Log = log.Enqueue });
        var manager = web.Server.Torrents;
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "downloading" && t.PiecesDone >= 1, Ct);

        volume.Free = 99 * MiB;
        manager.CheckDisk();
        var waiting = await web.WaitForAsync(t => t.State == "queued", Ct);
        var disk = await web.Http.GetFromJsonAsync<VolumeSpace[]>("api/disk", Ct);
        var held = manager.Find(web.InfoHash)!;
        await Wait.UntilAsync(() => held.Handle.State == TorrentLab.Client.TorrentState.Paused, TimeSpan.FromSeconds(20), "the held download's run never stopped", Ct);
        Assert.True(held.WantsRunning); // a restart resumes it (and the guard holds it again while the volume is low)
        var piecesWhileHeld = held.Handle.PiecesDone;
        manager.Queue.Pump(); // a pump while the volume is low starts nothing
        Assert.Equal("queued", Assert.Single(await web.ListAsync(Ct)).State);

        volume.Free = 300 * MiB;
        manager.CheckDisk();
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal("waiting for disk space: 99.0 MiB free on /vol, 100.0 MiB kept free", waiting.Status);
        Assert.True(Assert.Single(disk!).Low);
        Assert.True(piecesWhileHeld < web.Swarm.Built.Torrent.PieceCount);
        Assert.Equal(web.Swarm.Built.Torrent.PieceCount, done.PiecesDone);
        Assert.True(web.FilesMatch());
        Assert.Single(log, l => l.StartsWith("disk guard:", StringComparison.Ordinal) && l.EndsWith("downloads there wait", StringComparison.Ordinal));
        Assert.Single(log, l => l.StartsWith("disk guard:", StringComparison.Ordinal) && l.EndsWith("downloads there go on", StringComparison.Ordinal));
        Assert.Contains(held.Details().Log, l => l.EndsWith("waiting for disk space: 99.0 MiB free on /vol, 100.0 MiB kept free", StringComparison.Ordinal));
    }

    /// <summary>A hold whose pause fails (the run cannot be stopped) is one warning line in the server's log, not an
    /// exception lost on the thread pool.</summary>
    [Fact]
    public async Task AHoldWhosePauseFails_IsLoggedAsOneWarning()
    {
        var volume = new FakeVolume(500 * MiB);
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, TorrentLab.Lab.SyntheticBehaviour.Slow, pieces: 64, slowDelay: TimeSpan.FromMilliseconds(100),
            configure: o => o with { KeepFree = 100 * MiB, DiskProbe = volume.Probe, DiskCheckEvery = Timeout.InfiniteTimeSpan, Log = log.Enqueue });
        var manager = web.Server.Torrents;
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "downloading", Ct);
        manager.Queue.PauseForSpace = _ => Task.FromException(new IOException("the ledger could not be written"));

        volume.Free = 99 * MiB;
        manager.CheckDisk();

        await Wait.UntilAsync(() => log.Any(l => l.StartsWith("warning: disk guard:", StringComparison.Ordinal)), TimeSpan.FromSeconds(20),
            "the failed hold was never logged", Ct);
        Assert.Equal("warning: disk guard: 'webtest' could not be held for disk space: the ledger could not be written",
            Assert.Single(log, l => l.StartsWith("warning: disk guard:", StringComparison.Ordinal)));
    }

    /// <summary>On a real volume (a tmpfs of 4 MiB, filled): a download added there waits from the start, the page's
    /// <c>/api/disk</c> names the volume, and once the filler is deleted the guard's own timer lets it go on.</summary>
    [Fact]
    [Trait("Tier", "Slow")]
    public async Task OnARealVolume_ADownloadWaitsUntilAFileIsDeleted()
    {
        using var folder = new TempFolder("torrentlab-disk-guard");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "4m");
        disk.Fill("filler", 3 * (int)MiB); // about 1 MiB left, under the 2 MiB kept free
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct,
            configure: o => o with { Downloads = disk.Path, KeepFree = 2 * MiB, DiskCheckEvery = TimeSpan.FromMilliseconds(100), Log = log.Enqueue });

        await web.AddAsync(start: true, Ct);
        var waiting = await web.WaitForAsync(t => t.State == "queued" && t.Status is not null, Ct);
        var low = Assert.Single((await web.Http.GetFromJsonAsync<VolumeSpace[]>("api/disk", Ct))!);
        File.Delete(Path.Combine(disk.Path, "filler"));
        var done = await web.WaitForAsync(t => t.State == "completed", Ct, TimeSpan.FromSeconds(60));

        Assert.StartsWith("waiting for disk space: ", waiting.Status, StringComparison.Ordinal);
        Assert.Equal(disk.Path, low.Volume);
        Assert.True(low.Low);
        Assert.Equal(2 * MiB, low.KeepFree);
        Assert.All(web.Swarm.Built.Files, f => Assert.Equal(f.Data, File.ReadAllBytes(Path.Combine(disk.Path, f.Path))));
        Assert.Single(log, l => l.StartsWith("disk guard: ", StringComparison.Ordinal) && l.Contains($"free on {disk.Path} again", StringComparison.Ordinal));
        Assert.Equal(web.Swarm.Built.Torrent.PieceCount, done.PiecesDone);
    }
}

/// <summary>The disk guard on the page (<c>wwwroot/disk.js</c>) in headless Chromium: the totals bar shows the free
/// space, red once the volume is low, with a notice.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class DiskGuardBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TotalsBar_ShowsTheFreeSpace_RedWithANoticeOnceTheVolumeIsLow()
    {
        HeadlessChromium.Require();
        var free = 500L << 20;
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            KeepFree = 100L << 20, DiskProbe = _ => ("/vol", Volatile.Read(ref free), 1L << 30), DiskCheckEvery = Timeout.InfiniteTimeSpan,
        });

        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync();
        context.SetDefaultTimeout(30_000); // the page asks every 10 s
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        await page.GotoAsync(web.Server.Url + "/");
        var slot = page.Locator("#t-disk");
        await Microsoft.Playwright.Assertions.Expect(slot).ToHaveTextAsync("500.0 MiB free");
        var lowBefore = await slot.EvaluateAsync<bool>("e => e.classList.contains('low')");

        Volatile.Write(ref free, 50L << 20);
        web.Server.Torrents.CheckDisk();
        await Microsoft.Playwright.Assertions.Expect(slot).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\blow\b"));
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Downloads on /vol wait");

        Assert.False(lowBefore);
        Assert.Contains("100.0 MiB", await slot.GetAttributeAsync("title"), StringComparison.Ordinal);
        Assert.Empty(consoleErrors);
    }
}
