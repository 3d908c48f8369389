using System.Text;

namespace TorrentLab.Cli.Service;

/// <summary>Writes lines in the form systemd's journal reads from a service's stdout and stderr: each line starts with
/// its syslog priority in angle brackets (<c>sd-daemon(3)</c>): <c>&lt;3&gt;</c> an error, <c>&lt;4&gt;</c> a warning,
/// <c>&lt;6&gt;</c> information. The journal stores the priority and drops the prefix, so <c>journalctl -p warning</c>
/// shows warnings and errors only.</summary>
/// <remarks>Used when systemd connects stdout or stderr to the journal, which it says by setting
/// <c>JOURNAL_STREAM</c>. A line's priority is read from how serve writes it: "error: ..." and "warning: ...".</remarks>
internal sealed class JournalWriter(TextWriter inner) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => inner.Encoding;

    /// <summary>True when stdout or stderr goes to the journal (systemd set <c>JOURNAL_STREAM</c>).</summary>
    public static bool UnderJournal => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    /// <summary>Writes Console.Out and Console.Error through journal writers from now on.</summary>
    public static void Install()
    {
        Console.SetOut(new JournalWriter(Console.Out));
        Console.SetError(new JournalWriter(Console.Error));
    }

    /// <summary>The priority of a line, as sd-daemon(3) numbers them.</summary>
    public static int Priority(string line) =>
        line.StartsWith("error", StringComparison.Ordinal) ? 3 : line.StartsWith("warning", StringComparison.Ordinal) ? 4 : 6;

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n') Flush(_line);
            else if (value != '\r') _line.Append(value);
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        lock (_lock)
            foreach (var c in value)
            {
                if (c == '\n') Flush(_line);
                else if (c != '\r') _line.Append(c);
            }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            Write(value);
            Flush(_line);
        }
    }

    private void Flush(StringBuilder line)
    {
        var text = line.ToString();
        line.Clear();
        inner.Write($"<{Priority(text)}>{text}\n");
        inner.Flush();
    }

    public override void Flush()
    {
        lock (_lock) inner.Flush();
    }
}
