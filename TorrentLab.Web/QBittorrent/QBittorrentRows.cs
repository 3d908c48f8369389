using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>One torrent as torrents/info and sync/maindata give it, written once as JSON and kept until the torrent or
/// the list changes: <see cref="Json"/> is the object without its <c>hash</c>, and each field's <c>"name":value</c>
/// bytes are found by <see cref="Field"/>, so a delta compares fields without writing them again.</summary>
internal sealed class TorrentRow
{
    private readonly int[] _starts, _ends;

    private TorrentRow(ManagedTorrent torrent, TorrentSummary summary, int version, long changes, byte[] json, int[] starts, int[] ends,
        IReadOnlyList<string> trackers)
    {
        (Torrent, Summary, Version, Changes, Json, _starts, _ends, Trackers) = (torrent, summary, version, changes, json, starts, ends, trackers);
    }

    /// <summary>Per field: whether the clock alone moves it while a torrent runs (the seconds it has been active, has
    /// seeded; <see cref="Moves.WithClock"/> in <see cref="TorrentFields"/>). sync/maindata does not send a torrent for
    /// them alone: they go with its next other change, as qbittorrent-nox's do (libtorrent refreshes a torrent's status
    /// when it changes or moves data, not each second), so 50 downloads waiting for peers cost a polling client nothing
    /// (3,173 bytes a poll before).</summary>
    private static bool[] Clock => TorrentFields.QBittorrentClock;

    public ManagedTorrent Torrent { get; }
    public TorrentSummary Summary { get; }

    /// <summary>The torrent's <see cref="ManagedTorrent.Version"/> and the list's <see cref="TorrentManager.Changes"/>
    /// when the row was written: while both hold, the row is the torrent as it is.</summary>
    public int Version { get; }
    public long Changes { get; }

    /// <summary>The row as a JSON object, <c>{"added_on":...,...}</c>.</summary>
    public byte[] Json { get; }

    /// <summary>The announce URLs of its trackers (sync/maindata's <c>trackers</c> map).</summary>
    public IReadOnlyList<string> Trackers { get; }

    public int FieldCount => _starts.Length;

    /// <summary>Field <paramref name="i"/> as <c>"name":value</c>.</summary>
    public ReadOnlySpan<byte> Field(int i) => Json.AsSpan(_starts[i], _ends[i] - _starts[i]);

    /// <summary>Whether this row, written after <paramref name="old"/> for the same torrent, differs from it only in
    /// <see cref="Clock"/> fields (and has the same trackers).</summary>
    public bool MovedOnlyWithTheClock(TorrentRow old)
    {
        if (old.FieldCount != FieldCount || !old.Trackers.SequenceEqual(Trackers)) return false;
        for (var i = 0; i < FieldCount; i++)
            if (!Clock[i] && !Field(i).SequenceEqual(old.Field(i))) return false;
        return true;
    }

    /// <summary>The row's fields inside braces, without the braces: to follow <c>"hash":"...",</c> in torrents/info.</summary>
    public ReadOnlySpan<byte> Inner => Json.AsSpan(1, Json.Length - 2);

    /// <summary>Strings as qBittorrent writes them: only what JSON requires is escaped (quotes, backslashes, control
    /// characters), not HTML's <c>&amp; &lt; &gt; ' +</c> as System.Text.Json does by default, so a magnet link's
    /// <c>&amp;</c> is one byte, not six (<c>\u0026</c>). The answers are <c>application/json</c> with
    /// <c>X-Content-Type-Options: nosniff</c> (<see cref="RequestGuard"/>): no browser reads them as HTML.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the row with <paramref name="write"/> (every field of <see cref="TorrentFields.QBittorrentRow"/>, in
    /// its order) and finds where each field lies.</summary>
    public static TorrentRow Make(ManagedTorrent torrent, TorrentSummary summary, int version, long changes, IReadOnlyList<string> trackers,
        Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        var json = buffer.WrittenSpan.ToArray();
        var starts = new List<int>(64);
        var ends = new List<int>(64);
        var reader = new Utf8JsonReader(json);
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            starts.Add((int)reader.TokenStartIndex);
            reader.Read();
            reader.Skip();
            ends.Add((int)reader.BytesConsumed);
        }
        if (starts.Count != Clock.Length)
            throw new InvalidOperationException($"a torrent row has {starts.Count} fields, expected the {Clock.Length} of TorrentFields.QBittorrentRow");
        return new TorrentRow(torrent, summary, version, changes, json, [.. starts], [.. ends], trackers);
    }
}

/// <summary>The rows of every torrent, each written again only when its torrent or the list changed (so a poll of
/// 10,000 idle torrents writes none of them), shared by torrents/info and sync/maindata. Every field of a row is as of
/// that change, as qbittorrent-nox's are as of libtorrent's last status update of the torrent: its clock fields
/// (<see cref="Moves.WithClock"/>) too, and its <see cref="Moves.Unmarked"/> ones.</summary>
internal sealed class TorrentRows(TorrentManager torrents, Action<Utf8JsonWriter, ManagedTorrent, TorrentSummary> write)
{
    private readonly ConcurrentDictionary<ManagedTorrent, TorrentRow> _rows = new();
    private int _listVersion = -1;

    /// <summary>The torrent's row as it is now.</summary>
    public TorrentRow Of(ManagedTorrent torrent)
    {
        // Read before the row is written: a change meanwhile leaves the row with the older numbers, and it is written again.
        var version = torrent.Version;
        var changes = torrents.Changes;
        if (_rows.TryGetValue(torrent, out var row) && row.Version == version && row.Changes == changes) return row;
        var summary = torrent.Summary(changes);
        row = TorrentRow.Make(torrent, summary, version, changes, [.. torrent.TrackerTiers.SelectMany(tier => tier)], w => write(w, torrent, summary));
        _rows[torrent] = row;
        return row;
    }

    /// <summary>Every torrent's row, oldest first; the rows of removed torrents are forgotten.</summary>
    public TorrentRow[] All()
    {
        var list = torrents.Listed;
        var rows = new TorrentRow[list.Count];
        for (var i = 0; i < rows.Length; i++) rows[i] = Of(list[i]);
        var listVersion = torrents.ListVersion;
        if (_rows.Count > rows.Length && Interlocked.Exchange(ref _listVersion, listVersion) != listVersion)
        {
            var present = list.ToHashSet();
            foreach (var gone in _rows.Keys.Where(t => !present.Contains(t)).ToList()) _rows.TryRemove(gone, out _);
        }
        return rows;
    }
}
