using Microsoft.Playwright;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Debian's Chromium, headless, driven by Playwright over the DevTools protocol: the browser of every page test.
/// Playwright never downloads a browser here: it is pointed at /usr/bin/chromium.</summary>
internal static class HeadlessChromium
{
    private const string Executable = "/usr/bin/chromium";

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

    /// <summary>Starts the browser: headless, sandbox off (it runs as root in CI), nothing contacted in the background.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Executable,
        Headless = true,
        Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"],
        Timeout = 20_000,
    });

    /// <summary>A page in a new 1280x900 context whose waits give up after <paramref name="timeoutMs"/>. Each console
    /// error goes to <paramref name="consoleErrors"/>, unless <paramref name="expected"/> says the test causes it.</summary>
    public static async Task<IPage> OpenPageAsync(IBrowser browser, List<string>? consoleErrors = null, Func<string, bool>? expected = null,
        float timeoutMs = 20_000)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(timeoutMs);
        var page = await context.NewPageAsync();
        if (consoleErrors is not null)
            page.Console += (_, message) => { if (message.Type == "error" && expected?.Invoke(message.Text) != true) consoleErrors.Add(message.Text); };
        return page;
    }
}
