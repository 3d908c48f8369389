using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>Not a test: the measurement behind <c>bench/web/page_scale.sh</c>, which sets <c>TORRENTLAB_BENCH_WEB=1</c>
/// (skipped otherwise). With 10,000 torrents and 50 downloading it measures the main thread's busy share (the
/// DevTools protocol's cumulative task time over a 10 s window of live updates, and its CPU time, which a loaded machine
/// stretches less), long tasks (the Long Tasks API), and
/// the latency of clicks (select all, sort, open a detail view: from the click event to the frame after it is handled).
/// It prints the figures and writes them to <c>TestResults/web/page-scale.txt</c>; it asserts nothing about them.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class PageScaleBenchmark
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Measure()
    {
        if (Environment.GetEnvironmentVariable("TORRENTLAB_BENCH_WEB") != "1") Assert.Skip("a benchmark: run bench/web/page_scale.sh");
        HeadlessChromium.Require();
        var torrents = int.Parse(Environment.GetEnvironmentVariable("TORRENTLAB_BENCH_TORRENTS") ?? "10000", CultureInfo.InvariantCulture);
        var running = int.Parse(Environment.GetEnvironmentVariable("TORRENTLAB_BENCH_RUNNING") ?? "50", CultureInfo.InvariantCulture);
        await using var rig = await PageScaleRig.StartAsync(torrents, running, Ct);
        await using var browser = await HeadlessChromium.LeaseAsync();
        var page = await HeadlessChromium.OpenPageAsync(browser, timeoutMs: 30_000);
        await page.AddInitScriptAsync(BrowserScaleTests.CountLiveMessages + """
            window.__clicks = [];
            window.__longTasks = [];
            new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
              .observe({ type: 'longtask', buffered: true });
            document.addEventListener('click', (e) => {
              const t0 = e.timeStamp;
              requestAnimationFrame(() => setTimeout(() => window.__clicks.push(performance.now() - t0), 0));
            }, true);
            """);
        await page.GotoAsync(rig.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#t-counts")).ToHaveAttributeAsync("data-total", torrents.ToString(CultureInfo.InvariantCulture));
        await page.WaitForFunctionAsync($"() => window.__live.progress.size >= {Math.Min(running, 20)}", null, new() { Timeout = 60_000 });

        // The busy share while live updates arrive and nobody clicks.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Performance.enable");
        await page.EvaluateAsync("() => { window.__longTasks = []; window.__live.progressMessages = 0; }");
        var before = await Metrics(cdp);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10), Ct);
        var after = await Metrics(cdp);
        var busy = (after.Task - before.Task) / wall.Elapsed.TotalSeconds;
        var cpu = (after.Cpu - before.Cpu) / wall.Elapsed.TotalSeconds;
        var idle = await page.EvaluateAsync<JsonElement>("() => ({ messages: window.__live.progressMessages, longTasks: window.__longTasks })");

        // Clicks: select all and back, sort by name and back, open the detail view of rows in view.
        await page.EvaluateAsync("() => { window.__clicks = []; }");
        var kinds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await page.Locator("#check-all").ClickAsync();
            kinds.Add("select all");
            await Task.Delay(300, Ct);
            await page.Locator("th[data-sort='name']").ClickAsync();
            kinds.Add("sort");
            await Task.Delay(300, Ct);
            await page.Locator("#torrents tbody tr[data-hash] .name").Nth(i).ClickAsync();
            kinds.Add("open detail");
            await Task.Delay(600, Ct);
        }
        await page.WaitForFunctionAsync($"() => window.__clicks.length >= {kinds.Count}");
        var clicks = await page.EvaluateAsync<double[]>("() => window.__clicks");

        var lines = new List<string>
        {
            $"torrents {torrents}, running {running}, load average {File.ReadAllText("/proc/loadavg").Trim()}",
            $"main thread busy {busy * 100:F1} % over {wall.Elapsed.TotalSeconds:F1} s ({idle.GetProperty("messages").GetInt32()} row updates); its CPU time {cpu * 100:F1} %",
            $"long tasks (> 50 ms) in that window: {idle.GetProperty("longTasks").GetArrayLength()}"
                + (idle.GetProperty("longTasks").GetArrayLength() > 0 ? $", longest {idle.GetProperty("longTasks").EnumerateArray().Max(e => e.GetDouble()):F0} ms" : ""),
        };
        foreach (var kind in kinds.Distinct())
        {
            var ms = kinds.Select((k, i) => (k, i)).Where(p => p.k == kind && p.i < clicks.Length).Select(p => clicks[p.i]).Order().ToArray();
            lines.Add($"click {kind}: median {ms[ms.Length / 2]:F0} ms, max {ms[^1]:F0} ms (n={ms.Length})");
        }
        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await File.WriteAllLinesAsync(Path.Combine(artifact, "page-scale.txt"), lines, Ct);
        foreach (var line in lines) TestContext.Current.SendDiagnosticMessage(line);
    }

    /// <summary>The main thread's task time (wall clock, stretched when the machine is loaded and the thread waits for a
    /// core) and its CPU time, in seconds since the page started.</summary>
    private static async Task<(double Task, double Cpu)> Metrics(ICDPSession cdp)
    {
        var metrics = (await cdp.SendAsync("Performance.getMetrics"))!.Value.GetProperty("metrics").EnumerateArray().ToList();
        double Value(string name) => metrics.First(m => m.GetProperty("name").GetString() == name).GetProperty("value").GetDouble();
        return (Value("TaskDuration"), Value("ThreadTime"));
    }
}
