using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>qBittorrent's answers about every torrent at once: torrents/info, sync/maindata (with the server's figures
/// and the categories), transfer/info and torrents/categories, written from rows kept until their torrent
/// changes.</summary>
internal sealed class QBittorrentTorrentList
{
    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;

    public QBittorrentTorrentList(TorrentManager torrents, WebServerOptions options)
    {
        _torrents = torrents;
        _options = options;
    }

    /// <summary>torrents/info: every torrent, or those of <c>hashes</c> (<c>|</c>-separated), <c>category</c>, <c>tag</c>
    /// and <c>filter</c> (all, downloading, seeding, completed, paused/stopped, resumed/running, active, inactive,
    /// stalled, stalled_uploading, stalled_downloading, checking, moving, errored), sorted by <c>sort</c> (a field name)
    /// and cut by <c>offset</c> and <c>limit</c>. Each row is written once per change of its torrent
    /// (<see cref="TorrentRows"/>), so polling the whole list copies bytes rather than writes JSON.
    /// <paramref name="selected"/> is the torrents of <c>hashes</c>, or null when it is not given.</summary>
    public void WriteInfo(System.Buffers.IBufferWriter<byte> output, QBittorrentInput input, IReadOnlyList<ManagedTorrent>? selected)
    {
        var filter = input["filter"] ?? "all";
        if (!Filters.Contains(filter)) throw new WebApiException(400, $"filter '{UntrustedText.Clean(filter, 30)}' is not one of qBittorrent's: {string.Join(", ", Filters)}");
        IEnumerable<TorrentRow> rows = selected is not null ? selected.Select(Rows.Of) : Rows.All();
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

    /// <summary>transfer/info: the figures of server_state that qBittorrent's transfer/info carries.</summary>
    public void WriteTransfer(Utf8JsonWriter w)
    {
        var state = ServerState(Rows.All());
        w.WriteStartObject();
        foreach (var key in (string[])["connection_status", "dht_nodes", "dl_info_data", "dl_info_speed", "dl_rate_limit", "up_info_data", "up_info_speed", "up_rate_limit"])
        {
            w.WritePropertyName(key);
            w.WriteRawValue(state[key], skipInputValidation: true);
        }
        w.WriteEndObject();
    }

    /// <summary>server_state, each key's JSON value: totals over the torrents, the limits in force, the free space where
    /// downloads go. Figures of libtorrent's disk cache, which TorrentLab does not have, are 0.</summary>
    private Dictionary<string, string> ServerState(TorrentRow[] rows)
    {
        double down = 0, up = 0;
        long downloaded = 0, session = 0, uploaded = 0, peers = 0;
        foreach (var row in rows)
        {
            var s = row.Summary;
            (down, up, uploaded, peers) = (down + s.DownloadRate, up + s.UploadRate, uploaded + s.Uploaded, peers + s.Peers);
            (downloaded, session) = (downloaded + row.Torrent.Downloaded, session + row.Torrent.DownloadedThisSession);
        }
        static string N(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
        static string S(string value) => JsonSerializer.Serialize(value, WebJsonContext.Default.String);
        return new(StringComparer.Ordinal)
        {
            ["alltime_dl"] = N(downloaded),
            ["alltime_ul"] = N(uploaded),
            ["average_time_queue"] = "0",
            ["connection_status"] = S("connected"), // the peer port listens
            ["dht_nodes"] = N(_torrents.Session.DhtNodes),
            ["dl_info_data"] = N(session),
            ["dl_info_speed"] = N((long)down),
            ["dl_rate_limit"] = N(_torrents.Limits.Download.BytesPerSecond),
            ["free_space_on_disk"] = N(FreeSpace()),
            ["global_ratio"] = S(downloaded == 0 ? "0.00" : ((double)uploaded / downloaded).ToString("0.00", CultureInfo.InvariantCulture)),
            ["queued_io_jobs"] = "0",
            ["queueing"] = "true",
            ["read_cache_hits"] = S("0"),
            ["read_cache_overload"] = S("0"),
            ["refresh_interval"] = "1500",
            ["total_buffers_size"] = "0",
            ["total_peer_connections"] = N(peers),
            ["total_queued_size"] = "0",
            ["total_wasted_session"] = "0",
            ["up_info_data"] = N(uploaded),
            ["up_info_speed"] = N((long)up),
            ["up_rate_limit"] = N(_torrents.Limits.Upload.BytesPerSecond),
            ["use_alt_speed_limits"] = _torrents.Limits.AltSpeed.Active == true ? "true" : "false",
            ["write_cache_overload"] = S("0"),
        };
    }

    /// <summary>Bytes free where downloads go (a number, as qBittorrent answers; -1 when it cannot be read), read at most
    /// every 30 s, as qBittorrent's sync controller checks it: read at every poll, a busy disk put the figure in every
    /// sync/maindata delta.</summary>
    private long FreeSpace()
    {
        var now = Environment.TickCount64;
        var (at, bytes) = _freeSpace;
        if (now - at < 30_000 && at != 0) return bytes;
        try { bytes = new DriveInfo(_torrents.Downloads).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { bytes = -1; }
        _freeSpace = (now, bytes);
        return bytes;
    }

    private (long At, long Bytes) _freeSpace;

    /// <summary>sync/maindata: with the <c>rid</c> of an earlier answer still kept, only what changed since; else
    /// everything, <c>full_update: true</c> (<see cref="MainDataSync"/>).</summary>
    public void WriteMainData(Utf8JsonWriter w, QBittorrentInput input)
    {
        var rid = long.TryParse(input["rid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;
        var rows = Rows.All();
        _sync.Write(w, rid, rows, [.. _torrents.Labels.Categories], [.. _torrents.Labels.Tags], ServerState(rows), WriteCategory);
    }

    private readonly MainDataSync _sync = new();

    /// <summary>The rows of torrents/info and sync/maindata, each written again only when its torrent changed.</summary>
    private TorrentRows Rows => field ??= new TorrentRows(_torrents, WriteTorrent);

    public void WriteCategories(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var category in _torrents.Labels.Categories) WriteCategory(w, category);
        w.WriteEndObject();
    }

    /// <summary>One category as qBittorrent gives it: <c>"name": {"name": ..., "savePath": ...}</c>.</summary>
    private void WriteCategory(Utf8JsonWriter w, string category)
    {
        w.WriteStartObject(category);
        w.WriteString("name", category);
        w.WriteString("savePath", _torrents.Downloads);
        w.WriteEndObject();
    }
}
