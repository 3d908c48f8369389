using Spectre.Console;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Display;

/// <summary>Shows download progress on stderr: a live Spectre.Console bar on a terminal, a plain line every few
/// seconds when stderr is redirected, nothing with <c>--quiet</c>. Stdout stays free for results.</summary>
internal sealed class ProgressView
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);
    private readonly bool _quiet;
    private readonly bool _verbose;

    public ProgressView(bool quiet, bool verbose)
    {
        _quiet = quiet;
        _verbose = verbose;
    }

    /// <summary>Runs <paramref name="work"/>, feeding its progress reports to the display.</summary>
    public async Task<T> RunAsync<T>(string title, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        if (_quiet) return await work(new Progress<DownloadProgress>(_ => { })).ConfigureAwait(false);
        if (Console.IsErrorRedirected) return await RunPlainAsync(title, work).ConfigureAwait(false);

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: 1);
                var sink = new Callback(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Value = p.BytesDone;
                    var peers = p.CurrentPeer ?? $"{p.ConnectedPeers} peer(s)";
                    task.Description = $"{Markup.Escape(title)} [grey]{p.PiecesDone}/{p.PieceCount} pieces, {Markup.Escape(peers)}" +
                                       (p.UploadRate > 0 ? $", up {Units.Rate(p.UploadRate)}" : "") + "[/]" +
                                       (p.Status is { } status ? $" [yellow]{Markup.Escape(status)}[/]" : "");
                    if (_verbose && p.Peers.Count > 0) Console.Error.WriteLine(Describe(title, p));
                });
                var result = await work(sink).ConfigureAwait(false);
                task.StopTask();
                return result;
            }).ConfigureAwait(false);
    }

    private async Task<T> RunPlainAsync<T>(string title, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        var last = DateTime.MinValue;
        DownloadProgress? latest = null, printed = null;
        var sink = new Callback(p =>
        {
            latest = p;
            if (DateTime.UtcNow - last < PlainInterval) return;
            last = DateTime.UtcNow;
            printed = p;
            Console.Error.WriteLine(Describe(title, p));
        });
        var result = await work(sink).ConfigureAwait(false);
        // The last report, unless it was just printed.
        if (latest is not null && !ReferenceEquals(latest, printed)) Console.Error.WriteLine(Describe(title, latest));
        return result;
    }

    /// <summary>One line: percentage, pieces, bytes, rates, ETA and peers.</summary>
    public string Describe(string title, DownloadProgress p)
    {
        var line = $"{title} {p.Fraction * 100,5:0.0}% {p.PiecesDone}/{p.PieceCount} pieces " +
                   $"{Units.Bytes(p.BytesDone)}/{Units.Bytes(p.TotalBytes)} " +
                   $"down {Units.Rate(p.DownloadRate)} up {Units.Rate(p.UploadRate)} " +
                   $"ETA {Units.Duration(p.Eta)} peers {p.ConnectedPeers}";
        if (p.CurrentPeer is not null) line += $" ({p.CurrentPeer})";
        if (p.Status is not null) line += $" -- {p.Status}";
        if (_verbose && p.Peers.Count > 0)
            line += Environment.NewLine + string.Join(Environment.NewLine, p.Peers.Select(peer =>
                $"  {peer.Address,-22} {peer.Client,-16} down {Units.Rate(peer.DownloadRate)} up {Units.Rate(peer.UploadRate)}" +
                (peer.PeerChoking ? " choked" : "")));
        return line;
    }

    // Progress<T> posts to the thread pool and may reorder; a direct callback keeps reports in order.
    private sealed class Callback(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
