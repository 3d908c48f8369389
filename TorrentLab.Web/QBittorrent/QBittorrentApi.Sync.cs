using System.Globalization;
using System.Text.Json;

namespace TorrentLab.Web;

// app/buildInfo, transfer/info and sync/maindata: the server's figures, and the list's changes by response id.
internal sealed partial class QBittorrentApi
{
    private static void WriteBuildInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("qt", "");
        w.WriteString("libtorrent", $"TorrentLab {typeof(QBittorrentApi).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        w.WriteString("boost", "");
        w.WriteString("openssl", "");
        w.WriteString("zlib", "");
        w.WriteNumber("bitness", IntPtr.Size * 8);
        w.WriteEndObject();
    }

    /// <summary>transfer/info: the figures of server_state that qBittorrent's transfer/info carries.</summary>
    private void WriteTransfer(Utf8JsonWriter w)
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
            ["dht_nodes"] = "0", // the session's DHT node count is not public
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
    private void WriteMainData(Utf8JsonWriter w, QBittorrentInput input)
    {
        var rid = long.TryParse(input["rid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;
        var rows = Rows.All();
        _sync.Write(w, rid, rows, [.. _torrents.Labels.Categories], [.. _torrents.Labels.Tags], ServerState(rows), WriteCategory);
    }

    private readonly MainDataSync _sync = new();

    /// <summary>The rows of torrents/info and sync/maindata, each written again only when its torrent changed.</summary>
    private TorrentRows Rows => field ??= new TorrentRows(_torrents, WriteTorrent);
}
