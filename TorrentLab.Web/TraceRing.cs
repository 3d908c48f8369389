using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>The last wire messages of one torrent, numbered, for the live trace: a bounded ring, so a busy download
/// keeps only its most recent <see cref="Capacity"/> events in memory.</summary>
internal sealed class TraceRing
{
    public const int Capacity = 2_000; // about a minute of a slow download, a fraction of a second of a fast one
    private TraceLine[]? _lines; // made at the first event: thousands of idle torrents trace nothing
    private readonly Lock _lock = new();
    private long _next; // the sequence number of the next event

    /// <summary>The sequence number the next event will get (events so far).</summary>
    public long Next { get { lock (_lock) return _next; } }

    public void Add(WireTraceEvent e)
    {
        lock (_lock)
        {
            _lines ??= new TraceLine[Capacity];
            _lines[_next % Capacity] = new TraceLine(_next, e.Time, e.Peer.ToString(),
                e.Direction == WireDirection.Sent ? "sent" : "received", e.Name, e.Fields, e.WireLength, e.HeadHex);
            _next++;
        }
    }

    /// <summary>Events numbered <paramref name="from"/> onwards, at most <paramref name="max"/> (the newest ones), and
    /// how many wanted events had already been overwritten or were left out.</summary>
    public (TraceLine[] Lines, long Skipped) Since(long from, int max)
    {
        lock (_lock)
        {
            var oldest = Math.Max(0, _next - Capacity);
            var start = Math.Max(Math.Max(from, oldest), _next - max);
            var skipped = start - Math.Min(from, start);
            var lines = new TraceLine[Math.Max(0, _next - start)];
            for (var i = 0; i < lines.Length; i++) lines[i] = _lines![(start + i) % Capacity];
            return (lines, skipped);
        }
    }
}
