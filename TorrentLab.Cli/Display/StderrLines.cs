using Spectre.Console;
using Spectre.Console.Rendering;

namespace TorrentLab.Cli.Display;

/// <summary>Where log lines (<c>-v</c>) go: while a live display runs, through its console, which prints them above
/// the live rows and redraws those below; otherwise straight to stderr.</summary>
/// <remarks>Static because the log is wired into the download options before the display starts, and a process shows
/// at most one live display at a time.</remarks>
internal static class StderrLines
{
    private static IAnsiConsole? s_live;

    /// <summary>Writes one line: above the live display when one runs, else to stderr.</summary>
    public static void WriteLine(string line)
    {
        if (Volatile.Read(ref s_live) is { } live) live.Write(new AboveLive(line));
        else Console.Error.WriteLine(line);
    }

    /// <summary>Sends lines through <paramref name="console"/> until the returned handle is disposed.</summary>
    public static IDisposable Above(IAnsiConsole console)
    {
        Volatile.Write(ref s_live, console);
        return new Detach(console);
    }

    /// <summary>A line written while the live display runs. The display moves the cursor back to its first row before
    /// any write and redraws itself after, but does not clear its rows: a line shorter than them would leave their
    /// ends beside it. So the line starts by erasing to the end of the screen (ESC [ J).</summary>
    private sealed class AboveLive(string line) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
            [Segment.Control("\u001b[J"), .. ((IRenderable)new Text(line + "\n")).Render(options, maxWidth)];
    }

    private sealed class Detach(IAnsiConsole console) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref s_live, null, console);
    }
}
