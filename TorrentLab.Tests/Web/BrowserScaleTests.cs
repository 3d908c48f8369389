using System.Diagnostics;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The page with 2,000 torrents, 20 of them downloading, in Debian's Chromium: only rows in view exist, a live
/// update touches only the rows of the torrents it names, a click is taken, keyboard focus on a priority menu survives
/// live updates, and a reload restores the view. Behaviour only, at a size that keeps the suite steady on a loaded
/// machine (at 10,000 and 50 the set-up alone took minutes under load, and a 20 s wait for live messages failed once):
/// the list is already 60 times the rows in view. The figures at 10,000 torrents and 50 running are measured by
/// <c>bench/web/page_scale.sh</c> (<see cref="PageScaleBenchmark"/>).</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserScaleTests
{
    private const int Torrents = 2_000, Running = 20;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Counts what the page receives over its WebSocket, before the page's own handler runs: the rows that
    /// changed (<c>progressMessages</c>: one per row of each <c>rows</c> message, and which torrents they name) and detail
    /// messages. Installed before the page's scripts.</summary>
    internal const string CountLiveMessages = """
        window.__live = { progress: new Set(), progressMessages: 0, details: 0 };
        const NativeWebSocket = WebSocket;
        window.WebSocket = class extends NativeWebSocket {
          constructor(...args) {
            super(...args);
            // Read without parsing the whole message again (the benchmark measures the page, not this counter).
            this.addEventListener('message', (e) => {
              const type = /^\{"type":"(\w+)"/.exec(e.data)?.[1];
              if (type === 'rows') {
                for (const [, hash] of e.data.matchAll(/"infoHash":"([0-9a-f]+)"/g)) {
                  window.__live.progress.add(hash);
                  window.__live.progressMessages++;
                }
              }
              if (type === 'detail') window.__live.details++;
            });
          }
        };
        """;

    /// <summary>How late a 100 ms timer of the page runs (the most and the sum, in ms): what a busy main thread of the
    /// page costs every call into it. Installed before the page's scripts, read by <see cref="ReadLateness"/>.</summary>
    private const string MeasureLateness = """
        window.__late = { most: 0, sum: 0, ticks: 0 };
        {
          let last = performance.now();
          setInterval(() => {
            const now = performance.now(), late = Math.max(0, now - last - 100);
            last = now;
            window.__late.ticks++;
            window.__late.sum += late;
            window.__late.most = Math.max(window.__late.most, late);
          }, 100);
        }
        """;

    private const string ReadLateness =
        "() => `at most ${Math.round(window.__late.most)} ms, ${Math.round(window.__late.sum)} ms in all over ${window.__late.ticks} ticks`";

    /// <summary>The file tree as the page holds it (drawn for which torrent, how many rows), the resource timing of its
    /// reads (a body never read shows no end), the notice shown and how late the page's timers ran.</summary>
    private const string TreeState = """
        () => {
          const box = document.querySelector('#file-tree');
          const reads = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/files'))
            .map((e) => `started ${Math.round(e.startTime)} ms, answer ${Math.round(e.responseStart)}, end ${Math.round(e.responseEnd)}, ${e.transferSize} bytes`);
          const notice = document.querySelector('#notice');
          return `tree drawn for ${box.dataset.hash || 'none'}, ${box.dataset.rows || 0} rows of ${box.dataset.listed || 0}, `
            + `${box.querySelectorAll('.ft-row').length} in the page, box ${box.clientWidth}x${box.clientHeight}; `
            + `reads: ${reads.join(' | ') || 'none'}; page time ${Math.round(performance.now())} ms; `
            + `notice: ${notice && !notice.hidden ? notice.textContent : 'none'}; `
            + `timers late at most ${Math.round(window.__late.most)} ms over ${window.__late.ticks} ticks`;
        }
        """;

    /// <summary>Records every DOM mutation in the list's body and the row (its info hash) each one is in.</summary>
    private const string ObserveRows = """
        () => {
          window.__mutations = { count: 0, rows: new Set(), outside: 0, what: [] };
          window.__live.progress = new Set();
          window.__live.progressMessages = 0;
          window.__observer = new MutationObserver((records) => {
            for (const r of records) {
              window.__mutations.count++;
              const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
              const tr = node && node.closest('tr[data-hash]');
              if (tr) window.__mutations.rows.add(tr.dataset.hash);
              else { window.__mutations.outside++; window.__mutations.what.push(r.type + ' ' + (r.attributeName || '') + ' on ' + (node && node.outerHTML.substring(0, 80))); }
            }
          });
          window.__observer.observe(document.querySelector('#torrents tbody'), { subtree: true, childList: true, attributes: true, characterData: true });
        }
        """;

    [Fact]
    public async Task Page_ThousandsOfTorrentsSomeRunning_TouchesOnlyChangedRowsTakesClicksKeepsFocusAndRestoresTheView()
    {
        HeadlessChromium.Require();
        var clock = Stopwatch.StartNew();
        await using var rig = await PageScaleRig.StartAsync(Torrents, Running, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"{Torrents} torrents saved and served in {clock.Elapsed.TotalSeconds:F1} s");

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors, timeoutMs: 60_000);
        var filesRequests = new List<string>(); // the file tree's reads, for a failure's message
        void Note(string what) { lock (filesRequests) filesRequests.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {what}"); }
        page.Request += (_, r) => { if (r.Url.EndsWith("/files", StringComparison.Ordinal)) Note("asked"); };
        page.Response += (_, r) => { if (r.Url.EndsWith("/files", StringComparison.Ordinal)) Note($"answer {r.Status}"); };
        page.RequestFailed += (_, r) => { if (r.Url.EndsWith("/files", StringComparison.Ordinal)) Note($"failed: {r.Failure}"); };
        page.RequestFinished += (_, r) => { if (r.Url.EndsWith("/files", StringComparison.Ordinal)) Note("body read"); };
        await page.AddInitScriptAsync(CountLiveMessages);
        await page.AddInitScriptAsync(MeasureLateness);
        await page.GotoAsync(rig.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#t-counts")).ToHaveAttributeAsync("data-total", Torrents.ToString());

        // Only the rows in view are in the page, and the newest (running) torrent is the first of them.
        var body = page.Locator("#torrents tbody");
        await Assertions.Expect(body).ToHaveAttributeAsync("data-listed", Torrents.ToString());
        var rows = await page.Locator("#torrents tbody tr[data-hash]").CountAsync();
        Assert.InRange(rows, 10, 60);
        await Assertions.Expect(page.Locator("#torrents tbody tr[data-hash]").First).ToHaveAttributeAsync("data-hash", rig.Running[0]);

        // A live round touches only the rows of the torrents it names (and only those in view).
        await page.WaitForFunctionAsync("() => window.__live.progress.size >= 10", null, new() { Timeout = 60_000 });
        await page.EvaluateAsync(ObserveRows);
        await page.WaitForFunctionAsync("() => window.__live.progressMessages >= 40", null, new() { Timeout = 60_000 });
        var seen = await page.EvaluateAsync<MutationCounts>("""
            () => { window.__observer.disconnect();
              return { mutations: window.__mutations.count, outside: window.__mutations.outside, what: window.__mutations.what.slice(0, 5).join(' | '), rows: [...window.__mutations.rows],
                       progressed: [...window.__live.progress], messages: window.__live.progressMessages }; }
            """);
        Assert.NotEmpty(seen.Rows); // the running rows in view did change
        Assert.Empty(seen.Rows.Except(seen.Progressed)); // no row of a torrent without news
        Assert.True(seen.Outside == 0, $"no row added, removed or moved, but: {seen.What}");
        Assert.True(seen.Mutations <= seen.Messages * 12, $"{seen.Mutations} mutations for {seen.Messages} row updates");

        // A click on select all is taken: every torrent is ticked, in view or not.
        await page.Locator("#check-all").ClickAsync();
        await Assertions.Expect(page.Locator("#bulk-count")).ToHaveTextAsync($"{Torrents} selected");
        await Assertions.Expect(page.Locator("#torrents tbody tr[data-hash] .check").First).ToBeCheckedAsync();
        await page.Locator("#check-all").ClickAsync();
        await Assertions.Expect(page.Locator("#bulk")).ToBeHiddenAsync();

        // Keyboard focus on a file's priority menu survives live updates of the detail view.
        // The row is held by its info hash: a locator by state is found again at each use, and a torrent that finished
        // between reading the name and the click sent the click to the next downloading row (a CI run under load: the
        // detail view opened on another torrent, and its name never matched).
        var hash = await page.Locator("#torrents tbody tr[data-hash]").Filter(new() { Has = page.Locator(".state.downloading") }).First.GetAttributeAsync("data-hash");
        var downloading = page.Locator($"#torrents tbody tr[data-hash='{hash}']");
        var name = await downloading.Locator(".name").TextContentAsync();
        // The click opens the detail view and writes it into the address in place (history.replaceState): no navigation
        // to wait for (a CI run waited 60 s for one after this click); the detail view's name says it opened.
#pragma warning disable CS0612 // marked obsolete, still honoured: the option that skips the wait for navigations
        await downloading.Locator(".name").ClickAsync(new() { NoWaitAfter = true });
#pragma warning restore CS0612
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync(name!);
        try
        {
            await Assertions.Expect(page.Locator("#file-tree .ft-priority").First).ToBeVisibleAsync();
        }
        catch (PlaywrightException e)
        {
            // CI runs under load saw the tree stay empty for 60 s, and for the 30 s of an expectation; what the page asked
            // for and heard says why (first: a failed run's report shows a message's first lines).
            // A run with one read answered (200) and the tree still empty 30 s later: what the page itself holds says
            // whether the answer's body reached the script and whether the tree was drawn.
            string said;
            try { said = await page.EvaluateAsync<string>(TreeState).WaitAsync(TimeSpan.FromSeconds(10), Ct); }
            catch (TimeoutException) { said = "the page did not answer in 10 s"; }
            lock (filesRequests)
                throw new PlaywrightException($"the page's file reads: {(filesRequests.Count == 0 ? "none" : string.Join("; ", filesRequests))}; "
                    + $"the page: {said}; "
                    + $"this process's thread pool: {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} items waiting\n{e.Message}", e);
        }
        // Focused by the page's own focus(), in one call: a CI run's Playwright focus (three calls into the page)
        // resolved the menu and then waited 60 s for the page, which no run here could repeat (up to eight busy loops
        // beside it); the page's timer lateness, in the test's output, tells a stalled page from one that was not.
        var details = await page.EvaluateAsync<int>("""
            () => { window.__focused = document.querySelector('#file-tree .ft-priority'); window.__focused.focus();
                    return document.activeElement === window.__focused ? window.__live.details : -1; }
            """);
        Assert.True(details >= 0, "the priority menu took the focus");
        await page.WaitForFunctionAsync($"() => window.__live.details >= {details + 3}", null, new() { Timeout = 60_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement === window.__focused && window.__focused.isConnected"),
            "focus left the priority menu during live updates");
        var late = await page.EvaluateAsync<string>(ReadLateness);

        // The view is in the address: a reload shows the same sort, filter, search and detail view.
        await page.Locator("th[data-sort='name']").ClickAsync();
        await page.Locator("#filter").SelectOptionAsync("downloading");
        await page.Locator("#search").FillAsync("run-");
        var expectedFirst = await page.Locator("#torrents tbody tr[data-hash] .name").First.TextContentAsync();
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#filter")).ToHaveValueAsync("downloading");
        await Assertions.Expect(page.Locator("#search")).ToHaveValueAsync("run-");
        await Assertions.Expect(page.Locator("th[data-sort='name']")).ToHaveAttributeAsync("aria-sort", "ascending");
        await Assertions.Expect(page.Locator("#detail")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync(name!);
        await Assertions.Expect(page.Locator("#torrents tbody tr[data-hash] .name").First).ToHaveTextAsync(expectedFirst!);
        Assert.Empty(consoleErrors);
        TestContext.Current.TestOutputHelper?.WriteLine($"whole test {clock.Elapsed.TotalSeconds:F1} s; the page's timers before the reload, late: {late}");
    }

    /// <summary>What the page saw between two moments (filled by Playwright from the page's object).</summary>
    private sealed class MutationCounts
    {
        public int Mutations { get; set; }
        public int Outside { get; set; }
        public string What { get; set; } = "";
        public string[] Rows { get; set; } = [];
        public string[] Progressed { get; set; } = [];
        public int Messages { get; set; }
    }
}
