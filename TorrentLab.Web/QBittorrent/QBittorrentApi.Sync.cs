using System.Text.Json;

namespace TorrentLab.Web;

// app/*, transfer/info and sync/maindata: the server's settings and totals.
internal sealed partial class QBittorrentApi
{
    private long _rid; // sync/maindata's response id

    private static void WriteBuildInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("qt", "");
        w.WriteString("libtorrent", $"TorrentLab {typeof(QBittorrentApi).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        w.WriteString("boost", "");
        w.WriteString("openssl", "");
        w.WriteNumber("bitness", IntPtr.Size * 8);
        w.WriteEndObject();
    }

    /// <summary>app/preferences: the settings TorrentLab has, under qBittorrent's names; features it lacks are off.</summary>
    private void WritePreferences(Utf8JsonWriter w)
    {
        var settings = _torrents.Settings;
        w.WriteStartObject();
        w.WriteString("save_path", _torrents.Downloads);
        w.WriteBoolean("temp_path_enabled", false);
        w.WriteString("temp_path", "");
        w.WriteBoolean("start_paused_enabled", false);
        w.WriteBoolean("auto_tmm_enabled", false);
        w.WriteNumber("dl_limit", _torrents.GlobalDownloadLimit.BytesPerSecond);
        w.WriteNumber("up_limit", _torrents.GlobalUploadLimit.BytesPerSecond);
        w.WriteNumber("alt_dl_limit", 0);
        w.WriteNumber("alt_up_limit", 0);
        w.WriteBoolean("scheduler_enabled", false);
        w.WriteBoolean("queueing_enabled", true);
        w.WriteNumber("max_active_downloads", settings.MaxActiveDownloads ?? 5);
        w.WriteNumber("max_active_torrents", -1);
        w.WriteNumber("max_active_uploads", -1);
        w.WriteBoolean("max_ratio_enabled", settings.SeedRatio is > 0);
        w.WriteNumber("max_ratio", settings.SeedRatio ?? -1);
        w.WriteBoolean("max_seeding_time_enabled", settings.SeedMinutes is > 0);
        w.WriteNumber("max_seeding_time", (long)(settings.SeedMinutes ?? -1));
        w.WriteNumber("max_ratio_act", 0); // 0: pause when reached
        w.WriteNumber("listen_port", _torrents.Session.Port);
        w.WriteBoolean("upnp", settings.PortMapping is { Count: > 0 }); // qBittorrent's one switch for UPnP and NAT-PMP
        w.WriteBoolean("dht", settings.Dht ?? false);
        w.WriteBoolean("pex", true);
        w.WriteBoolean("lsd", false);
        w.WriteNumber("encryption", _options.Encryption switch { Wire.EncryptionPolicy.Require => 1, Wire.EncryptionPolicy.Off => 2, _ => 0 });
        w.WriteNumber("max_connec", settings.MaxConnections ?? -1);
        w.WriteNumber("max_connec_per_torrent", _options.MaxPeers);
        w.WriteNumber("bittorrent_protocol", 0); // 0: TCP and uTP
        w.WriteBoolean("web_ui_csrf_protection_enabled", true);
        w.WriteBoolean("web_ui_host_header_validation_enabled", true);
        w.WriteBoolean("bypass_local_auth", _token is null);
        WriteIpFilter(w);
        w.WriteEndObject();
    }

    private void WriteTransfer(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteServerState(w, [.. _torrents.All.Select(t => t.Summary())]);
        w.WriteEndObject();
    }

    private void WriteServerState(Utf8JsonWriter w, TorrentSummary[] all)
    {
        w.WriteNumber("dl_info_speed", (long)all.Sum(t => t.DownloadRate));
        w.WriteNumber("dl_info_data", all.Sum(t => t.BytesDone));
        w.WriteNumber("up_info_speed", (long)all.Sum(t => t.UploadRate));
        w.WriteNumber("up_info_data", all.Sum(t => t.Uploaded));
        w.WriteNumber("dl_rate_limit", _torrents.GlobalDownloadLimit.BytesPerSecond);
        w.WriteNumber("up_rate_limit", _torrents.GlobalUploadLimit.BytesPerSecond);
        w.WriteNumber("dht_nodes", 0);
        w.WriteString("connection_status", "connected");
    }

    /// <summary>sync/maindata: always a full update (<c>full_update: true</c>), which every client must accept; the
    /// <c>rid</c> still grows; the client's own <c>rid</c> is not needed, as every answer is complete.</summary>
    private void WriteMainData(Utf8JsonWriter w)
    {
        var torrents = _torrents.All.Select(t => (Torrent: t, Summary: t.Summary())).ToArray();
        w.WriteStartObject();
        w.WriteNumber("rid", Interlocked.Increment(ref _rid));
        w.WriteBoolean("full_update", true);
        w.WriteStartObject("torrents");
        foreach (var (torrent, summary) in torrents)
        {
            w.WriteStartObject(summary.InfoHash);
            WriteTorrent(w, torrent, summary);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WritePropertyName("categories");
        WriteCategories(w);
        w.WriteStartArray("tags");
        w.WriteEndArray();
        w.WriteStartObject("trackers");
        w.WriteEndObject();
        w.WriteStartObject("server_state");
        WriteServerState(w, [.. torrents.Select(t => t.Summary)]);
        w.WriteNumber("alltime_dl", torrents.Sum(t => t.Summary.BytesDone));
        w.WriteNumber("alltime_ul", torrents.Sum(t => t.Summary.Uploaded));
        w.WriteString("free_space_on_disk", "");
        w.WriteBoolean("queueing", true);
        w.WriteBoolean("use_alt_speed_limits", false);
        w.WriteNumber("refresh_interval", 1500);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
