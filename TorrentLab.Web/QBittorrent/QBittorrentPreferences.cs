using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

/// <summary>qBittorrent's app/preferences and app/setPreferences: every key qbittorrent-nox 4.5.2 answers, each with
/// TorrentLab's value, and each either applied when set or taken only with the value it has (a 400 names any other),
/// never "Ok." and dropped.</summary>
internal sealed class QBittorrentPreferences
{
    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;
    private readonly QBittorrentLogin _login;

    public QBittorrentPreferences(TorrentManager torrents, WebServerOptions options, QBittorrentLogin login)
    {
        _torrents = torrents;
        _options = options;
        _login = login;
    }

    /// <summary>One preference: its value here and, for those TorrentLab applies, how a new value is checked and set.
    /// A preference without <see cref="Apply"/> is a feature TorrentLab lacks or a setting made where the server starts;
    /// setPreferences takes it only with the value app/preferences gives.</summary>
    /// <param name="Key">qBittorrent's key.</param>
    /// <param name="Read">Its value here: a bool, a long, a double, a string, or <see cref="EmptyObject"/>.</param>
    /// <param name="Apply">Checks a new value and returns the change to make (made once every key of the request is
    /// checked), or null.</param>
    /// <param name="Why">For a preference not applied, why (the 400's text).</param>
    /// <param name="ApplyAsync">As <paramref name="Apply"/>, for a change that reads a file or a URL (the blocklist) or
    /// saves a store of its own (RSS): made before the others, and undone by itself when it fails.</param>
    internal sealed record Preference(string Key, Func<QBittorrentPreferences, HttpContext, object> Read,
        Func<QBittorrentPreferences, JsonElement, JsonElement, Action>? Apply = null, string? Why = null,
        Func<QBittorrentPreferences, JsonElement, JsonElement, Func<CancellationToken, Task>>? ApplyAsync = null)
    {
        /// <summary>Whether setPreferences applies a new value (else it takes only the value in force).</summary>
        public bool Applied => Apply is not null || ApplyAsync is not null;
    }

    /// <summary>The value of <c>scan_dirs</c>: an empty JSON object.</summary>
    private static readonly object EmptyObject = new();

    private static Preference AsIs(string key, object value, string why = "a feature TorrentLab does not have") =>
        new(key, (_, _) => value, Why: why);

    private static Preference AsIs(string key, Func<QBittorrentPreferences, HttpContext, object> read, string why) => new(key, read, Why: why);

    /// <summary>Every preference of qbittorrent-nox 4.5.2's app/preferences, in its order, and qBittorrent 4.6's three
    /// proxy switches.</summary>
    internal static IReadOnlyList<Preference> All => field ??=
    [
        AsIs("add_trackers", ""), AsIs("add_trackers_enabled", false),
        new("alt_dl_limit", (p, _) => p._torrents.Limits.AltSpeed.DownloadRate ?? 0, (p, v, _) => p.AltLimit(v, download: true)),
        new("alt_up_limit", (p, _) => p._torrents.Limits.AltSpeed.UploadRate ?? 0, (p, v, _) => p.AltLimit(v, download: false)),
        AsIs("alternative_webui_enabled", false), AsIs("alternative_webui_path", ""), AsIs("announce_ip", ""),
        AsIs("announce_to_all_tiers", false, "the engine announces to the first tracker that answers (BEP 12)"),
        AsIs("announce_to_all_trackers", false, "the engine announces to the first tracker that answers (BEP 12)"),
        AsIs("anonymous_mode", false), AsIs("async_io_threads", 0L), AsIs("auto_delete_mode", 0L),
        AsIs("auto_tmm_enabled", false),
        // "Run external program": one setting with serve --on-complete and --on-added and Transmission's scripts.
        new("autorun_enabled", (p, _) => p._torrents.Settings.OnCompleteEnabled == true, (p, v, _) =>
        {
            var on = Flag(v, "autorun_enabled");
            return () => p._torrents.Hooks.Set(onCompleteEnabled: on);
        }),
        new("autorun_on_torrent_added_enabled", (p, _) => p._torrents.Settings.OnAddedEnabled == true, (p, v, _) =>
        {
            var on = Flag(v, "autorun_on_torrent_added_enabled");
            return () => p._torrents.Hooks.Set(onAddedEnabled: on);
        }),
        new("autorun_on_torrent_added_program", (p, _) => p._torrents.Settings.OnAdded ?? "", (p, v, _) =>
        {
            var line = CommandLine(v, "autorun_on_torrent_added_program");
            return () => p._torrents.Hooks.Set(onAdded: line);
        }),
        new("autorun_program", (p, _) => p._torrents.Settings.OnComplete ?? "", (p, v, _) =>
        {
            var line = CommandLine(v, "autorun_program");
            return () => p._torrents.Hooks.Set(onComplete: line);
        }),
        AsIs("banned_IPs", ""),
        AsIs("bittorrent_protocol", 0L, "TCP and uTP are both used (0)"), AsIs("block_peers_on_privileged_ports", false),
        AsIs("bypass_auth_subnet_whitelist", ""), AsIs("bypass_auth_subnet_whitelist_enabled", false),
        AsIs("bypass_local_auth", (p, _) => p._login.Open, "set where the server starts: without a token (on loopback) every request is let in"),
        AsIs("category_changed_tmm_enabled", false), AsIs("checking_memory_use", 0L), AsIs("connection_speed", 0L),
        AsIs("current_interface_address", (p, _) => string.Join(';', p._options.PeerBindAddresses.Where(a => !a.Equals(System.Net.IPAddress.IPv6Any)).Select(a => a.ToString())),
            "set where the server starts (serve --bind)"),
        AsIs("current_network_interface", ""),
        AsIs("dht", (p, _) => p._torrents.Settings.Dht ?? false, "set where the server starts (serve --no-dht)"),
        AsIs("disk_cache", 0L), AsIs("disk_cache_ttl", 0L), AsIs("disk_io_read_mode", 0L), AsIs("disk_io_type", 0L),
        AsIs("disk_io_write_mode", 0L), AsIs("disk_queue_size", 0L),
        new("dl_limit", (p, _) => p._torrents.Limits.Normal.DownloadRate ?? 0, (p, v, _) => p.GlobalLimit(v, download: true)),
        AsIs("dont_count_slow_torrents", false), AsIs("dyndns_domain", ""), AsIs("dyndns_enabled", false), AsIs("dyndns_password", ""),
        AsIs("dyndns_service", 0L), AsIs("dyndns_username", ""), AsIs("embedded_tracker_port", 0L),
        AsIs("embedded_tracker_port_forwarding", false), AsIs("enable_coalesce_read_write", false),
        AsIs("enable_embedded_tracker", false, "the tracker is a program of its own (torrentlab tracker)"),
        AsIs("enable_multi_connections_from_same_ip", true, "peers are told apart by address and port"),
        AsIs("enable_piece_extent_affinity", false), AsIs("enable_upload_suggestions", false),
        AsIs("encryption", (p, _) => p._options.Encryption switch { Wire.EncryptionPolicy.Require => 1L, Wire.EncryptionPolicy.Off => 2L, _ => 0L },
            "set where the server starts (serve --encryption)"),
        AsIs("excluded_file_names", ""), AsIs("excluded_file_names_enabled", false), AsIs("export_dir", ""), AsIs("export_dir_fin", ""),
        AsIs("file_pool_size", 0L), AsIs("hashing_threads", 0L), AsIs("idn_support_enabled", false), AsIs("incomplete_files_ext", false),
        new("ip_filter_enabled", (p, _) => p._torrents.Settings.BlocklistEnabled == true, ApplyAsync: (p, v, all) => p.IpFilter(v, all, path: false)),
        new("ip_filter_path", (p, _) => p._torrents.Settings.Blocklist ?? "", ApplyAsync: (p, v, all) => p.IpFilter(v, all, path: true)),
        AsIs("ip_filter_trackers", false, "the blocklist applies to peers, not to trackers"),
        AsIs("limit_lan_peers", true, "the limits hold for every peer, on the local network too"),
        AsIs("limit_tcp_overhead", false, "the limits count payload, not protocol overhead"),
        AsIs("limit_utp_rate", true, "the limits hold for uTP peers too"),
        AsIs("listen_port", (p, _) => (long)p._torrents.Session.Port, "set where the server starts (serve --peer-port)"),
        AsIs("locale", "en"),
        AsIs("lsd", (p, _) => p._options.Lsd, "set where the server starts (serve --lsd)"),
        AsIs("mail_notification_auth_enabled", false), AsIs("mail_notification_email", ""), AsIs("mail_notification_enabled", false),
        AsIs("mail_notification_password", ""), AsIs("mail_notification_sender", ""), AsIs("mail_notification_smtp", ""),
        AsIs("mail_notification_ssl_enabled", false), AsIs("mail_notification_username", ""), AsIs("max_active_checking_torrents", 0L),
        new("max_active_downloads", (p, _) => (long)(p._torrents.Settings.MaxActiveDownloads ?? 5), (p, v, _) =>
        {
            var n = Whole(v, "max_active_downloads");
            if (n is < 1 or > 1000) throw new WebApiException(400, $"max_active_downloads must be 1..1000 (the queue is always on), got {n}");
            return () => p._torrents.UpdateSettings(new WebSettings(MaxActiveDownloads: (int)n));
        }),
        AsIs("max_active_torrents", -1L, "only downloads are queued: -1"), AsIs("max_active_uploads", -1L, "only downloads are queued: -1"),
        AsIs("max_concurrent_http_announces", 0L),
        AsIs("max_connec", (p, _) => (long)(p._torrents.Settings.MaxConnections ?? -1), "set where the server starts (serve --max-peers)"),
        AsIs("max_connec_per_torrent", (p, _) => (long)p._options.MaxPeers, "a torrent's own limit is Transmission's peer-limit; the default is fixed"),
        new("max_inactive_seeding_time", (p, _) => p._torrents.Settings.SeedIdleMinutes is double i && i > 0 ? (long)i : -1L,
            (p, v, all) => p.SeedLimit(v, all, "max_inactive_seeding_time")),
        new("max_inactive_seeding_time_enabled", (p, _) => p._torrents.Settings.SeedIdleMinutes is > 0,
            (p, v, all) => p.SeedLimitEnabled(v, all, "max_inactive_seeding_time_enabled")),
        new("max_ratio", (p, _) => p._torrents.Settings.SeedRatio is double r && r > 0 ? r : -1.0, (p, v, all) => p.SeedLimit(v, all, "max_ratio")),
        new("max_ratio_act", (p, _) => p._torrents.Settings.SeedLimitAction switch { ShareLimits.Remove => 1L, ShareLimits.RemoveData => 3L, _ => 0L },
            (p, v, _) => p.SeedLimitAction(v)),
        new("max_ratio_enabled", (p, _) => p._torrents.Settings.SeedRatio is > 0, (p, v, all) => p.SeedLimitEnabled(v, all, "max_ratio_enabled")),
        new("max_seeding_time", (p, _) => p._torrents.Settings.SeedMinutes is double m && m > 0 ? (long)m : -1L, (p, v, all) => p.SeedLimit(v, all, "max_seeding_time")),
        new("max_seeding_time_enabled", (p, _) => p._torrents.Settings.SeedMinutes is > 0, (p, v, all) => p.SeedLimitEnabled(v, all, "max_seeding_time_enabled")),
        AsIs("max_uploads", -1L, "no global number of upload slots: -1"), AsIs("max_uploads_per_torrent", 4L, "each torrent unchokes 4 peers (BEP 3's usual number)"),
        AsIs("memory_working_set_limit", 0L), AsIs("outgoing_ports_max", 0L), AsIs("outgoing_ports_min", 0L),
        AsIs("peer_tos", 0L), AsIs("peer_turnover", 0L), AsIs("peer_turnover_cutoff", 0L), AsIs("peer_turnover_interval", 0L),
        AsIs("performance_warning", false), AsIs("pex", true, "PEX (BEP 11) is always on for public torrents"), AsIs("preallocate_all", false),
        // The SOCKS5 proxy serve --proxy sets, under qBittorrent 4.6's keys (the version app/version gives: proxy_type a
        // name, and its three switches); read only, and the password is never sent back.
        AsIs("proxy_auth_enabled", (p, _) => p._options.Proxy?.UserName is not null, ProxyWhy),
        AsIs("proxy_bittorrent", (p, _) => p._options.Proxy is not null, ProxyWhy),
        AsIs("proxy_hostname_lookup", (p, _) => p._options.Proxy is not null, ProxyWhy), // tracker and web seed names go to the proxy
        AsIs("proxy_ip", (p, _) => p._options.Proxy?.Host ?? "", ProxyWhy),
        AsIs("proxy_misc", (p, _) => p._options.Proxy is not null, ProxyWhy),
        AsIs("proxy_password", "", "never sent back; " + ProxyWhy),
        AsIs("proxy_peer_connections", (p, _) => p._options.Proxy is not null, ProxyWhy),
        AsIs("proxy_port", (p, _) => (long)(p._options.Proxy?.Port ?? 8080), ProxyWhy),
        AsIs("proxy_rss", (p, _) => p._options.Proxy is not null, ProxyWhy),
        AsIs("proxy_torrents_only", false, ProxyWhy),
        AsIs("proxy_type", (p, _) => p._options.Proxy is null ? "None" : "SOCKS5", ProxyWhy),
        AsIs("proxy_username", (p, _) => p._options.Proxy?.UserName ?? "", ProxyWhy),
        AsIs("queueing_enabled", true, "the download queue is always on (max_active_downloads sets its size)"),
        AsIs("random_port", false), AsIs("reannounce_when_address_changed", false), AsIs("recheck_completed_torrents", false),
        AsIs("refresh_interval", 1500L, "the interval qBittorrent's own web page polls at"), AsIs("request_queue_size", 0L),
        AsIs("resolve_peer_countries", false, "peers' countries are not looked up (it would mean a database from outside)"),
        AsIs("resume_data_storage_type", ""),
        AsIs("rss_auto_downloading_enabled", true, "rules always apply (turn a rule off instead)"),
        AsIs("rss_download_repack_proper_episodes", false),
        AsIs("rss_max_articles_per_feed", 0L), AsIs("rss_processing_enabled", true, "feeds are always fetched"),
        new("rss_refresh_interval", (p, _) => (long)p._torrents.Rss.RefreshMinutes, ApplyAsync: (p, v, _) =>
        {
            var minutes = Whole(v, "rss_refresh_interval");
            if (minutes is < 1 or > 7 * 24 * 60) throw new WebApiException(400, $"rss_refresh_interval must be 1..10080 minutes, got {minutes}");
            return _ => p._torrents.Rss.SetRefreshMinutesAsync((int)minutes);
        }),
        AsIs("rss_smart_episode_filters", ""),
        AsIs("save_path", (p, _) => p._torrents.Downloads, "the downloads folder is set where the server starts (serve --downloads)"),
        AsIs("save_path_changed_tmm_enabled", false), AsIs("save_resume_data_interval", 0L), AsIs("scan_dirs", EmptyObject),
        new("schedule_from_hour", (p, _) => (long)(p._torrents.Limits.AltSpeed.ScheduleBegin ?? 0) / 60, (p, v, _) => p.ScheduleTime(v, begin: true, hour: true)),
        new("schedule_from_min", (p, _) => (long)(p._torrents.Limits.AltSpeed.ScheduleBegin ?? 0) % 60, (p, v, _) => p.ScheduleTime(v, begin: true, hour: false)),
        new("schedule_to_hour", (p, _) => (long)(p._torrents.Limits.AltSpeed.ScheduleEnd ?? 0) / 60, (p, v, _) => p.ScheduleTime(v, begin: false, hour: true)),
        new("schedule_to_min", (p, _) => (long)(p._torrents.Limits.AltSpeed.ScheduleEnd ?? 0) % 60, (p, v, _) => p.ScheduleTime(v, begin: false, hour: false)),
        new("scheduler_days", (p, _) => (long)SchedulerDaysOf(p._torrents.Limits.AltSpeed.ScheduleDays ?? 127), (p, v, _) =>
        {
            var code = Whole(v, "scheduler_days");
            if (code is < 0 or > 9) throw new WebApiException(400, $"scheduler_days must be 0 (every day), 1 (weekdays), 2 (weekends) or 3..9 (Monday..Sunday), got {code}");
            return () => p._torrents.Limits.UpdateAltSpeed(new AltSpeedSettings(ScheduleDays: DayBits[code]));
        }),
        new("scheduler_enabled", (p, _) => p._torrents.Limits.AltSpeed.ScheduleEnabled == true, (p, v, _) =>
        {
            var on = Flag(v, "scheduler_enabled");
            return () => p._torrents.Limits.UpdateAltSpeed(new AltSpeedSettings(ScheduleEnabled: on));
        }),
        AsIs("send_buffer_low_watermark", 0L), AsIs("send_buffer_watermark", 0L), AsIs("send_buffer_watermark_factor", 0L),
        AsIs("slow_torrent_dl_rate_threshold", 0L), AsIs("slow_torrent_inactive_timer", 0L), AsIs("slow_torrent_ul_rate_threshold", 0L),
        AsIs("socket_backlog_size", 0L), AsIs("ssrf_mitigation", false),
        new("start_paused_enabled", (p, _) => p._torrents.Settings.StartAddedTorrents == false, (p, v, _) =>
        {
            var paused = Flag(v, "start_paused_enabled");
            return () => p._torrents.UpdateSettings(new WebSettings { StartAddedTorrents = !paused });
        }),
        AsIs("stop_tracker_timeout", 3L, "a stopped announce waits 3 s at most"),
        AsIs("temp_path", ""), AsIs("temp_path_enabled", false), AsIs("torrent_changed_tmm_enabled", false),
        AsIs("torrent_content_layout", "Original", "files are laid out as the .torrent gives them"),
        AsIs("torrent_stop_condition", "None"),
        new("up_limit", (p, _) => p._torrents.Limits.Normal.UploadRate ?? 0, (p, v, _) => p.GlobalLimit(v, download: false)),
        AsIs("upload_choking_algorithm", 0L), AsIs("upload_slots_behavior", 0L), AsIs("upnp", (p, _) => p._torrents.Settings.PortMapping is { Count: > 0 },
            "set where the server starts (serve --port-mapping): qBittorrent's one switch for UPnP and NAT-PMP"),
        AsIs("upnp_lease_duration", 0L),
        AsIs("use_category_paths_in_manual_mode", false), AsIs("use_https", false), AsIs("utp_tcp_mixed_mode", 0L),
        AsIs("validate_https_tracker_certificate", true, "HTTPS trackers' certificates are always checked"),
        AsIs("web_ui_address", (p, _) => p._options.Host, "set where the server starts (serve --host)"),
        AsIs("web_ui_ban_duration", (p, _) => (long)p._options.LoginBanDuration.TotalSeconds, "set where the server starts"),
        AsIs("web_ui_clickjacking_protection_enabled", true, "every answer forbids framing"),
        AsIs("web_ui_csrf_protection_enabled", true, "a change from another site is always refused"),
        AsIs("web_ui_custom_http_headers", ""),
        AsIs("web_ui_domain_list", (p, _) => string.Join(';', p._options.AllowedHosts), "set where the server starts (serve --allowed-host)"),
        AsIs("web_ui_host_header_validation_enabled", true, "a request naming another host is always refused (DNS rebinding)"),
        AsIs("web_ui_https_cert_path", ""), AsIs("web_ui_https_key_path", ""),
        AsIs("web_ui_max_auth_fail_count", (p, _) => (long)p._options.MaxLoginFailures, "set where the server starts"),
        AsIs("web_ui_port", (_, c) => (long)c.Connection.LocalPort, "set where the server starts (serve --port)"),
        AsIs("web_ui_reverse_proxies_list", ""), AsIs("web_ui_reverse_proxy_enabled", false),
        AsIs("web_ui_secure_cookie_enabled", false, "the server speaks plain HTTP: its cookie cannot be Secure"),
        AsIs("web_ui_session_timeout", (long)QBittorrentLogin.SessionTimeout.TotalSeconds, "a login lasts an hour without use"),
        AsIs("web_ui_upnp", false), AsIs("web_ui_use_custom_http_headers_enabled", false),
        AsIs("web_ui_username", "", "any user name is taken: the server's token is the password"),
    ];

    private const string ProxyWhy = "the proxy is set where the server starts (serve --proxy, --proxy-only)";

    private static IReadOnlyDictionary<string, Preference> ByKey => field ??= All.ToDictionary(p => p.Key, StringComparer.Ordinal);

    /// <summary>qBittorrent's scheduler_days codes as Transmission's day bits (1 Sunday .. 64 Saturday): 0 every day,
    /// 1 weekdays, 2 weekends, 3 Monday .. 9 Sunday.</summary>
    private static readonly int[] DayBits = [127, 2 | 4 | 8 | 16 | 32, 64 | 1, 2, 4, 8, 16, 32, 64, 1];

    /// <summary>The scheduler_days code of a set of days, or -1 for a set qBittorrent has no code for (Transmission's RPC
    /// can name any set).</summary>
    private static int SchedulerDaysOf(int bits) => Array.IndexOf(DayBits, bits);

    /// <summary>app/preferences: every preference with its value here.</summary>
    public void Write(Utf8JsonWriter w, HttpContext context)
    {
        w.WriteStartObject();
        foreach (var preference in All)
        {
            w.WritePropertyName(preference.Key);
            WriteValue(w, preference.Read(this, context));
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case bool b: w.WriteBooleanValue(b); break;
            case long l: w.WriteNumberValue(l); break;
            case int i: w.WriteNumberValue(i); break;
            case double d: w.WriteNumberValue(d); break;
            case string s: w.WriteStringValue(s); break;
            default: w.WriteStartObject(); w.WriteEndObject(); break; // EmptyObject
        }
    }

    /// <summary>app/setPreferences: <c>json</c>, an object of preferences. Every key is checked before anything changes:
    /// an unknown key, a value of the wrong type, or a new value for a preference TorrentLab does not apply is a 400
    /// naming it (qBittorrent answers 200 and drops what it cannot take).</summary>
    public async Task SetAsync(HttpContext context, QBittorrentInput input)
    {
        var text = input["json"] ?? throw new WebApiException(400, "give 'json': an object of preferences");
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new WebApiException(400, $"json is not JSON: {e.Message}", e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new WebApiException(400, "json must be an object of preferences");
            var changes = new List<Action>();
            var slowChanges = new List<Func<CancellationToken, Task>>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!ByKey.TryGetValue(property.Name, out var preference))
                    throw new WebApiException(400, $"preference '{UntrustedText.Clean(property.Name, 60)}' is not one qBittorrent 4.5 has");
                if (preference.Apply is { } apply) changes.Add(apply(this, property.Value, document.RootElement));
                else if (preference.ApplyAsync is { } applyAsync) slowChanges.Add(applyAsync(this, property.Value, document.RootElement));
                else if (!SameAs(property.Value, preference.Read(this, context)))
                    throw new WebApiException(400, $"preference '{property.Name}' cannot be changed here: {preference.Why} (it is {Shown(preference.Read(this, context))})");
            }
            // The blocklist first: reading it can still fail (a file that is no list), and then it is as before and
            // nothing else has changed; the others cannot fail once checked.
            foreach (var change in slowChanges) await change(context.RequestAborted).ConfigureAwait(false);
            foreach (var change in changes) change();
        }
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>ip_filter_enabled and ip_filter_path: the blocklist's switch and its file (an absolute path on the
    /// server) or http(s) URL, read at once. Both in one request make one change, made by ip_filter_path.</summary>
    private Func<CancellationToken, Task> IpFilter(JsonElement value, JsonElement request, bool path)
    {
        if (!path)
        {
            var on = Flag(value, "ip_filter_enabled");
            if (request.TryGetProperty("ip_filter_path", out _) || on == (_torrents.Settings.BlocklistEnabled == true))
                return _ => Task.CompletedTask; // made with the path, or as it is
            return ct => _torrents.Blocklist.SetAsync(null, on, ct);
        }
        string? source = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new WebApiException(400, "ip_filter_path must be a string");
        if (source.Length > 0 && !ServerBlocklist.IsSource(source))
            throw new WebApiException(400, $"ip_filter_path must be the absolute path of a file on the server or an http(s) URL, got '{UntrustedText.Clean(source, 120)}'");
        bool? enabled = request.TryGetProperty("ip_filter_enabled", out var flag) ? Flag(flag, "ip_filter_enabled") : null;
        if (source == (_torrents.Settings.Blocklist ?? "")) source = null; // unchanged: not read again
        if (enabled == (_torrents.Settings.BlocklistEnabled == true)) enabled = null;
        return ct => source is null && enabled is null ? Task.CompletedTask : _torrents.Blocklist.SetAsync(source, enabled, ct);
    }

    private static string Shown(object value) => value switch
    {
        bool b => b ? "true" : "false",
        string s => $"\"{s}\"",
        long or int or double => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        _ => "{}",
    };

    /// <summary>Whether a value a client sent asks for what holds (numbers as numbers, booleans also as 0/1 or text,
    /// paths with or without a trailing separator, <c>{}</c> for an empty object).</summary>
    private static bool SameAs(JsonElement given, object now) => now switch
    {
        bool b => ApiParameter.BoolOf(given) == b,
        long or int or double => NumberOf(given) is { } n && n == Convert.ToDouble(now, CultureInfo.InvariantCulture),
        string s => given.ValueKind == JsonValueKind.String && (given.GetString() == s
            || (s.Length > 0 && Path.TrimEndingDirectorySeparator(given.GetString()!) == Path.TrimEndingDirectorySeparator(s))),
        _ => given.ValueKind == JsonValueKind.Object && !given.EnumerateObject().Any(),
    };

    private static double? NumberOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDouble(out var d) && double.IsFinite(d) => d,
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        _ => null,
    };

    /// <summary>A program's command line ("" none), checked: it splits (quotes closed) and names a program.</summary>
    private static string CommandLine(JsonElement value, string key)
    {
        var line = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new WebApiException(400, $"{key} must be a string");
        if (line.Length > 0 && HookCommandLine.Problem(line) is { } problem) throw new WebApiException(400, $"{key}: {problem}");
        return line;
    }

    private static bool Flag(JsonElement value, string key) =>
        ApiParameter.BoolOf(value) ?? throw new WebApiException(400, $"{key} must be true or false, got {value.GetRawText()}");

    private static long Whole(JsonElement value, string key) =>
        NumberOf(value) is { } d && d == Math.Floor(d) && Math.Abs(d) < 1e15 ? (long)d
            : throw new WebApiException(400, $"{key} must be a whole number, got {UntrustedText.Clean(value.GetRawText(), 40)}");

    /// <summary>dl_limit and up_limit: the normal global limits in bytes per second; 0 or -1 unlimited.</summary>
    private Action GlobalLimit(JsonElement value, bool download)
    {
        var limit = Whole(value, download ? "dl_limit" : "up_limit");
        if (limit < -1) throw new WebApiException(400, $"{(download ? "dl_limit" : "up_limit")} must be bytes per second, 0 or -1 for unlimited, got {limit}");
        var bytes = Math.Max(0, limit);
        return () => _torrents.Limits.SetNormal(download ? bytes : null, download ? null : bytes);
    }

    /// <summary>alt_dl_limit and alt_up_limit: the alternative limits in bytes per second; 0 or -1 unlimited, as in
    /// qBittorrent (Transmission's turtle mode cannot be unlimited: its RPC refuses 0).</summary>
    private Action AltLimit(JsonElement value, bool download)
    {
        var limit = Whole(value, download ? "alt_dl_limit" : "alt_up_limit");
        if (limit < -1) throw new WebApiException(400, $"{(download ? "alt_dl_limit" : "alt_up_limit")} must be bytes per second, 0 or -1 for unlimited, got {limit}");
        var bytes = Math.Max(0, limit);
        return () => _torrents.Limits.UpdateAltSpeed(download ? new AltSpeedSettings(DownloadRate: bytes) : new AltSpeedSettings(UploadRate: bytes));
    }

    /// <summary>schedule_from_hour/min and schedule_to_hour/min: one half of the alternative limits' begin or end.</summary>
    private Action ScheduleTime(JsonElement value, bool begin, bool hour)
    {
        var key = $"schedule_{(begin ? "from" : "to")}_{(hour ? "hour" : "min")}";
        var n = Whole(value, key);
        if (n < 0 || n > (hour ? 23 : 59)) throw new WebApiException(400, $"{key} must be 0..{(hour ? 23 : 59)}, got {n}");
        return () =>
        {
            var alt = _torrents.Limits.AltSpeed;
            var minutes = (begin ? alt.ScheduleBegin : alt.ScheduleEnd) ?? 0;
            minutes = hour ? (int)n * 60 + minutes % 60 : minutes / 60 * 60 + (int)n;
            _torrents.Limits.UpdateAltSpeed(begin ? new AltSpeedSettings(ScheduleBegin: minutes) : new AltSpeedSettings(ScheduleEnd: minutes));
        };
    }

    /// <summary>max_ratio (-1 none, else the ratio at which seeding stops), max_seeding_time and
    /// max_inactive_seeding_time (minutes, -1 none), the server's defaults. A limit of 0 means "do not seed" in
    /// qBittorrent, which the default cannot say (0 there is no limit): start the server without --seed instead, or
    /// give torrents their own (torrents/setShareLimits). The default is kept only while it is on: with its
    /// <c>_enabled</c> false in the same request, only -1 is taken.</summary>
    private Action SeedLimit(JsonElement value, JsonElement request, string key)
    {
        var n = NumberOf(value) ?? throw new WebApiException(400, $"{key} must be a number, got {UntrustedText.Clean(value.GetRawText(), 40)}");
        if (n is < 0 and not -1) throw new WebApiException(400, $"{key} must be -1 (no limit) or more than 0, got {n}");
        if (n == 0) throw new WebApiException(400, $"{key} 0 means no seeding at all in qBittorrent, which the server's default cannot say here: start the server without --seed, or give each torrent 0 with torrents/setShareLimits");
        if (n > 0 && request.TryGetProperty(key + "_enabled", out var enabled) && ApiParameter.BoolOf(enabled) == false)
            throw new WebApiException(400, $"{key} {n} with {key}_enabled false: no default limit is kept while it is off here; give {key} -1 or leave it out");
        var limit = n < 0 ? 0 : n; // 0: none, in the server's settings
        return () => _torrents.UpdateSettings(DefaultLimit(key, limit));
    }

    /// <summary>max_ratio_enabled, max_seeding_time_enabled and max_inactive_seeding_time_enabled: false removes the
    /// default limit; true keeps the one set, or takes the one the limit's key gives in the same request.</summary>
    private Action SeedLimitEnabled(JsonElement value, JsonElement request, string key)
    {
        var on = Flag(value, key);
        var limitKey = key[..^"_enabled".Length];
        var given = request.TryGetProperty(limitKey, out var v) ? NumberOf(v) : null;
        var current = limitKey switch
        {
            "max_ratio" => _torrents.Settings.SeedRatio,
            "max_seeding_time" => _torrents.Settings.SeedMinutes,
            _ => _torrents.Settings.SeedIdleMinutes,
        };
        if (on && given is not > 0 && current is not > 0)
            throw new WebApiException(400, $"{key} true needs a limit: give {limitKey} (more than 0) in the same request");
        if (on || given is > 0) return () => { }; // the limit in force, or the one the limit's key sets
        return () => _torrents.UpdateSettings(DefaultLimit(limitKey, 0));
    }

    /// <summary>The settings update that makes <paramref name="limit"/> (0: none) the default of a max_* key.</summary>
    private static WebSettings DefaultLimit(string key, double limit) => key switch
    {
        "max_ratio" => new WebSettings(SeedRatio: limit),
        "max_seeding_time" => new WebSettings(SeedMinutes: limit),
        _ => new WebSettings { SeedIdleMinutes = limit },
    };

    /// <summary>max_ratio_act: what happens to a torrent that reaches a share limit: 0 it is paused (stopped, kept in the
    /// list), 1 removed, 3 removed with its files. 2 (super-seeding from then on) is refused: a torrent here stops
    /// seeding at its limit, it does not seed on in another mode.</summary>
    private Action SeedLimitAction(JsonElement value)
    {
        var n = NumberOf(value);
        var action = n switch
        {
            0 => ShareLimits.Pause,
            1 => ShareLimits.Remove,
            3 => ShareLimits.RemoveData,
            2 => throw new WebApiException(400, "max_ratio_act 2 (enable super seeding) is not supported: a torrent stops seeding at its share limit here; give 0 (pause), 1 (remove) or 3 (remove with its files)"),
            _ => throw new WebApiException(400, $"max_ratio_act must be 0 (pause), 1 (remove) or 3 (remove with its files), got {UntrustedText.Clean(value.GetRawText(), 20)}"),
        };
        return () => _torrents.UpdateSettings(new WebSettings { SeedLimitAction = action });
    }
}
