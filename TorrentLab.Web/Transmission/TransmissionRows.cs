using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>torrent-get's rows for the field lists clients poll with (transmission-remote's <c>-l</c>, the web client's
/// refresh), each torrent's object written once and kept until the torrent (<see cref="ManagedTorrent.Version"/>) or the
/// list's settings (<see cref="TorrentManager.Changes"/>) change: a poll of 10,000 idle torrents copies their bytes
/// instead of writing 140,000 fields again. Only lists made of <see cref="Kept"/> fields are kept: those whose row of
/// <see cref="TorrentFields"/> says that only those two numbers move them (not <c>secondsSeeding</c>, which grows with
/// the clock); the last few lists are kept.</summary>
internal sealed class TransmissionRows
{
    /// <summary>The fields whose values change only with the torrent's version or the list's changes
    /// (<see cref="Moves.WithVersion"/>).</summary>
    internal static IReadOnlySet<string> Kept => TorrentFields.TransmissionKept;

    private const int Lists = 4; // field lists kept at once: a few clients, each polling with its own

    private readonly Lock _lock = new();
    private readonly List<RowsOf> _lists = []; // most recently used first; guarded by _lock

    internal sealed record Row(int Version, long Changes, byte[] Json);

    /// <summary>The rows of one field list.</summary>
    internal sealed class RowsOf(string key)
    {
        public string Key { get; } = key;
        internal ConcurrentDictionary<ManagedTorrent, Row> Rows { get; } = new();

        /// <summary>The torrent's object as <paramref name="write"/> writes it, written again only when it changed.</summary>
        public byte[] Of(ManagedTorrent torrent, long changes, Action<Utf8JsonWriter, ManagedTorrent> write)
        {
            // Read before the row is written: a change meanwhile leaves the row under the older numbers, written again next time.
            var version = torrent.Version;
            if (Rows.TryGetValue(torrent, out var row) && row.Version == version && row.Changes == changes) return row.Json;
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer)) write(json, torrent);
            row = new Row(version, changes, buffer.WrittenSpan.ToArray());
            Rows[torrent] = row;
            return row.Json;
        }
    }

    /// <summary>The rows kept for this field list, or null when the list holds a field that is not kept.</summary>
    public RowsOf? For(string[] fields)
    {
        foreach (var field in fields)
            if (!Kept.Contains(field)) return null;
        var key = string.Join(',', fields);
        lock (_lock)
        {
            var at = _lists.FindIndex(l => l.Key == key);
            RowsOf rows;
            if (at >= 0)
            {
                rows = _lists[at];
                _lists.RemoveAt(at);
            }
            else
            {
                rows = new RowsOf(key);
                if (_lists.Count == Lists) _lists.RemoveAt(Lists - 1);
            }
            _lists.Insert(0, rows);
            return rows;
        }
    }

    /// <summary>Forgets the rows of torrents no longer listed.</summary>
    public void Forget(IReadOnlyList<ManagedTorrent> listed)
    {
        List<RowsOf> lists;
        lock (_lock) lists = [.. _lists];
        HashSet<ManagedTorrent>? present = null;
        foreach (var rows in lists)
        {
            if (rows.Rows.Count <= listed.Count) continue;
            present ??= [.. listed];
            foreach (var gone in rows.Rows.Keys.Where(t => !present.Contains(t)).ToList()) rows.Rows.TryRemove(gone, out _);
        }
    }
}
