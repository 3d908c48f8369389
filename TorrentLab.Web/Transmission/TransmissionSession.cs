using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>Transmission's session methods (rpc-spec 4) over this server's settings: session-get, session-set (each of
/// its arguments applied or refused), session-stats, free-space, port-test and the blocklist's.</summary>
/// <param name="torrents">The torrents and the settings the session methods read and change.</param>
/// <param name="options">The server's options (its peer limit and encryption, which session-get answers).</param>
/// <param name="sessionId">The RPC's session id, which session-get answers as <c>session-id</c>.</param>
internal sealed partial class TransmissionSession(TorrentManager torrents, WebServerOptions options, string sessionId)
{
    /// <summary>rpc-spec 5: Transmission 4.0 speaks rpc-version 17 and answers clients of 14 and later.</summary>
    private const int RpcVersion = 17;
    private const int RpcVersionMinimum = 14;

    private static readonly string Version = $"4.0.0 (TorrentLab {typeof(TransmissionSession).Assembly.GetName().Version?.ToString(3) ?? "0"})";

    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    /// <summary>rpc-spec 4.1.1: the session's settings, every key or those named in <c>fields</c>. Keys of features
    /// TorrentLab lacks (incomplete folder, the done-seeding script) say they are off.</summary>
    public void Write(JsonElement args, Utf8JsonWriter w)
    {
        var fields = TransmissionArguments.Strings(args, "fields")?.ToHashSet(StringComparer.Ordinal);
        var settings = torrents.Settings;
        var down = torrents.Limits.Normal.DownloadRate ?? 0;
        var up = torrents.Limits.Normal.UploadRate ?? 0;
        var alt = torrents.Limits.AltSpeed;
        bool Wants(string key) => fields is null || fields.Contains(key);
        void Number(string key, long value) { if (Wants(key)) w.WriteNumber(key, value); }
        void Real(string key, double value) { if (Wants(key)) w.WriteNumber(key, value); }
        void Bool(string key, bool value) { if (Wants(key)) w.WriteBoolean(key, value); }
        void Text(string key, string value) { if (Wants(key)) w.WriteString(key, value); }

        Number("rpc-version", RpcVersion);
        Number("rpc-version-minimum", RpcVersionMinimum);
        Text("rpc-version-semver", "5.3.0"); // Transmission 4.0's
        Text("version", Version);
        Text("session-id", sessionId);
        Text("download-dir", torrents.Downloads);
        Number("download-dir-free-space", FreeSpace(torrents.Downloads)); // removed in rpc-version 17, still read by older clients
        Text("config-dir", System.IO.Path.Combine(torrents.Downloads, TorrentLab.Client.TorrentClient.StateFolder));
        Bool("start-added-torrents", settings.StartAddedTorrents ?? true);
        Number("speed-limit-down", down / TransmissionRpc.SpeedUnit);
        Bool("speed-limit-down-enabled", down > 0);
        Number("speed-limit-up", up / TransmissionRpc.SpeedUnit);
        Bool("speed-limit-up-enabled", up > 0);
        Bool("download-queue-enabled", true);
        Number("download-queue-size", settings.MaxActiveDownloads ?? 5);
        Bool("seed-queue-enabled", false);
        Number("seed-queue-size", 10);
        Bool("queue-stalled-enabled", false);
        Number("queue-stalled-minutes", 30);
        Real("seedRatioLimit", settings.SeedRatio ?? 2.0);
        Bool("seedRatioLimited", settings.SeedRatio is > 0);
        Number("idle-seeding-limit", (long)(settings.SeedIdleMinutes ?? DefaultIdleMinutes));
        Bool("idle-seeding-limit-enabled", settings.SeedIdleMinutes is > 0);
        Number("peer-port", torrents.Session.Port);
        Bool("peer-port-random-on-start", false);
        Bool("port-forwarding-enabled", settings.PortMapping is { Count: > 0 });
        Number("peer-limit-global", settings.MaxConnections ?? 0);
        Number("peer-limit-per-torrent", options.MaxPeers);
        Bool("dht-enabled", settings.Dht ?? false);
        Bool("pex-enabled", true);
        Bool("lpd-enabled", false);
        Bool("utp-enabled", true);
        Text("encryption", options.Encryption switch { EncryptionPolicy.Require => "required", EncryptionPolicy.Off => "tolerated", _ => "preferred" });
        Bool("alt-speed-enabled", alt.Active == true); // Transmission turns it on and off by the schedule too
        Number("alt-speed-down", (alt.DownloadRate ?? 0) / TransmissionRpc.SpeedUnit);
        Number("alt-speed-up", (alt.UploadRate ?? 0) / TransmissionRpc.SpeedUnit);
        Bool("alt-speed-time-enabled", alt.ScheduleEnabled == true);
        Number("alt-speed-time-begin", alt.ScheduleBegin ?? 0);
        Number("alt-speed-time-end", alt.ScheduleEnd ?? 0);
        Number("alt-speed-time-day", alt.ScheduleDays ?? 0);
        Bool("blocklist-enabled", settings.BlocklistEnabled == true);
        Number("blocklist-size", torrents.Blocklist.Size);
        Text("blocklist-url", settings.Blocklist ?? "");
        Number("cache-size-mb", 4);
        Text("incomplete-dir", torrents.Downloads);
        Bool("incomplete-dir-enabled", false);
        Bool("rename-partial-files", false);
        // The hooks' programs (serve --on-added, --on-complete, qBittorrent's autorun_*): a script's path, or the
        // command line when it has arguments.
        Bool("script-torrent-added-enabled", settings.OnAddedEnabled == true);
        Text("script-torrent-added-filename", ScriptName(settings.OnAdded));
        Bool("script-torrent-done-enabled", settings.OnCompleteEnabled == true);
        Text("script-torrent-done-filename", ScriptName(settings.OnComplete));
        Bool("script-torrent-done-seeding-enabled", false);
        Text("script-torrent-done-seeding-filename", "");
        Bool("trash-original-torrent-files", false);
        Text("default-trackers", "");
        if (Wants("units"))
        {
            w.WriteStartObject("units");
            Units(w, "speed-units", ["kB/s", "MB/s", "GB/s", "TB/s"], "speed-bytes", TransmissionRpc.SpeedUnit);
            Units(w, "size-units", ["kB", "MB", "GB", "TB"], "size-bytes", 1000);
            Units(w, "memory-units", ["KiB", "MiB", "GiB", "TiB"], "memory-bytes", 1024);
            w.WriteEndObject();
        }
    }

    private static void Units(Utf8JsonWriter w, string key, string[] names, string bytesKey, int bytes)
    {
        w.WriteStartArray(key);
        foreach (var name in names) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteNumber(bytesKey, bytes);
    }

    /// <summary>Transmission's default idle seeding limit, in minutes: what session-get shows while none is set.</summary>
    internal const int DefaultIdleMinutes = 30;

    /// <summary>rpc-spec 4.1.2: the settings TorrentLab has (global limits, turtle mode, queue size, seed ratio, whether
    /// added torrents start); every other key of session-get is taken only with the value it has
    /// (<see cref="Arguments"/>), and any other refuses the whole request before anything changes; then the blocklist's.</summary>
    public async Task SetAsync(JsonElement args, CancellationToken ct)
    {
        CheckBlocklist(args);
        Set(args);
        await SetBlocklistAsync(args, ct).ConfigureAwait(false);
    }

    private void Set(JsonElement args)
    {
        RequireAsItIs(args);
        var down = TransmissionRpc.Limit(args, "speed-limit-down", "speed-limit-down-enabled", torrents.Limits.Normal.DownloadRate > 0);
        var up = TransmissionRpc.Limit(args, "speed-limit-up", "speed-limit-up-enabled", torrents.Limits.Normal.UploadRate > 0);
        var queue = TransmissionArguments.Long(args, "download-queue-size");
        var ratio = TransmissionArguments.Double(args, "seedRatioLimit");
        var limited = TransmissionArguments.Bool(args, "seedRatioLimited");
        var start = TransmissionArguments.Bool(args, "start-added-torrents");
        var idle = TransmissionArguments.Long(args, "idle-seeding-limit");
        var idleOn = TransmissionArguments.Bool(args, "idle-seeding-limit-enabled");
        if (idle is < 1 or > ushort.MaxValue) throw TransmissionRpc.Unsupported($"idle-seeding-limit must be 1..{ushort.MaxValue} minutes, got {idle}");
        if (queue is < 1 or > 1000) throw TransmissionRpc.Unsupported($"download-queue-size must be 1..1000, got {queue}");
        if (ratio is < 0) throw TransmissionRpc.Unsupported($"seedRatioLimit must be 0 or more, got {ratio}");
        // Transmission stops a torrent at once when its ratio limit is 0; TorrentLab's default ratio of 0 means none.
        if (ratio == 0 && (limited == true || (limited is null && torrents.Settings.SeedRatio is > 0)))
            throw TransmissionRpc.Unsupported("seedRatioLimit 0 means no seeding at all in Transmission, which the session's default ratio cannot say here: start the server without --seed, or give each torrent seedRatioLimit 0 with torrent-set");

        var altDown = TransmissionArguments.Long(args, "alt-speed-down");
        var altUp = TransmissionArguments.Long(args, "alt-speed-up");
        if (altDown is < 0 || altUp is < 0) throw TransmissionRpc.Unsupported($"alt-speed-down and alt-speed-up must be 0 or more kB/s, got {altDown ?? altUp}");
        // Transmission's alternative limits are always on while turtle mode is: 0 there means no transfer at all.
        if (altDown == 0 || altUp == 0)
            throw TransmissionRpc.Unsupported("alt-speed-down or alt-speed-up 0 means no transfer at all in turtle mode in Transmission, which TorrentLab's limits cannot do: give at least 1 kB/s");
        var alt = new AltSpeedSettings(TransmissionArguments.Bool(args, "alt-speed-enabled"), altDown * TransmissionRpc.SpeedUnit, altUp * TransmissionRpc.SpeedUnit,
            TransmissionArguments.Bool(args, "alt-speed-time-enabled"), (int?)TransmissionArguments.Long(args, "alt-speed-time-begin"),
            (int?)TransmissionArguments.Long(args, "alt-speed-time-end"), (int?)TransmissionArguments.Long(args, "alt-speed-time-day"));
        try
        {
            if (alt != new AltSpeedSettings()) torrents.Limits.UpdateAltSpeed(alt);
        }
        catch (WebApiException e) { throw TransmissionRpc.Unsupported(e.Message); }
        if (down is not null || up is not null) torrents.Limits.SetNormal(down, up);
        double? seedRatio = limited == false ? 0 : ratio is { } r && (limited == true || torrents.Settings.SeedRatio is not null) ? r : null;
        if (queue is not null || seedRatio is not null) torrents.UpdateSettings(new WebSettings((int?)queue, SeedRatio: seedRatio));
        // As the ratio: off clears the default (0); a limit counts when it is turned on, or is on already; on alone takes
        // the limit session-get shows (Transmission's default of 30 minutes while none was set).
        double? idleMinutes = idleOn == false ? 0
            : idle is { } i && (idleOn == true || torrents.Settings.SeedIdleMinutes is not null) ? i
            : idleOn == true && torrents.Settings.SeedIdleMinutes is null ? DefaultIdleMinutes : null;
        if (idleMinutes is not null) torrents.UpdateSettings(new WebSettings { SeedIdleMinutes = idleMinutes });
        if (start is { } s) torrents.UpdateSettings(new WebSettings { StartAddedTorrents = s });
        SetScripts(args);
    }

    /// <summary>A hook's command line as Transmission names a script: the path alone when it is one word.</summary>
    private static string ScriptName(string? commandLine) =>
        commandLine is null ? "" : HookCommandLine.SingleWord(commandLine) ?? commandLine;

    /// <summary>session-set's <c>script-torrent-added-*</c> and <c>script-torrent-done-*</c>: a script's path (run
    /// as it is, no shell, with Transmission's TR_* variables) and whether it runs; one setting with qBittorrent's
    /// autorun_* and serve's --on-added and --on-complete.</summary>
    private void SetScripts(JsonElement args)
    {
        string? Script(string key) => TransmissionArguments.String(args, key) is { } path
            ? path.Length == 0 ? "" : path == ScriptName(key.Contains("added", StringComparison.Ordinal) ? torrents.Settings.OnAdded : torrents.Settings.OnComplete)
                ? null : HookCommandLine.Quote(path) // the same name sent back keeps a command line with arguments
            : null;
        var added = Script("script-torrent-added-filename");
        var done = Script("script-torrent-done-filename");
        var addedOn = TransmissionArguments.Bool(args, "script-torrent-added-enabled");
        var doneOn = TransmissionArguments.Bool(args, "script-torrent-done-enabled");
        if (added is not null || done is not null || addedOn is not null || doneOn is not null)
            torrents.Hooks.Set(onAdded: added, onAddedEnabled: addedOn, onComplete: done, onCompleteEnabled: doneOn);
    }

    /// <summary>rpc-spec 4.2: rates and counts now; the cumulative figures are those of the torrents in the list.</summary>
    public void WriteStats(Utf8JsonWriter w)
    {
        var listed = torrents.All;
        var all = listed.Select(t => t.Summary()).ToArray();
        w.WriteNumber("activeTorrentCount", all.Count(t => t.State is "downloading" or "seeding" or "checking"));
        w.WriteNumber("pausedTorrentCount", all.Count(t => t.State is "paused" or "completed" or "failed"));
        w.WriteNumber("torrentCount", all.Length);
        w.WriteNumber("downloadSpeed", (long)all.Sum(t => t.DownloadRate));
        w.WriteNumber("uploadSpeed", (long)all.Sum(t => t.UploadRate));
        foreach (var key in (string[])["cumulative-stats", "current-stats"])
        {
            w.WriteStartObject(key);
            w.WriteNumber("uploadedBytes", all.Sum(t => t.Uploaded));
            // Downloaded, not held (downloadedEver's sum): over every run, or since this server loaded them.
            w.WriteNumber("downloadedBytes", key == "current-stats" ? listed.Sum(t => t.DownloadedThisSession) : listed.Sum(t => t.Downloaded));
            w.WriteNumber("filesAdded", all.Length);
            w.WriteNumber("sessionCount", 1);
            w.WriteNumber("secondsActive", (long)(DateTimeOffset.UtcNow - _started).TotalSeconds);
            w.WriteEndObject();
        }
    }

    /// <summary>rpc-spec 4.8: free space where downloads go; only the downloads folder (or a folder inside it) is
    /// answered, so the RPC tells nothing about the rest of the server's disks.</summary>
    public void WriteFreeSpace(JsonElement args, Utf8JsonWriter w)
    {
        var path = TransmissionArguments.String(args, "path") ?? throw TransmissionRpc.Unsupported("free-space needs 'path'");
        var full = System.IO.Path.GetFullPath(path);
        var downloads = System.IO.Path.TrimEndingDirectorySeparator(torrents.Downloads);
        if (full != downloads && !full.StartsWith(downloads + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw TransmissionRpc.Unsupported("free-space answers for the downloads folder (session-get's download-dir) only");
        if (!Directory.Exists(full)) throw TransmissionRpc.Unsupported("free-space: no such folder");
        w.WriteString("path", path);
        w.WriteNumber("size-bytes", FreeSpace(full));
        w.WriteNumber("total_size", new DriveInfo(full).TotalSize);
    }

    private static long FreeSpace(string folder)
    {
        try { return new DriveInfo(folder).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return -1; } // -1: not known, as Transmission
    }

    /// <summary>rpc-spec 4.4: Transmission asks a web service whether the port is reachable from the internet; this
    /// server contacts nothing outside, so it answers whether the peer port accepts a connection on loopback.</summary>
    public async Task PortTestAsync(Utf8JsonWriter w, CancellationToken ct)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(5)); // a local connect answers at once; this only bounds a wedged stack
        bool open;
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, torrents.Session.Port, limit.Token).ConfigureAwait(false);
            open = true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            open = false;
        }
        w.WriteBoolean("port-is-open", open);
        w.WriteString("ip_protocol", "ipv4");
    }

    // The blocklist: rpc-spec 4.4's blocklist-update, and session-get/set's blocklist-enabled, blocklist-url, blocklist-size.

    /// <summary>rpc-spec 4.4: reads the list again from <c>blocklist-url</c> and answers its size.</summary>
    public async Task UpdateBlocklistAsync(Utf8JsonWriter w, CancellationToken ct)
    {
        var read = await torrents.Blocklist.UpdateAsync(ct).ConfigureAwait(false);
        w.WriteNumber("blocklist-size", read.Ranges);
    }

    /// <summary>Refuses a <c>blocklist-url</c> that is neither an http(s) URL nor an absolute path, before session-set
    /// applies anything.</summary>
    private static void CheckBlocklist(JsonElement args)
    {
        if (TransmissionArguments.String(args, "blocklist-url") is { Length: > 0 } url && !ServerBlocklist.IsSource(url))
            throw TransmissionRpc.Unsupported($"blocklist-url must be an http(s) URL or the absolute path of a file on the server, got '{UntrustedText.Clean(url, 120)}'");
    }

    /// <summary>session-set's <c>blocklist-url</c> (an http(s) URL, or a file's absolute path on the server; read at
    /// once, so a list that cannot be read is refused) and <c>blocklist-enabled</c>.</summary>
    private async Task SetBlocklistAsync(JsonElement args, CancellationToken ct)
    {
        var url = TransmissionArguments.String(args, "blocklist-url");
        var enabled = TransmissionArguments.Bool(args, "blocklist-enabled");
        if (url is null && enabled is null) return;
        if (url == (torrents.Settings.Blocklist ?? "") && enabled is null) return; // a dialog sent back as it is
        await torrents.Blocklist.SetAsync(url, enabled, ct).ConfigureAwait(false);
    }
}
