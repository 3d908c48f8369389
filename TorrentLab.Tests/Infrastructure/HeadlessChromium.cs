using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(HeadlessChromium.Shutdown))]

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Debian's Chromium, headless, driven by Playwright over the DevTools protocol: the browser of every page test.
/// Playwright never downloads a browser here: it is pointed at /usr/bin/chromium.</summary>
/// <remarks>The run starts one Playwright driver and one browser, at the first page test, and every page test opens
/// contexts of its own in it (<see cref="LeaseAsync"/>): a context is a browser profile of its own (cookies, storage,
/// permissions, downloads), so tests side by side see nothing of each other. A driver and a browser per test cost about
/// 3 s of CPU each time (15 times a run); the run's one is closed after the last test (<see cref="Shutdown"/>).</remarks>
internal static class HeadlessChromium
{
    private const string Executable = "/usr/bin/chromium";

    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static (IPlaywright Playwright, IBrowser Browser)? _shared;

    /// <summary>Skips the test visibly without Chromium (mandatory in CI), and stops Playwright from fetching its own.
    /// Every <c>Expect</c> waits up to 30 s for its state (Playwright's default is 5 s): a filter applied on a loaded CI
    /// machine showed its rows after more than 5 s. The waits poll the state, so a longer bound only costs a failing run
    /// time.</summary>
    public static void Require()
    {
        Interop.RequireExecutable(Executable);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A test's share of the run's browser, started here if no test has started it yet (or if it is gone: a
    /// browser that crashed failed the tests in it, not every test after them). Dispose it at the end of the test: that
    /// closes the contexts it opened.</summary>
    public static async Task<BrowserLease> LeaseAsync()
    {
        await Starting.WaitAsync();
        try
        {
            if (_shared is not { Browser.IsConnected: true })
            {
                _shared?.Playwright.Dispose();
                _shared = null;
                // Not in the asking test's execution context: the driver's reader outlives the test.
                Task<(IPlaywright, IBrowser)> start;
                using (ExecutionContext.SuppressFlow()) start = Task.Run(StartAsync);
                _shared = await start;
            }
            return new BrowserLease(_shared.Value.Browser);
        }
        finally
        {
            Starting.Release();
        }
    }

    private static async Task<(IPlaywright, IBrowser)> StartAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            return (playwright, await LaunchAsync(playwright));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Starts a browser: headless, sandbox off (it runs as root in CI), nothing contacted in the background.</summary>
    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Executable,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"],
        Timeout = 20_000,
    });

    /// <summary>A page in a new 1280x900 context of <paramref name="browser"/> whose waits give up after
    /// <paramref name="timeoutMs"/>. Each console error goes to <paramref name="consoleErrors"/>, unless
    /// <paramref name="expected"/> says the test causes it.</summary>
    public static async Task<IPage> OpenPageAsync(BrowserLease browser, List<string>? consoleErrors = null, Func<string, bool>? expected = null,
        float timeoutMs = 20_000)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(timeoutMs);
        var page = await context.NewPageAsync();
        if (consoleErrors is not null)
            page.Console += (_, message) => { if (message.Type == "error" && expected?.Invoke(message.Text) != true) consoleErrors.Add(message.Text); };
        return page;
    }

    /// <summary>Closes the run's browser and driver after the last test (an assembly fixture), if a test started them.</summary>
    public sealed class Shutdown : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (_shared is not { } shared) return;
            _shared = null;
            await shared.Browser.CloseAsync();
            shared.Playwright.Dispose();
        }
    }
}

/// <summary>Every class whose tests open pages: one page test at a time in the run's one browser, after the rest of the
/// suite, with nothing of it beside them (<c>DisableParallelization</c>). Side by side in one Chromium, a page of
/// thousands of rows updating live starved the other tests' pages (a CI run at 2026-11-29 11:20: a form post and fetches
/// from a page never ended in 60 s, a page's load and a click waited past 20 s); a browser per test costs about 3 s of
/// CPU each (<see cref="HeadlessChromium"/>). Beside the rest of the suite, the page and the server in this process were
/// starved in turn: CI runs saw a page take 60 s for a focus, and on 2026-12-01 the page-scale test's file list was
/// answered 7.4 s after it was asked and not drawn within the 30 s that followed. Alone, the collection's tests take
/// about four minutes; no run here failed them with up to eight busy loops beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[Trait("Tier", "Slow")]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}

/// <summary>One test's use of the run's browser (<see cref="HeadlessChromium.LeaseAsync"/>): the contexts it opens, closed
/// when it is disposed, so no page of a finished test keeps polling a server that has stopped.</summary>
internal sealed class BrowserLease(IBrowser browser) : IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];

    /// <summary>A new context (a fresh profile) in the browser, closed with this lease.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await browser.NewContextAsync(options);
        lock (_contexts) _contexts.Add(context);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        IBrowserContext[] contexts;
        lock (_contexts) contexts = [.. _contexts];
        foreach (var context in contexts) await context.CloseAsync();
    }
}
