using System.Text.Json;

namespace TorrentLab.Web;

// The torrents/* routes that read one torrent: its properties, files and trackers; and the torrents a request names.
internal sealed partial class QBittorrentApi
{
    /// <summary>torrents/properties: every row of the field table with a <see cref="TorrentField.Properties"/> key.</summary>
    private void WriteProperties(Utf8JsonWriter w, ManagedTorrent t)
    {
        var view = new FieldView(t, t.Summary(), new FieldSource(_torrents, _options.MaxPeers));
        _ = view.Peers; // read before last_seen: reading them notes a complete copy seen
        w.WriteStartObject();
        foreach (var field in TorrentFields.QBittorrentProperties)
        {
            w.WritePropertyName(field.Properties!);
            field.WritePropertiesValue(w, view);
        }
        w.WriteEndObject();
    }

    /// <summary>torrents/files: index from 0, priority 0 (do not download), 1 (normal) or 6 (high); TorrentLab's
    /// "low" is shown as 1, as qBittorrent has no lower priority that still downloads.</summary>
    private static void WriteFiles(Utf8JsonWriter w, ManagedTorrent t)
    {
        var torrent = t.Torrent;
        var ranges = torrent.Files.Where(f => !f.IsPadding).Select(f => (First: (int)(f.Offset / torrent.PieceLength),
            Last: (int)(Math.Max(f.Offset, f.Offset + f.Length - 1) / torrent.PieceLength))).ToArray();
        w.WriteStartArray();
        foreach (var file in t.Files())
        {
            w.WriteStartObject();
            w.WriteNumber("index", file.Index - 1);
            w.WriteString("name", file.Path);
            w.WriteNumber("size", file.Length);
            w.WriteNumber("progress", file.Progress);
            w.WriteNumber("priority", file.Priority switch { "skip" => 0, "high" => 6, _ => 1 });
            w.WriteBoolean("is_seed", file.Progress >= 1);
            w.WriteNumber("availability", -1);
            w.WriteStartArray("piece_range"); // the first and last piece holding its bytes
            w.WriteNumberValue(ranges[file.Index - 1].First);
            w.WriteNumberValue(ranges[file.Index - 1].Last);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteTrackers(Utf8JsonWriter w, ManagedTorrent t)
    {
        w.WriteStartArray();
        foreach (var tracker in t.Details().Trackers)
        {
            w.WriteStartObject();
            w.WriteString("url", tracker.Url);
            w.WriteNumber("tier", tracker.Tier);
            w.WriteNumber("status", tracker.LastAnswer is null ? 1 : tracker.LastAnswer.Contains("failed", StringComparison.Ordinal) ? 4 : 2); // 1 not contacted, 2 working, 4 not working
            w.WriteString("msg", tracker.LastAnswer ?? "");
            w.WriteNumber("num_peers", -1);
            w.WriteNumber("num_seeds", -1);
            w.WriteNumber("num_leeches", -1);
            w.WriteNumber("num_downloaded", -1);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The torrent of <c>hash</c>; 404 as qBittorrent answers for an unknown one.</summary>
    private ManagedTorrent Torrent(QBittorrentInput input)
    {
        var hash = input["hash"] ?? throw new WebApiException(400, "give 'hash'");
        return _torrents.Get(hash);
    }

    /// <summary>The torrents of a <c>hashes</c> parameter (<c>|</c>-separated, or <c>all</c>); null when absent.</summary>
    private IReadOnlyList<ManagedTorrent>? Selected(string? hashes)
    {
        if (hashes is null) return null;
        if (hashes == "all") return _torrents.All;
        return [.. hashes.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => _torrents.Find(h)).OfType<ManagedTorrent>()];
    }
}
