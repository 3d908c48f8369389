using System.Buffers;
using System.Text.Json;

namespace TorrentLab.Web;

// The torrents/* routes that read: the list, and one torrent's properties, files and trackers.
internal sealed partial class QBittorrentApi
{
    /// <summary>torrents/info: every torrent, or those of <c>hashes</c> (<c>|</c>-separated), <c>category</c>, <c>tag</c>
    /// and <c>filter</c> (all, downloading, seeding, completed, paused/stopped, resumed/running, active, inactive,
    /// stalled, stalled_uploading, stalled_downloading, checking, moving, errored), sorted by <c>sort</c> (a field name)
    /// and cut by <c>offset</c> and <c>limit</c>. Each row is written once per change of its torrent
    /// (<see cref="TorrentRows"/>), so polling the whole list copies bytes rather than writes JSON.</summary>
    private void WriteInfo(System.Buffers.IBufferWriter<byte> output, QBittorrentInput input)
    {
        var filter = input["filter"] ?? "all";
        if (!Filters.Contains(filter)) throw new WebApiException(400, $"filter '{UntrustedText.Clean(filter, 30)}' is not one of qBittorrent's: {string.Join(", ", Filters)}");
        IEnumerable<TorrentRow> rows = input["hashes"] is { } hashes ? (Selected(hashes) ?? []).Select(Rows.Of) : Rows.All();
        if (input["category"] is { } category) rows = rows.Where(r => (r.Torrent.Category ?? "") == category);
        if (input["tag"] is { } tag) rows = rows.Where(r => tag.Length == 0 ? r.Summary.Tags.Count == 0 : r.Summary.Tags.Contains(tag));
        var list = rows.Where(r => Matches(filter, r.Summary)).ToList();
        if (input["sort"] is { } sort)
        {
            list = sort switch
            {
                "name" => [.. list.OrderBy(r => r.Summary.Name, StringComparer.OrdinalIgnoreCase)],
                "size" or "total_size" => [.. list.OrderBy(r => r.Summary.Size)],
                "progress" => [.. list.OrderBy(r => r.Summary.Progress)],
                "dlspeed" => [.. list.OrderBy(r => r.Summary.DownloadRate)],
                "upspeed" => [.. list.OrderBy(r => r.Summary.UploadRate)],
                "ratio" => [.. list.OrderBy(r => r.Summary.Ratio)],
                "state" => [.. list.OrderBy(r => TorrentFields.StateOf(r.Summary), StringComparer.Ordinal)],
                "category" => [.. list.OrderBy(r => r.Torrent.Category ?? "", StringComparer.Ordinal)],
                "priority" => [.. list.OrderBy(r => _torrents.Queue.Position(r.Torrent))],
                _ => [.. list.OrderBy(r => r.Summary.AddedAt)], // added_on, and any field not sorted here
            };
            if (input.Flag("reverse")) list.Reverse();
        }
        if (int.TryParse(input["offset"], out var offset)) list = [.. list.Skip(offset < 0 ? Math.Max(0, list.Count + offset) : offset)];
        if (int.TryParse(input["limit"], out var limit) && limit > 0) list = [.. list.Take(limit)];
        output.Write("["u8);
        for (var i = 0; i < list.Count; i++)
        {
            // {"hash":"<40 hex>", then the row's own fields}
            output.Write(i == 0 ? "{\"hash\":\""u8 : ",{\"hash\":\""u8);
            var hash = list[i].Torrent.InfoHash; // hex: one byte per character
            output.Advance(System.Text.Encoding.ASCII.GetBytes(hash, output.GetSpan(hash.Length)));
            output.Write("\","u8);
            output.Write(list[i].Inner);
            output.Write("}"u8);
        }
        output.Write("]"u8);
    }

    /// <summary>qBittorrent 4.5's filters (torrents/info answers 400 for another).</summary>
    private static readonly string[] Filters = ["all", "downloading", "seeding", "completed", "paused", "stopped", "resumed", "running",
        "active", "inactive", "stalled", "stalled_uploading", "stalled_downloading", "checking", "moving", "errored"];

    private static bool Matches(string filter, TorrentSummary s) => filter switch
    {
        "downloading" => s.State is "downloading" or "queued" && s.PiecesDone < s.PieceCount,
        "seeding" => s.State == "seeding",
        "completed" => s.Progress >= 1,
        "paused" or "stopped" => s.State is "paused" or "completed" or "failed",
        "resumed" or "running" => s.State is "downloading" or "seeding" or "queued",
        "active" => s.DownloadRate > 0 || s.UploadRate > 0,
        "inactive" => s.DownloadRate == 0 && s.UploadRate == 0,
        "stalled" => TorrentFields.StateOf(s) is "stalledDL" or "stalledUP",
        "stalled_uploading" => TorrentFields.StateOf(s) == "stalledUP",
        "stalled_downloading" => TorrentFields.StateOf(s) == "stalledDL",
        "errored" => s.State == "failed",
        "checking" => s.State == "checking",
        "moving" => s.State == "moving",
        _ => true, // all
    };

    /// <summary>One torrent's fields as torrents/info and sync/maindata give them, each written by its row of
    /// <see cref="TorrentFields"/> in qBittorrent's order (the info hash is written apart: it is the row's key in
    /// sync/maindata).</summary>
    private void WriteTorrent(Utf8JsonWriter w, ManagedTorrent t, TorrentSummary s)
    {
        var view = new FieldView(t, s, _fieldSource ??= new FieldSource(_torrents, _options.MaxPeers));
        foreach (var field in TorrentFields.QBittorrentRow)
        {
            w.WritePropertyName(field.QBittorrentKey);
            field.WriteQBittorrentValue(w, view);
        }
    }

    private FieldSource? _fieldSource;

    private void WriteProperties(Utf8JsonWriter w, ManagedTorrent t)
    {
        var s = t.Summary();
        var peers = s.Peers > 0 ? t.PeersNow() : [];
        var seeds = peers.Count(p => p.Progress >= 1);
        var announces = t.Announces.Values.Where(a => a.Succeeded).ToList();
        var next = t.IsRunning ? announces.Select(a => a.NextAt).OfType<DateTimeOffset>().DefaultIfEmpty().Min() : default;
        var seconds = t.SecondsDownloading + t.SecondsSeeding;
        w.WriteStartObject();
        w.WriteNumber("addition_date", s.AddedAt.ToUnixTimeSeconds());
        w.WriteString("comment", t.Torrent.Comment ?? "");
        w.WriteNumber("completion_date", t.CompletedAt?.ToUnixTimeSeconds() ?? -1);
        w.WriteString("created_by", t.Torrent.CreatedBy ?? "");
        w.WriteNumber("creation_date", t.Torrent.CreationDate?.ToUnixTimeSeconds() ?? 0); // none in the .torrent: 0, as qbittorrent-nox 4.5.2
        w.WriteNumber("dl_limit", t.DownloadLimit.BytesPerSecond == 0 ? -1 : t.DownloadLimit.BytesPerSecond);
        w.WriteNumber("dl_speed", (long)s.DownloadRate);
        w.WriteNumber("dl_speed_avg", t.SecondsDownloading == 0 ? 0 : t.Downloaded / t.SecondsDownloading);
        w.WriteString("download_path", "");
        w.WriteNumber("eta", s.Eta is { } eta ? (long)eta : TorrentFields.QBittorrentUnknownEta);
        w.WriteString("hash", s.InfoHash);
        w.WriteString("infohash_v1", s.InfoHash);
        w.WriteString("infohash_v2", t.Torrent.InfoHashV2?.Hex ?? "");
        w.WriteBoolean("is_private", t.Torrent.IsPrivate);
        w.WriteNumber("last_seen", t.SeenComplete?.ToUnixTimeSeconds() ?? -1); // torrents/info's seen_complete; -1 while never
        w.WriteString("name", s.Name);
        w.WriteNumber("nb_connections", s.Peers);
        w.WriteNumber("nb_connections_limit", t.MaxPeers ?? _options.MaxPeers);
        w.WriteNumber("peers", peers.Count - seeds);
        w.WriteNumber("peers_total", announces.Count == 0 ? peers.Count - seeds : Math.Max(peers.Count - seeds, announces.Max(a => a.Leechers)));
        w.WriteNumber("piece_size", t.Torrent.PieceLength);
        w.WriteNumber("pieces_have", s.PiecesDone);
        w.WriteNumber("pieces_num", s.PieceCount);
        w.WriteNumber("reannounce", next == default ? 0 : Math.Max(0, (long)(next - DateTimeOffset.UtcNow).TotalSeconds));
        w.WriteString("save_path", _torrents.FolderOf(t));
        w.WriteNumber("seeding_time", t.SecondsSeeding);
        w.WriteNumber("seeds", seeds);
        w.WriteNumber("seeds_total", announces.Count == 0 ? seeds : Math.Max(seeds, announces.Max(a => a.Seeders)));
        w.WriteNumber("share_ratio", s.Ratio);
        w.WriteNumber("time_elapsed", seconds);
        w.WriteNumber("total_downloaded", t.Downloaded);
        w.WriteNumber("total_downloaded_session", t.DownloadedThisSession);
        w.WriteNumber("total_size", s.Size);
        w.WriteNumber("total_uploaded", s.Uploaded);
        w.WriteNumber("total_uploaded_session", s.Uploaded);
        w.WriteNumber("total_wasted", 0);
        w.WriteNumber("up_limit", t.UploadLimit.BytesPerSecond == 0 ? -1 : t.UploadLimit.BytesPerSecond);
        w.WriteNumber("up_speed", (long)s.UploadRate);
        w.WriteNumber("up_speed_avg", seconds == 0 ? 0 : s.Uploaded / seconds);
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
