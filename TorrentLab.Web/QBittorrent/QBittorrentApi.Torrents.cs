using System.Text.Json;

namespace TorrentLab.Web;

// The torrents/* routes that read: the list, and one torrent's properties, files and trackers.
internal sealed partial class QBittorrentApi
{
    /// <summary>qBittorrent's ETA for "not known": 100 days in seconds (its MAX_ETA).</summary>
    private const long UnknownEta = 8_640_000;

    /// <summary>torrents/info: every torrent, or those of <c>hashes</c> (<c>|</c>-separated), <c>category</c> and
    /// <c>filter</c> (all, downloading, seeding, completed, paused/stopped, active, inactive, stalled, errored),
    /// sorted by <c>sort</c> (a field name) and cut by <c>offset</c> and <c>limit</c>.</summary>
    private void WriteInfo(Utf8JsonWriter w, QBittorrentInput input)
    {
        IEnumerable<ManagedTorrent> torrents = Selected(input["hashes"]) ?? _torrents.All;
        if (input["category"] is { } category) torrents = torrents.Where(t => (t.Category ?? "") == category);
        var rows = torrents.Select(t => (Torrent: t, Summary: t.Summary())).Where(r => Matches(input["filter"] ?? "all", r.Summary)).ToList();
        if (input["sort"] is { } sort)
        {
            rows = sort switch
            {
                "name" => [.. rows.OrderBy(r => r.Summary.Name, StringComparer.OrdinalIgnoreCase)],
                "size" or "total_size" => [.. rows.OrderBy(r => r.Summary.Size)],
                "progress" => [.. rows.OrderBy(r => r.Summary.Progress)],
                "dlspeed" => [.. rows.OrderBy(r => r.Summary.DownloadRate)],
                "upspeed" => [.. rows.OrderBy(r => r.Summary.UploadRate)],
                "state" => [.. rows.OrderBy(r => StateOf(r.Summary), StringComparer.Ordinal)],
                _ => [.. rows.OrderBy(r => r.Summary.AddedAt)], // added_on, and any field not sorted here
            };
            if (input.Flag("reverse")) rows.Reverse();
        }
        if (int.TryParse(input["offset"], out var offset)) rows = [.. rows.Skip(offset < 0 ? Math.Max(0, rows.Count + offset) : offset)];
        if (int.TryParse(input["limit"], out var limit) && limit > 0) rows = [.. rows.Take(limit)];
        w.WriteStartArray();
        foreach (var (torrent, summary) in rows)
        {
            w.WriteStartObject();
            WriteTorrent(w, torrent, summary);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static bool Matches(string filter, TorrentSummary s) => filter switch
    {
        "downloading" => s.State is "downloading" or "queued" && s.PiecesDone < s.PieceCount,
        "seeding" => s.State == "seeding",
        "completed" => s.Progress >= 1,
        "paused" or "stopped" => s.State is "paused" or "completed" or "failed",
        "resumed" or "running" => s.State is "downloading" or "seeding" or "queued",
        "active" => s.DownloadRate > 0 || s.UploadRate > 0,
        "inactive" => s.DownloadRate == 0 && s.UploadRate == 0,
        "stalled" => s.Stalled,
        "stalled_downloading" => s.Stalled,
        "errored" => s.State == "failed",
        "checking" => s.State == "checking",
        _ => true, // all, and filters TorrentLab does not distinguish
    };

    /// <summary>One torrent as torrents/info and sync/maindata give it (the fields media managers read).</summary>
    private void WriteTorrent(Utf8JsonWriter w, ManagedTorrent t, TorrentSummary s)
    {
        var wanted = t.WantedBytes;
        var folder = _torrents.FolderOf(t);
        var path = System.IO.Path.Combine(folder, t.Torrent.Name);
        var trackers = t.TrackerTiers;
        w.WriteString("hash", s.InfoHash);
        w.WriteString("infohash_v1", s.InfoHash);
        w.WriteString("infohash_v2", t.Torrent.InfoHashV2?.Hex ?? "");
        w.WriteString("name", s.Name);
        w.WriteNumber("size", wanted);
        w.WriteNumber("total_size", s.Size);
        w.WriteNumber("progress", s.Progress);
        w.WriteNumber("dlspeed", (long)s.DownloadRate);
        w.WriteNumber("upspeed", (long)s.UploadRate);
        w.WriteNumber("priority", s.State == "queued" ? _torrents.QueuePosition(t) + 1 : 0);
        w.WriteNumber("num_seeds", s.Peers);
        w.WriteNumber("num_leechs", 0);
        w.WriteNumber("num_complete", -1);
        w.WriteNumber("num_incomplete", -1);
        w.WriteNumber("ratio", s.Ratio);
        w.WriteNumber("eta", s.Eta is { } eta ? (long)eta : UnknownEta);
        w.WriteString("state", StateOf(s));
        w.WriteString("category", t.Category ?? "");
        w.WriteString("tags", "");
        w.WriteString("save_path", folder);
        w.WriteString("download_path", "");
        w.WriteString("content_path", path);
        w.WriteString("root_path", t.Torrent.IsMultiFile ? path : "");
        w.WriteNumber("added_on", s.AddedAt.ToUnixTimeSeconds());
        w.WriteNumber("completion_on", s.Progress >= 1 ? s.AddedAt.ToUnixTimeSeconds() : -1); // no completion time is kept
        w.WriteNumber("amount_left", Math.Max(0, wanted - s.BytesDone));
        w.WriteNumber("completed", s.BytesDone);
        w.WriteNumber("downloaded", s.BytesDone);
        w.WriteNumber("uploaded", s.Uploaded);
        w.WriteNumber("downloaded_session", s.BytesDone);
        w.WriteNumber("uploaded_session", s.Uploaded);
        w.WriteNumber("dl_limit", t.DownloadLimit.BytesPerSecond);
        w.WriteNumber("up_limit", t.UploadLimit.BytesPerSecond);
        w.WriteNumber("max_ratio", t.Seeding.Ratio ?? -1);
        w.WriteNumber("max_seeding_time", t.Seeding.Minutes ?? -1);
        w.WriteNumber("ratio_limit", -2); // -2: the global limit applies
        w.WriteNumber("seeding_time_limit", -2);
        w.WriteBoolean("seq_dl", false);
        w.WriteBoolean("f_l_piece_prio", false);
        w.WriteBoolean("super_seeding", false);
        w.WriteBoolean("force_start", false);
        w.WriteBoolean("auto_tmm", false);
        w.WriteBoolean("private", t.Torrent.IsPrivate);
        w.WriteString("magnet_uri", t.Torrent.MagnetLink);
        w.WriteString("tracker", s.TrackerError is null ? trackers.SelectMany(tier => tier).FirstOrDefault() ?? "" : "");
        w.WriteNumber("trackers_count", trackers.Sum(tier => tier.Count));
        w.WriteNumber("time_active", 0);
        w.WriteNumber("seeding_time", 0);
        w.WriteNumber("last_activity", 0);
        w.WriteNumber("seen_complete", 0);
        w.WriteNumber("availability", -1);
    }

    /// <summary>qBittorrent 4.x's torrent states (the v5 names stoppedDL/stoppedUP would mislead 4.x clients).</summary>
    private static string StateOf(TorrentSummary s)
    {
        var complete = s.PiecesDone == s.PieceCount || s.Progress >= 1;
        return s.State switch
        {
            "downloading" => s.Stalled ? "stalledDL" : "downloading",
            "seeding" => s.UploadRate > 0 ? "uploading" : "stalledUP",
            "queued" => complete ? "queuedUP" : "queuedDL",
            "checking" => complete ? "checkingUP" : "checkingDL",
            "moving" => "moving",
            "failed" => "error",
            "completed" => "pausedUP",
            _ => complete ? "pausedUP" : "pausedDL",
        };
    }

    private void WriteProperties(Utf8JsonWriter w, ManagedTorrent t)
    {
        var s = t.Summary();
        w.WriteStartObject();
        w.WriteString("hash", s.InfoHash);
        w.WriteString("name", s.Name);
        w.WriteString("save_path", _torrents.FolderOf(t));
        w.WriteNumber("creation_date", t.Torrent.CreationDate?.ToUnixTimeSeconds() ?? -1);
        w.WriteNumber("piece_size", t.Torrent.PieceLength);
        w.WriteString("comment", t.Torrent.Comment ?? "");
        w.WriteString("created_by", t.Torrent.CreatedBy ?? "");
        w.WriteNumber("total_wasted", 0);
        w.WriteNumber("total_uploaded", s.Uploaded);
        w.WriteNumber("total_downloaded", s.BytesDone);
        w.WriteNumber("up_limit", t.UploadLimit.BytesPerSecond == 0 ? -1 : t.UploadLimit.BytesPerSecond);
        w.WriteNumber("dl_limit", t.DownloadLimit.BytesPerSecond == 0 ? -1 : t.DownloadLimit.BytesPerSecond);
        w.WriteNumber("time_elapsed", 0);
        w.WriteNumber("seeding_time", 0);
        w.WriteNumber("nb_connections", s.Peers);
        w.WriteNumber("nb_connections_limit", _options.MaxPeers);
        w.WriteNumber("share_ratio", s.Ratio);
        w.WriteNumber("addition_date", s.AddedAt.ToUnixTimeSeconds());
        w.WriteNumber("completion_date", -1);
        w.WriteNumber("dl_speed", (long)s.DownloadRate);
        w.WriteNumber("up_speed", (long)s.UploadRate);
        w.WriteNumber("dl_speed_avg", (long)s.DownloadRate);
        w.WriteNumber("up_speed_avg", (long)s.UploadRate);
        w.WriteNumber("eta", s.Eta is { } eta ? (long)eta : UnknownEta);
        w.WriteNumber("last_seen", -1);
        w.WriteNumber("peers", s.Peers);
        w.WriteNumber("peers_total", s.Peers);
        w.WriteNumber("seeds", s.Peers);
        w.WriteNumber("seeds_total", s.Peers);
        w.WriteNumber("pieces_have", s.PiecesDone);
        w.WriteNumber("pieces_num", s.PieceCount);
        w.WriteNumber("reannounce", 0);
        w.WriteNumber("total_size", s.Size);
        w.WriteBoolean("is_private", t.Torrent.IsPrivate);
        w.WriteEndObject();
    }

    /// <summary>torrents/files: index from 0, priority 0 (do not download), 1 (normal) or 6 (high); TorrentLab's
    /// "low" is shown as 1, as qBittorrent has no lower priority that still downloads.</summary>
    private static void WriteFiles(Utf8JsonWriter w, ManagedTorrent t)
    {
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
