using System.Buffers;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>sync/maindata's response ids: each answer is a snapshot under a new <c>rid</c>; a client that sends back a
/// rid still kept gets only what changed since that answer (torrents and their changed fields, removed torrents,
/// categories, tags, server figures, trackers), any other gets the whole (<c>full_update: true</c>), as qBittorrent's
/// SyncController answers. The last <see cref="Kept"/> snapshots are kept; a snapshot shares the rows and maps of the
/// one before when nothing changed, so polling an idle list allocates next to nothing.</summary>
internal sealed class MainDataSync
{
    /// <summary>Snapshots kept: each client's last rid is among them unless more than this many answers came in between.</summary>
    private const int Kept = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, Snapshot> _snapshots = [];
    private readonly Queue<long> _order = new();
    private Snapshot? _latest;
    private long _rid;

    /// <summary>One answer's state: the row of every torrent by info hash, the categories and tags, the server figures
    /// (each key's JSON value), and the trackers map (announce URL -> info hashes).</summary>
    private sealed record Snapshot(Dictionary<string, TorrentRow> Torrents, string[] Categories, string[] Tags,
        Dictionary<string, string> ServerState, Dictionary<string, string[]> Trackers);

    /// <summary>Writes the answer to a client that last saw <paramref name="clientRid"/> (0: none).</summary>
    public void Write(Utf8JsonWriter w, long clientRid, TorrentRow[] rows, string[] categories, string[] tags,
        Dictionary<string, string> serverState, Action<Utf8JsonWriter, string> writeCategory)
    {
        Snapshot now;
        Snapshot? before;
        long rid;
        lock (_lock)
        {
            now = Take(rows, categories, tags, serverState);
            rid = ++_rid;
            _snapshots[rid] = now;
            _order.Enqueue(rid);
            while (_order.Count > Kept) _snapshots.Remove(_order.Dequeue());
            before = clientRid > 0 ? _snapshots.GetValueOrDefault(clientRid) : null;
        }
        // Outside the lock: the snapshots are never changed once taken.
        w.WriteStartObject();
        w.WriteNumber("rid", rid);
        if (before is null) w.WriteBoolean("full_update", true); // a delta leaves it out, as qBittorrent's SyncController
        WriteTorrents(w, now, before);
        WriteNames(w, "categories", now.Categories, before?.Categories, writeCategory);
        WriteNames(w, "tags", now.Tags, before?.Tags, null);
        WriteServerState(w, now.ServerState, before?.ServerState);
        WriteTrackers(w, now.Trackers, before?.Trackers);
        w.WriteEndObject();
    }

    // Called under _lock: the snapshot of now, sharing the last one's parts that did not change.
    private Snapshot Take(TorrentRow[] rows, string[] categories, string[] tags, Dictionary<string, string> serverState)
    {
        var last = _latest;
        var same = last is not null && last.Torrents.Count == rows.Length;
        var kept = new TorrentRow[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            // A row that moved only with the clock stays as the last snapshot had it: its new time goes out with the
            // torrent's next other change (Moves.WithClock in TorrentFields), and is then the time since the client last saw it.
            var row = rows[i];
            if (last is not null && last.Torrents.TryGetValue(row.Torrent.InfoHash, out var old)
                && (ReferenceEquals(old, row) || row.MovedOnlyWithTheClock(old)))
                row = old;
            else
                same = false;
            kept[i] = row;
        }
        var torrents = same ? last!.Torrents : kept.ToDictionary(r => r.Torrent.InfoHash, StringComparer.Ordinal);
        var trackers = same ? last!.Trackers : TrackersOf(kept);
        var snapshot = new Snapshot(torrents,
            last is not null && last.Categories.AsSpan().SequenceEqual(categories) ? last.Categories : categories,
            last is not null && last.Tags.AsSpan().SequenceEqual(tags) ? last.Tags : tags,
            last is not null && SameState(last.ServerState, serverState) ? last.ServerState : serverState, trackers);
        _latest = snapshot;
        return snapshot;
    }

    private static Dictionary<string, string[]> TrackersOf(TorrentRow[] rows)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var url in row.Trackers)
            {
                if (!map.TryGetValue(url, out var hashes)) map[url] = hashes = [];
                hashes.Add(row.Torrent.InfoHash);
            }
        return map.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    private static bool SameState(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary><c>torrents</c>: every row in full, or the new rows in full and of the others the fields that changed;
    /// <c>torrents_removed</c>: the info hashes gone since.</summary>
    private static void WriteTorrents(Utf8JsonWriter w, Snapshot now, Snapshot? before)
    {
        if (before is not null && ReferenceEquals(now.Torrents, before.Torrents)) return;
        var started = false;
        var parts = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (hash, row) in now.Torrents)
        {
            TorrentRow? old = null;
            if (before is not null && before.Torrents.TryGetValue(hash, out old) && ReferenceEquals(old, row)) continue;
            var whole = old is null || old.FieldCount != row.FieldCount;
            if (!whole)
            {
                // Written again (its torrent or the list changed): only the fields whose bytes differ, if any.
                parts.ResetWrittenCount();
                parts.Write("{"u8);
                var first = true;
                for (var i = 0; i < row.FieldCount; i++)
                {
                    var field = row.Field(i);
                    if (field.SequenceEqual(old!.Field(i))) continue;
                    if (!first) parts.Write(","u8);
                    parts.Write(field);
                    first = false;
                }
                parts.Write("}"u8);
                if (first) continue; // nothing a client sees changed
            }
            if (!started)
            {
                w.WriteStartObject("torrents");
                started = true;
            }
            w.WritePropertyName(hash);
            w.WriteRawValue(whole ? row.Json : parts.WrittenSpan, skipInputValidation: true);
        }
        if (started) w.WriteEndObject();
        else if (before is null) { w.WriteStartObject("torrents"); w.WriteEndObject(); }
        if (before is null) return;
        var removed = before.Torrents.Keys.Where(h => !now.Torrents.ContainsKey(h)).ToList();
        if (removed.Count == 0) return;
        w.WriteStartArray("torrents_removed");
        foreach (var hash in removed) w.WriteStringValue(hash);
        w.WriteEndArray();
    }

    /// <summary><c>categories</c> (an object, each written by <paramref name="writeEach"/>) or <c>tags</c> (an array):
    /// all, or the new ones, and <c>categories_removed</c> / <c>tags_removed</c>.</summary>
    private static void WriteNames(Utf8JsonWriter w, string key, string[] now, string[]? before, Action<Utf8JsonWriter, string>? writeEach)
    {
        if (before is not null && ReferenceEquals(now, before)) return;
        var added = before is null ? now : [.. now.Except(before, StringComparer.Ordinal)];
        if (before is null || added.Length > 0)
        {
            if (writeEach is null) w.WriteStartArray(key); else w.WriteStartObject(key);
            foreach (var name in added)
                if (writeEach is null) w.WriteStringValue(name); else writeEach(w, name);
            if (writeEach is null) w.WriteEndArray(); else w.WriteEndObject();
        }
        if (before is null) return;
        var removed = before.Except(now, StringComparer.Ordinal).ToList();
        if (removed.Count == 0) return;
        w.WriteStartArray(key + "_removed");
        foreach (var name in removed) w.WriteStringValue(name);
        w.WriteEndArray();
    }

    private static void WriteServerState(Utf8JsonWriter w, Dictionary<string, string> now, Dictionary<string, string>? before)
    {
        if (before is not null && ReferenceEquals(now, before)) return;
        w.WriteStartObject("server_state");
        foreach (var (key, value) in now)
        {
            if (before is not null && before.TryGetValue(key, out var old) && old == value) continue;
            w.WritePropertyName(key);
            w.WriteRawValue(value, skipInputValidation: true);
        }
        w.WriteEndObject();
    }

    private static void WriteTrackers(Utf8JsonWriter w, Dictionary<string, string[]> now, Dictionary<string, string[]>? before)
    {
        if (before is not null && ReferenceEquals(now, before)) return;
        var changed = now.Where(p => before is null || !before.TryGetValue(p.Key, out var old) || !old.AsSpan().SequenceEqual(p.Value)).ToList();
        if (before is null || changed.Count > 0)
        {
            w.WriteStartObject("trackers");
            foreach (var (url, hashes) in changed)
            {
                w.WriteStartArray(url);
                foreach (var hash in hashes) w.WriteStringValue(hash);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        if (before is null) return;
        var removed = before.Keys.Where(url => !now.ContainsKey(url)).ToList();
        if (removed.Count == 0) return;
        w.WriteStartArray("trackers_removed");
        foreach (var url in removed) w.WriteStringValue(url);
        w.WriteEndArray();
    }
}
