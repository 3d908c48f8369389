using Spectre.Console;
using TorrentLab.Cli.Display;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>What the display says after the download (seeding) and before it (re-hashing the data on disk), at 80
/// columns: no row wraps, and each says what happens.</summary>
public partial class ProgressViewTests
{
    private static IAnsiConsole Console80(StringWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.Standard, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 80;
        console.Profile.Height = 24;
        console.Profile.Capabilities.Unicode = true;
        return console;
    }

    [Fact]
    public async Task LiveDisplay_AfterTheDownloadWithSeed_ShowsSeedingUploadRatioPeersAndWhatEndsIt()
    {
        var output = new StringWriter();
        var view = new ProgressView(quiet: false, verbose: false, Console80(output))
        {
            Seeding = new SeedPlan(Ratio: 2, Time: TimeSpan.FromMinutes(30), Size: Pieces * PieceBytes),
        };

        await view.RunAsync(Title, progress =>
        {
            progress.Report(Report(70, peers: 3));
            progress.Report(Report(Pieces, peers: 4) with { Uploaded = 10 * PieceBytes });
            return Task.FromResult(0);
        }, null, TestContext.Current.CancellationToken);

        var screen = new TerminalScreen(80).Write(output.ToString());
        Assert.Equal(0, screen.Wraps);
        var rows = screen.Rows.Where(r => r.Length > 0).ToList();
        var seeding = Assert.Single(rows, r => r.StartsWith("seeding ", StringComparison.Ordinal));
        Assert.EndsWith("uploaded 2.5 MiB  ratio 0.13  up 120.0 KiB/s", seeding); // 10 of 80 pieces uploaded
        Assert.Contains("  80/80 pieces, 4 peers -- seeding until ratio 2 or 30:00 from now, or Ctrl-C", rows);
    }

    /// <summary>The seeding time limit counts down on the reports' own clock, from the first report that found the
    /// download complete: 12 s of reports later, 29:48 of 30:00 are left; the row still fits 80 columns.</summary>
    [Fact]
    public async Task LiveDisplay_WhileSeedingWithATimeLimit_CountsDownWhatIsLeft()
    {
        var output = new StringWriter();
        var view = new ProgressView(quiet: false, verbose: false, Console80(output))
        {
            Seeding = new SeedPlan(Ratio: 2, Time: TimeSpan.FromMinutes(30), Size: Pieces * PieceBytes),
        };
        var complete = Report(Pieces, peers: 4); // reported at 80 s

        await view.RunAsync(Title, progress =>
        {
            progress.Report(Report(70, peers: 3));
            progress.Report(complete);
            progress.Report(complete with { Elapsed = complete.Elapsed + TimeSpan.FromSeconds(12) });
            return Task.FromResult(0);
        }, null, TestContext.Current.CancellationToken);

        var screen = new TerminalScreen(80).Write(output.ToString());
        Assert.Equal(0, screen.Wraps);
        Assert.Contains("  80/80 pieces, 4 peers -- seeding until ratio 2 or 29:48 from now, or Ctrl-C", screen.Rows.Where(r => r.Length > 0));
    }

    [Fact]
    public async Task PlainLines_WhileSeedingWithATimeLimit_CountDownWhatIsLeftToZero()
    {
        var output = new StringWriter();
        var view = new ProgressView(quiet: false, verbose: false, live: null, plain: output)
        {
            Seeding = new SeedPlan(Ratio: null, Time: TimeSpan.FromSeconds(30), Size: Pieces * PieceBytes),
        };
        var complete = Report(Pieces, peers: 2) with { Uploaded = Pieces * PieceBytes };

        await view.RunAsync("a.iso", progress =>
        {
            progress.Report(complete);                                                           // printed: the first
            progress.Report(complete with { Elapsed = complete.Elapsed + TimeSpan.FromSeconds(9) });
            progress.Report(complete with { Elapsed = complete.Elapsed + TimeSpan.FromSeconds(31) }); // printed: the last
            return Task.FromResult(0);
        }, null, TestContext.Current.CancellationToken);

        var lines = output.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("seeding a.iso: uploaded 20.0 MiB, ratio 1.00, up 120.0 KiB/s, 2 peers; until 00:30 from now, or Ctrl-C", lines[0]);
        Assert.Equal("seeding a.iso: uploaded 20.0 MiB, ratio 1.00, up 120.0 KiB/s, 2 peers; until 00:00 from now, or Ctrl-C", lines[^1]);
    }

    [Fact]
    public async Task LiveDisplay_WhileDataOnDiskIsRehashed_ShowsACheckingRowWithProgress()
    {
        var output = new StringWriter();
        var view = new ProgressView(quiet: false, verbose: false, Console80(output));
        var checking = view.Checking(Pieces * PieceBytes);

        await view.RunAsync(Title, progress =>
        {
            checking.Report(Pieces * PieceBytes * 45 / 100);
            return Task.FromResult(0);
        }, null, TestContext.Current.CancellationToken);

        var screen = new TerminalScreen(80).Write(output.ToString());
        Assert.Equal(0, screen.Wraps);
        var rows = screen.Rows.Where(r => r.Length > 0).ToList();
        var line = Assert.Single(rows, r => r.StartsWith("checking ubuntu", StringComparison.Ordinal));
        Assert.EndsWith(" 45%  9.0 MiB/20.0 MiB", line);
        Assert.True(line.Length <= 77, line);
        Assert.Contains("  re-hashing the data already on disk (no trusted resume ledger)", rows);
    }

    [Fact]
    public async Task PlainLines_SeedingAndChecking_EachSayWhatHappens()
    {
        var output = new StringWriter();
        var view = new ProgressView(quiet: false, verbose: false, live: null, plain: output)
        {
            Seeding = new SeedPlan(Ratio: null, Time: null, Size: Pieces * PieceBytes),
        };
        var checking = view.Checking(Pieces * PieceBytes);

        await view.RunAsync("a.iso", progress =>
        {
            checking.Report(Pieces * PieceBytes / 4);
            progress.Report(Report(Pieces, peers: 2) with { Uploaded = Pieces * PieceBytes });
            return Task.FromResult(0);
        }, null, TestContext.Current.CancellationToken);

        var lines = output.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("checking a.iso:  25%  5.0 MiB/20.0 MiB re-hashed (data already on disk)", lines[0]);
        Assert.Equal("seeding a.iso: uploaded 20.0 MiB, ratio 1.00, up 120.0 KiB/s, 2 peers; until Ctrl-C", lines[^1]);
    }

    [Theory]
    [InlineData(0, "checking a.iso --------------------   0%  0 B/20.0 MiB")]
    [InlineData(20 * 1024 * 1024, "checking a.iso #################### 100%  20.0 MiB/20.0 MiB")]
    public void CheckingLine_OnATerminal_IsRedrawnInPlaceWithinTheWidth(long done, string expected)
    {
        var output = new StringWriter();
        using (var line = new CheckingLine("a.iso", Pieces * PieceBytes, output, width: 80))
            line.Report(done);

        var screen = new TerminalScreen(80).Write(output.ToString());
        Assert.Equal(0, screen.Wraps);
        Assert.Equal(expected, screen.Rows[0]);
    }
}
