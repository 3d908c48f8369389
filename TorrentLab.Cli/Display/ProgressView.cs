using Spectre.Console;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Display;

/// <summary>Shows download progress on stderr: live rows redrawn in place on a terminal (<see cref="LiveLines"/>), with
/// log lines printed above them; a plain line every few seconds when stderr is redirected; nothing with
/// <c>--quiet</c>. Stdout stays free for results. On Ctrl-C it says what was saved and how to resume.</summary>
internal sealed class ProgressView
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);
    private readonly bool _quiet;
    private readonly bool _verbose;
    private readonly IAnsiConsole? _live;
    private readonly TextWriter? _plain;
    private Action<long>? _checkSink;
    private long _checkTotal;
    private TimeSpan? _seedingSince; // the report time at which the download was first seen seeding

    /// <summary>Set when the download seeds once complete: the rows then say so, with the upload, the ratio and what
    /// ends it, instead of a full bar at 0 B/s.</summary>
    public SeedPlan? Seeding { get; init; }

    /// <summary>Where the download reports the bytes re-hashed while data on disk is checked at its start
    /// (<see cref="DownloadOptions.Checking"/>): shown as a checking row until the first progress report.</summary>
    /// <param name="total">Bytes to hash: the torrent's length.</param>
    public IProgress<long> Checking(long total)
    {
        _checkTotal = total;
        return new Forward(this);
    }

    private sealed class Forward(ProgressView view) : IProgress<long>
    {
        public void Report(long value) => Volatile.Read(ref view._checkSink)?.Invoke(value);
    }

    public ProgressView(bool quiet, bool verbose)
    {
        _quiet = quiet;
        _verbose = verbose;
    }

    /// <summary>A view that draws on <paramref name="live"/> (a terminal, or a test's console) or, without one, writes
    /// plain lines to <paramref name="plain"/>.</summary>
    internal ProgressView(bool quiet, bool verbose, IAnsiConsole? live, TextWriter? plain = null) : this(quiet, verbose)
    {
        _live = live;
        _plain = plain;
    }

    /// <summary>Runs <paramref name="work"/>, feeding its progress reports to the display. When <paramref name="ct"/>
    /// is cancelled (Ctrl-C) the work's cancellation becomes an <see cref="InterruptedException"/> whose one line
    /// <paramref name="interrupted"/> writes from the last report.</summary>
    public async Task<T> RunAsync<T>(string title, Func<IProgress<DownloadProgress>, Task<T>> work,
        Func<DownloadProgress?, string>? interrupted = null, CancellationToken ct = default)
    {
        DownloadProgress? latest = null;
        try
        {
            if (_quiet) return await work(new Callback(p => latest = p)).ConfigureAwait(false);
            if (_live is null && (_plain is not null || Console.IsErrorRedirected))
                return await RunPlainAsync(title, p => latest = p, work).ConfigureAwait(false);
            return await RunLiveAsync(title, p => latest = p, work).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && interrupted is not null)
        {
            throw new InterruptedException(interrupted(latest));
        }
    }

    /// <summary>The Ctrl-C line of a download that resumes: how many pieces are saved where, and how to go on.</summary>
    /// <param name="folder">Where the data and its resume ledger are.</param>
    /// <param name="resumes">False with <c>--no-resume</c>: the next run resumes only without it.</param>
    public static Func<DownloadProgress?, string> Saved(string folder, bool resumes = true) => p =>
        (p is null ? $"interrupted before any piece arrived in {folder}" : $"interrupted: {p.PiecesDone} of {p.PieceCount} pieces saved in {folder}") +
        (p is { Uploaded: > 0 } ? $"; uploaded {Units.Bytes(p.Uploaded)}" : "") +
        (resumes ? "; run the same command again to resume" : "; run the same command without --no-resume to resume");

    private async Task<T> RunLiveAsync<T>(string title, Action<DownloadProgress> seen, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        var console = _live ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // Two blank rows until the first report: with a one-row display, Spectre.Console moves the cursor up by 0 rows
        // before a log line, which terminals take as 1, and the line before is overwritten. The rows only ever grow.
        return await console.Live(new Rows(new Text(" "), new Text(" ")))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                using var above = StderrLines.Above(console);
                var started = 0;
                _checkSink = bytes =>
                {
                    if (Volatile.Read(ref started) == 0)
                        context.UpdateTarget(LiveLines.RenderChecking(title, bytes, _checkTotal, console.Profile.Width));
                };
                var sink = new Callback(p =>
                {
                    Volatile.Write(ref started, 1);
                    seen(p);
                    // The width is read at every report: a terminal resized mid-download gets rows that fit it.
                    context.UpdateTarget(LiveLines.Render(title, p, console.Profile.Width, _verbose, console.Profile.Capabilities.Unicode, Seeding, Seeded(p)));
                });
                return await work(sink).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    private async Task<T> RunPlainAsync<T>(string title, Action<DownloadProgress> seen, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        var output = _plain ?? Console.Error;
        var last = DateTime.MinValue;
        DownloadProgress? latest = null, printed = null;
        var checking = new CheckingLine(title, _checkTotal, output, width: 0);
        _checkSink = bytes => { if (latest is null) checking.Report(bytes); };
        var sink = new Callback(p =>
        {
            seen(p);
            latest = p;
            Seeded(p); // every report, printed or not: the seeding's start is the first report that finds it complete
            if (DateTime.UtcNow - last < PlainInterval) return;
            last = DateTime.UtcNow;
            printed = p;
            output.WriteLine(Describe(title, p));
        });
        var result = await work(sink).ConfigureAwait(false);
        // The last report, unless it was just printed.
        if (latest is not null && !ReferenceEquals(latest, printed)) output.WriteLine(Describe(title, latest));
        return result;
    }

    /// <summary>One line: percentage, pieces, bytes, rates, ETA and peers (then, with <c>-v</c>, one line per peer).</summary>
    public string Describe(string title, DownloadProgress p)
    {
        if (Seeding is { } plan && LiveLines.IsSeeding(p))
            return $"seeding {title}: uploaded {Units.Bytes(p.Uploaded)}, ratio {plan.ShowRatio(p.Uploaded)}, up {Units.Rate(p.UploadRate)}, " +
                   $"{Units.Count(p.ConnectedPeers, "peer")}; {plan.Ends(Seeded(p))}";
        var line = $"{title} {p.Fraction * 100,5:0.0}% {p.PiecesDone}/{p.PieceCount} pieces " +
                   $"{Units.Bytes(p.BytesDone)}/{Units.Bytes(p.TotalBytes)} " +
                   $"down {Units.Rate(p.DownloadRate)} up {Units.Rate(p.UploadRate)} " +
                   $"ETA {Units.Duration(p.Eta)} peers {p.ConnectedPeers}";
        if (p.CurrentPeer is not null) line += $" ({p.CurrentPeer})";
        if (p.Status is not null) line += $" -- {p.Status}";
        if (_verbose && p.Peers.Count > 0)
            line += Environment.NewLine + string.Join(Environment.NewLine, p.Peers.Select(LiveLines.PeerRow));
        return line;
    }

    /// <summary>How long the download has seeded at report <paramref name="p"/>: since the first report that found it
    /// complete, on the reports' own clock (<see cref="DownloadProgress.Elapsed"/>); zero while it downloads. The
    /// engine's seeding time limit starts there too, so the display counts down what is left of it.</summary>
    private TimeSpan Seeded(DownloadProgress p)
    {
        if (Seeding is null || !LiveLines.IsSeeding(p)) return TimeSpan.Zero;
        if (_seedingSince is not { } since || p.Elapsed < since) _seedingSince = since = p.Elapsed; // a report restarting its clock restarts the count
        return p.Elapsed - since;
    }

    // Progress<T> posts to the thread pool and may reorder; a direct callback keeps reports in order.
    private sealed class Callback(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
