using System.Text.RegularExpressions;
using Spectre.Console;
using TorrentLab.Cli;
using TorrentLab.Cli.Display;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>The live display as a terminal shows it: rendered into a console of a fixed width and replayed on a
/// <see cref="TerminalScreen"/>, with log lines, a long name and the long "waiting for peers" status.</summary>
public partial class ProgressViewTests
{
    private const string Title = "ubuntu-24.04.1-desktop-amd64-with-a-name-longer-than-any-terminal-row-is-wide.iso";
    private const string LogLine = "peer 127.0.0.1:51413 (qBittorrent 4.6.2): connected over TCP, encrypted (MSE/PE RC4), interested, waiting for unchoke";
    private const int Pieces = 80;
    private const long PieceBytes = 256 * 1024;

    private static readonly string Waiting =
        "waiting for peers: 0 connected, 0 known; tracker http://tracker.example.org:6969/announce answered 0, next announce in 30 s; DHT: 12 nodes";

    private static DownloadProgress Report(int done, string? status = null, int peers = 0) =>
        new(done, Pieces, done * PieceBytes, Pieces * PieceBytes, 3.5 * 1024 * 1024, 120 * 1024, peers, null, TimeSpan.FromSeconds(done))
        {
            Status = status,
            Peers = [.. Enumerable.Range(1, peers).Select(i =>
                new PeerProgress($"[2001:db8::{i}]:51413", "Transmission 4.0.5 (a long client name)", 512 * 1024, 0, i % 3 == 0, true))],
        };

    /// <summary>Runs a download that reports waiting, then progress, logging between, on a console <paramref name="width"/> wide.</summary>
    private static async Task<string> RenderAsync(int width, bool verbose)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        console.Profile.Height = 24;
        console.Profile.Capabilities.Unicode = true;
        var view = new ProgressView(quiet: false, verbose, console);

        await view.RunAsync(Title, progress =>
        {
            StderrLines.WriteLine("no resume ledger: starting fresh"); // before the first report, as the engine logs
            progress.Report(Report(0, Waiting));
            StderrLines.WriteLine(LogLine);
            progress.Report(Report(10, peers: 3));
            StderrLines.WriteLine("short log line");
            progress.Report(Report(37, peers: 12));
            return Task.FromResult(0);
        });
        return output.ToString();
    }

    [Theory]
    [InlineData(80, false)]
    [InlineData(80, true)]
    [InlineData(120, false)]
    [InlineData(120, true)]
    public async Task LiveDisplay_NoLineIsWiderThanTheTerminal(int width, bool verbose)
    {
        var output = await RenderAsync(width, verbose);

        // Every line written, between line breaks and carriage returns, without the escape sequences.
        var lines = Escapes().Replace(output, "").Split('\n', '\r');
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        var screen = new TerminalScreen(width).Write(output);
        Assert.Equal(0, screen.Wraps);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public async Task LiveDisplay_LogLinesStayAboveOneCopyOfTheLiveRows(int width)
    {
        var rows = new TerminalScreen(width).Write(await RenderAsync(width, verbose: true)).Rows.Where(r => r.Length > 0).ToList();

        var first = rows.IndexOf("no resume ledger: starting fresh");
        var log = rows.FindIndex(r => r.StartsWith("peer 127.0.0.1:51413", StringComparison.Ordinal));
        Assert.True(first >= 0 && log > first, string.Join('\n', rows));
        var shortLog = rows.IndexOf("short log line");
        var progress = Assert.Single(rows, r => r.Contains(" 46%", StringComparison.Ordinal)); // 37 of 80 pieces: one bar on screen
        var details = Assert.Single(rows, r => r.Contains("pieces, ", StringComparison.Ordinal));
        Assert.True(log >= 0 && shortLog > log, string.Join('\n', rows));
        Assert.True(rows.IndexOf(progress) > shortLog, string.Join('\n', rows));
        Assert.Equal("  37/80 pieces, 12 peers, up 120.0 KiB/s", details);
        Assert.Contains(rows, r => r.StartsWith("  [2001:db8::1]:51413", StringComparison.Ordinal)); // a peer row under -v
        Assert.Contains("  and 4 more peers", rows);
    }

    [Fact]
    public async Task LiveDisplay_ShowsBinaryUnitsOnly()
    {
        var text = Escapes().Replace(await RenderAsync(120, verbose: true), "");

        Assert.Contains("2.5 MiB/20.0 MiB", text); // 10 pieces of 256 KiB
        Assert.Contains("3.5 MiB/s", text);
        Assert.DoesNotMatch(@"\d (kB|KB|MB|GB)\b", text);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public async Task LiveDisplay_LongStatus_IsShownInFullOnRowsOfItsOwn(int width)
    {
        var rows = Escapes().Replace(await RenderAsync(width, verbose: false), "").Split('\n', '\r').Where(r => r.Length > 0).ToList();

        var first = rows.FindIndex(r => r.StartsWith("  0/80 pieces, 0 peers, up 120.0 KiB/s -- waiting for peers: 0 connected", StringComparison.Ordinal));
        Assert.True(first > 0, string.Join('\n', rows));
        var below = rows.Skip(first + 1).TakeWhile(r => r.StartsWith("     ", StringComparison.Ordinal)).ToList();
        var status = string.Join(' ', new[] { rows[first] }.Concat(below).Select(r => r.Trim()));
        Assert.Equal("0/80 pieces, 0 peers, up 120.0 KiB/s -- " + Waiting, status); // every word, none cut
        Assert.InRange(below.Count, 0, 2); // three rows at most under the bar
    }

    /// <summary>A download waiting for its tracker's peers, as the README shows it: the bar, then the details and why
    /// nothing arrives on two rows, every word of it, at 80 columns.</summary>
    [Fact]
    public void LiveDisplay_WaitingForTheTracker_TakesThreeRowsAt80Columns()
    {
        const string status = "waiting for peers: 0 connected, 0 known; tracker http://127.0.0.1:6969/announce answered 0, next announce in 47 s";
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 80;
        var report = new DownloadProgress(0, 2, 0, 52_531, 0, 0, 0, null, TimeSpan.Zero) { Status = status };

        console.Write(LiveLines.Render("sample", report, 80, verbose: false, unicode: true));

        var rows = output.ToString().ReplaceLineEndings("\n").Split('\n').Where(r => r.Length > 0).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(r.Length <= 77, $"{r.Length} columns: {r}"));
        Assert.Equal("0/2 pieces, 0 peers -- " + status, string.Join(' ', rows.Skip(1).Select(r => r.Trim())));
    }

    [Theory]
    [InlineData(20, 3)]
    [InlineData(77, 3)]
    public void Wrap_BreaksAtSpacesWithinTheWidthAndCutsOnlyPastTheLastRow(int cells, int maxRows)
    {
        var rows = LiveLines.Wrap("  -- " + Waiting, cells, maxRows);

        Assert.InRange(rows.Count, 1, maxRows);
        Assert.All(rows, r => Assert.True(LiveLines.Cells(r) <= cells, $"{r.Length} > {cells}: {r}"));
        var joined = string.Join(' ', rows.Select(r => r.Trim()));
        if (cells >= 77) Assert.Equal("-- " + Waiting, joined);
        else Assert.EndsWith("…", rows[^1]);
    }

    [Fact]
    public async Task Interrupted_SaysHowManyPiecesAreSavedWhereAndHowToResume()
    {
        using var cancel = new CancellationTokenSource();
        var view = new ProgressView(quiet: true, verbose: false);

        var e = await Assert.ThrowsAsync<InterruptedException>(() => view.RunAsync<int>(Title, progress =>
        {
            progress.Report(Report(37));
            cancel.Cancel();
            throw new OperationCanceledException(cancel.Token);
        }, ProgressView.Saved("/data/downloads"), cancel.Token));

        Assert.Equal("interrupted: 37 of 80 pieces saved in /data/downloads; run the same command again to resume", e.Message);
        Assert.Equal((CliRunner.Codes.Interrupted, e.Message), CliErrors.Classify(e, cancel.Token));
    }

    [Fact]
    public void Interrupted_WithNoResume_SaysToRunWithoutIt()
    {
        Assert.Equal("interrupted: 5 of 80 pieces saved in /d; run the same command without --no-resume to resume",
            ProgressView.Saved("/d", resumes: false)(Report(5)));
        Assert.Equal("interrupted before any piece arrived in /d; run the same command again to resume", ProgressView.Saved("/d")(null));
    }

    [Fact]
    public void Interrupted_WhileSeeding_SaysWhatWasUploaded()
    {
        Assert.Equal("interrupted: 80 of 80 pieces saved in /d; uploaded 3.0 MiB; run the same command again to resume",
            ProgressView.Saved("/d")(Report(80) with { Uploaded = 3 << 20 }));
    }

    [Fact]
    public async Task Failure_ThatIsNotCtrlC_IsNotReportedAsAnInterruption()
    {
        var view = new ProgressView(quiet: true, verbose: false);

        await Assert.ThrowsAsync<TimeoutException>(() => view.RunAsync<int>(Title, _ => throw new TimeoutException("no peer"),
            ProgressView.Saved("/d"), CancellationToken.None));
    }

    [Theory]
    [InlineData("abc", 3, "abc")]
    [InlineData("abcdef", 4, "abc…")]
    [InlineData("日本語のファイル", 7, "日本語…")]   // wide characters take two columns each
    public void Fit_CutsToTheColumns(string text, int cells, string expected)
    {
        Assert.Equal(expected, LiveLines.Fit(text, cells));
        Assert.True(LiveLines.Cells(LiveLines.Fit(text, cells)) <= cells);
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[@-~]")]
    private static partial Regex Escapes();
}
