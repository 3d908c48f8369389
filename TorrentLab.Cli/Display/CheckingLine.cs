namespace TorrentLab.Cli.Display;

/// <summary>Progress while data already on disk is re-hashed (a resume without a trusted ledger, <c>verify</c>,
/// <c>seed</c>): one line redrawn in place on a terminal, a plain line every few seconds when stderr is redirected,
/// nothing with <c>--quiet</c>. Disposing ends the line (a terminal's cursor moves below it).</summary>
internal sealed class CheckingLine : IProgress<long>, IDisposable
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100); // ten redraws a second are enough for a bar
    private readonly Lock _lock = new();
    private readonly string _title;
    private readonly long _total;
    private readonly TextWriter? _output;
    private readonly int _width;
    private readonly TimeProvider _clock;
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private bool _drawn;

    /// <param name="title">The torrent's name.</param>
    /// <param name="total">Bytes to hash (the torrent's length, pad files included).</param>
    /// <param name="output">Where to write; null: nothing is shown (<c>--quiet</c>).</param>
    /// <param name="width">The terminal's columns; 0 when <paramref name="output"/> is no terminal (plain lines).</param>
    public CheckingLine(string title, long total, TextWriter? output, int width, TimeProvider? clock = null)
    {
        _title = UntrustedText.Clean(title);
        _total = total;
        _output = output;
        _width = width;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>A checking line on stderr: redrawn when stderr is a terminal, else plain; none when quiet.</summary>
    public static CheckingLine OnStderr(string title, long total, bool quiet) =>
        new(title, total, quiet ? null : Console.Error, Console.IsErrorRedirected ? 0 : SafeWidth());

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary>Bytes hashed so far, a running total.</summary>
    public long Checked { get; private set; }

    public void Report(long value)
    {
        lock (_lock)
        {
            Checked = Math.Max(Checked, value);
            if (_output is null) return;
            var now = _clock.GetUtcNow();
            var done = Checked >= _total;
            if (now - _last < (_width > 0 ? RedrawInterval : PlainInterval) && !(done && _width > 0)) return;
            _last = now;
            if (_width > 0)
            {
                _output.Write("\r" + Text(Checked, _width) + "\u001b[K");
                _drawn = true;
            }
            else
            {
                _output.WriteLine(Text(Checked, 0));
            }
        }
    }

    /// <summary>The line for <paramref name="done"/> bytes: <c>checking NAME ━━━──── 45%  1.2 GiB/3.0 GiB (data on
    /// disk re-hashed)</c>, cut to <paramref name="width"/> columns (0: no limit, no bar).</summary>
    public string Text(long done, int width)
    {
        var fraction = _total == 0 ? 1 : Math.Clamp((double)done / _total, 0, 1);
        var stats = $"{Math.Floor(fraction * 100),3:0}%  {Units.Bytes(done)}/{Units.Bytes(_total)}";
        if (width <= 0) return $"checking {_title}: {stats} re-hashed (data already on disk)";
        var max = Math.Max(8, width - 3); // as the live rows: the last columns stay free, so the line never wraps
        const int bar = 20;
        var name = LiveLines.Fit(_title, Math.Max(1, max - "checking ".Length - bar - stats.Length - 2));
        var filled = (int)Math.Round(bar * fraction);
        var line = $"checking {name} {new string('#', filled)}{new string('-', bar - filled)} {stats}";
        return LiveLines.Fit(line, max, unicode: false);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_drawn) _output!.WriteLine();
            _drawn = false;
        }
    }
}
