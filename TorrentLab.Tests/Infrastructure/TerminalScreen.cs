using System.Text;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A terminal of fixed width that replays what a program wrote: text, CR, LF (as CR LF, like a tty), cursor up
/// and down, erase line; colours are ignored. It remembers every row ever drawn and counts the lines that reached the
/// right edge and wrapped, which is what breaks a live display's redraw.</summary>
public sealed class TerminalScreen
{
    private readonly List<StringBuilder> _rows = [new()];
    private int _row, _column;

    public TerminalScreen(int width) => Width = width;

    public int Width { get; }

    /// <summary>How many times a character was written past the last column (the terminal wrapped the line).</summary>
    public int Wraps { get; private set; }

    /// <summary>Every row as it is now, trailing blanks trimmed.</summary>
    public IReadOnlyList<string> Rows => [.. _rows.Select(r => r.ToString().TrimEnd())];

    /// <summary>Replays <paramref name="output"/>.</summary>
    public TerminalScreen Write(string output)
    {
        for (var i = 0; i < output.Length; i++)
        {
            var c = output[i];
            if (c == '\x1b' && i + 1 < output.Length && output[i + 1] == '[')
            {
                var end = i + 2;
                while (end < output.Length && !(output[end] >= '@' && output[end] <= '~')) end++;
                if (end == output.Length) break;
                Control(output[(i + 2)..end], output[end]);
                i = end;
            }
            else if (c == '\n') Move(_row + 1, 0);
            else if (c == '\r') _column = 0;
            else Put(c);
        }
        return this;
    }

    private void Control(string parameters, char command)
    {
        var n = int.TryParse(parameters, out var value) && value > 0 ? value : 1; // as terminals do, 0 means 1
        switch (command)
        {
            case 'A': Move(Math.Max(0, _row - n), _column); break;
            case 'B': Move(_row + n, _column); break;
            case 'K':   // erase the line (2) or from the cursor to its end
                var row = _rows[_row];
                if (parameters == "2") row.Clear();
                else if (row.Length > _column) row.Length = _column;
                break;
            case 'J':   // erase from the cursor to the end of the screen
                if (_rows[_row].Length > _column) _rows[_row].Length = _column;
                for (var below = _row + 1; below < _rows.Count; below++) _rows[below].Clear();
                break;
            // colours (m), cursor shown/hidden (h, l) and the rest change nothing on the rows
        }
    }

    private void Put(char c)
    {
        if (_column == Width)
        {
            Wraps++;
            Move(_row + 1, 0);
        }
        var row = _rows[_row];
        if (row.Length < _column) row.Append(' ', _column - row.Length);
        if (row.Length == _column) row.Append(c);
        else row[_column] = c;
        _column++;
    }

    private void Move(int row, int column)
    {
        while (_rows.Count <= row) _rows.Add(new StringBuilder());
        _row = row;
        _column = column;
    }
}
