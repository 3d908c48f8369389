using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

// The torrents/* routes: the list and one torrent's properties and files, add, and the actions.
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
        var path = System.IO.Path.Combine(_torrents.Downloads, t.Torrent.Name);
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
        w.WriteString("save_path", _torrents.Downloads);
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
        w.WriteString("tracker", s.TrackerError is null ? t.Torrent.TrackerTiers.SelectMany(tier => tier).FirstOrDefault() ?? "" : "");
        w.WriteNumber("trackers_count", t.Torrent.TrackerTiers.Sum(tier => tier.Count));
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
        w.WriteString("save_path", _torrents.Downloads);
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

    /// <summary>torrents/add: <c>urls</c> (one per line: magnet links or http/https URLs) and uploaded .torrent files;
    /// <c>paused</c> (or v5's <c>stopped</c>), <c>category</c> (created when new), and <c>savepath</c>, which must be the
    /// downloads folder.
    /// Answers "Ok." when every one was added (or was there already, as qBittorrent), else 415 "Fails.".</summary>
    private async Task AddAsync(HttpContext context, QBittorrentInput input)
    {
        var ct = context.RequestAborted;
        if (input["savepath"] is { Length: > 0 } savePath
            && System.IO.Path.TrimEndingDirectorySeparator(savePath) != System.IO.Path.TrimEndingDirectorySeparator(_torrents.Downloads))
            throw new WebApiException(400, "savepath: every torrent of this server is downloaded to its downloads folder (app/defaultSavePath); another is not supported");
        var start = !(input.Flag("paused") || input.Flag("stopped"));
        var category = input["category"] is { Length: > 0 } c ? c : null;
        // As qBittorrent, a category named here that does not exist yet is created with the torrent.
        if (category is not null && !TorrentManager.ValidCategory(category))
            throw new WebApiException(400, $"'{UntrustedText.Clean(category, 40)}' is not a valid category name");
        var sources = new List<Func<Task<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>>>();
        foreach (var file in input.Files) sources.Add(() => Task.FromResult<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>((file, [])));
        foreach (var url in (input["urls"] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TorrentLab.Client.TorrentClient.IsMagnet(url) && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                throw new WebApiException(400, "urls: each line must be a magnet link or an http/https URL");
            sources.Add(() => AlreadyAdded(url) ? Task.FromResult<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>(([], [])) : RemoteLinks.FetchAsync(_torrents, _options, url, ct));
        }
        if (sources.Count == 0) throw new WebApiException(400, "give 'urls' or .torrent files in 'torrents'");
        var failed = 0;
        foreach (var source in sources)
        {
            try
            {
                var (bytes, peers) = await source().ConfigureAwait(false);
                if (bytes.Length == 0) continue; // a magnet link of a torrent already here
                var torrent = TorrentLab.Metainfo.Torrent.Parse(bytes);
                if (_torrents.Find(torrent.InfoHash.Hex) is not null) continue;
                var added = await _torrents.AddAsync(bytes, start: false, peers, ct).ConfigureAwait(false);
                if (category is not null) _torrents.SetCategory(added, category);
                if (start) await _torrents.StartAsync(added, ct).ConfigureAwait(false);
                _options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash}) through the qBittorrent API");
            }
            catch (Exception e) when (e is WebApiException or TorrentLabException or IOException)
            {
                failed++;
                _options.Log?.Invoke($"qBittorrent API: could not add a torrent: {e.Message}");
            }
        }
        if (failed > 0) await TextAsync(context, "Fails.", StatusCodes.Status415UnsupportedMediaType).ConfigureAwait(false);
        else await TextAsync(context, "Ok.").ConfigureAwait(false);
    }

    private bool AlreadyAdded(string url) => RemoteLinks.MagnetHash(url) is { } hash && _torrents.Find(hash) is not null;

    private async Task ForEachAsync(HttpContext context, QBittorrentInput input, Func<ManagedTorrent, Task> action)
    {
        var hashes = input["hashes"] ?? input["hash"] ?? throw new WebApiException(400, "give 'hashes': info hashes separated by '|', or 'all'");
        foreach (var torrent in Selected(hashes) ?? []) await action(torrent).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    private Task DeleteAsync(HttpContext context, QBittorrentInput input)
    {
        var delete = input.Flag("deleteFiles");
        return ForEachAsync(context, input, async t =>
        {
            await _torrents.RemoveAsync(t, delete).ConfigureAwait(false);
            _options.Log?.Invoke($"removed '{t.Torrent.Name}'{(delete ? " and its data" : "")} through the qBittorrent API");
        });
    }

    /// <summary>torrents/setCategory: 409 for a category not created first, as qBittorrent; "" clears it.</summary>
    private Task SetCategoryAsync(HttpContext context, QBittorrentInput input)
    {
        var category = input["category"] ?? "";
        if (category.Length > 0 && !_torrents.Categories.Contains(category))
            throw new WebApiException(409, $"category '{UntrustedText.Clean(category, 40)}' does not exist");
        return ForEachAsync(context, input, t =>
        {
            _torrents.SetCategory(t, category);
            return Task.CompletedTask;
        });
    }

    /// <summary>torrents/createCategory: 400 without a name, 409 for one that exists or is not valid (qBittorrent's
    /// answers); a savePath other than the downloads folder is refused, as every torrent is downloaded there.</summary>
    private Task CreateCategoryAsync(HttpContext context, QBittorrentInput input)
    {
        var category = input["category"];
        if (string.IsNullOrEmpty(category)) throw new WebApiException(400, "give 'category'");
        if (input["savePath"] is { Length: > 0 } savePath
            && System.IO.Path.TrimEndingDirectorySeparator(savePath) != System.IO.Path.TrimEndingDirectorySeparator(_torrents.Downloads))
            throw new WebApiException(409, "savePath: every torrent of this server is downloaded to its downloads folder; a category cannot have another");
        if (_torrents.Categories.Contains(category)) throw new WebApiException(409, $"category '{UntrustedText.Clean(category, 40)}' exists already");
        try { _torrents.CreateCategory(category); }
        catch (WebApiException e) { throw new WebApiException(409, e.Message, e); }
        return TextAsync(context, "");
    }

    private void WriteCategories(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var category in _torrents.Categories)
        {
            w.WriteStartObject(category);
            w.WriteString("name", category);
            w.WriteString("savePath", _torrents.Downloads);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>torrents/filePrio: <c>id</c> is file indexes from 0 separated by <c>|</c>; priority 0 skips, 1 normal,
    /// 6 and 7 high.</summary>
    private async Task FilePriorityAsync(HttpContext context, QBittorrentInput input)
    {
        var torrent = Torrent(input);
        var priority = input["priority"] switch
        {
            "0" => "skip", "1" => "normal", "6" or "7" => "high",
            var p => throw new WebApiException(400, $"priority must be 0, 1, 6 or 7, got '{UntrustedText.Clean(p, 10)}'"),
        };
        var ids = (input["id"] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        var changes = ids.Select(id => int.TryParse(id, out var i) ? new FilePriorityChange(i + 1, priority)
            : throw new WebApiException(400, $"id must be file indexes separated by '|', got '{UntrustedText.Clean(id, 10)}'")).ToList();
        if (changes.Count == 0) throw new WebApiException(400, "give 'id': file indexes separated by '|'");
        try { await _torrents.SetPrioritiesAsync(torrent, changes, context.RequestAborted).ConfigureAwait(false); }
        catch (WebApiException e) when (e.StatusCode == 400) { throw new WebApiException(409, e.Message, e); } // qBittorrent: 409 for a bad file id
        await TextAsync(context, "").ConfigureAwait(false);
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
