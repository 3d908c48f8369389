using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

// app/setPreferences: json={...}, each key applied or the whole request refused (what we accept, we honour).
internal sealed partial class QBittorrentApi
{
    /// <summary>The preferences app/setPreferences applies, each with what it does here.</summary>
    internal static readonly IReadOnlyDictionary<string, string> SettablePreferences = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ip_filter_enabled"] = "the blocklist on or off: no peer in its ranges is dialled or accepted",
        ["ip_filter_path"] = "the blocklist's file on the server (an absolute path; .p2p, .dat or CIDR lines, plain or gzip) or an http(s) URL, read at once",
        ["ip_filter_trackers"] = "false only: the blocklist applies to peers, not to trackers",
        ["rss_refresh_interval"] = "minutes between two fetches of every RSS feed, 1..10080",
        ["rss_processing_enabled"] = "true only: feeds are always fetched",
        ["rss_auto_downloading_enabled"] = "true only: rules always apply (turn a rule off instead)",
    };

    /// <summary>app/setPreferences: <c>json</c> holds the preferences to change. Every key must be one this server
    /// applies (<see cref="SettablePreferences"/>); any other refuses the whole request with 400 before anything
    /// changes.</summary>
    private async Task SetPreferencesAsync(HttpContext context, QBittorrentInput input)
    {
        var text = input["json"] ?? throw new WebApiException(400, "give 'json': an object of the preferences to change");
        JsonElement json;
        try { json = JsonDocument.Parse(text).RootElement; }
        catch (JsonException e) { throw new WebApiException(400, $"'json' is not JSON: {e.Message}"); }
        if (json.ValueKind != JsonValueKind.Object) throw new WebApiException(400, "'json' must be an object of preferences");
        foreach (var property in json.EnumerateObject())
            if (!SettablePreferences.ContainsKey(property.Name))
                throw new WebApiException(400, $"preference '{UntrustedText.Clean(property.Name, 40)}' is not supported by TorrentLab (docs/web.md lists those it applies)");

        bool? enabled = json.TryGetProperty("ip_filter_enabled", out var on) ? Boolean(on, "ip_filter_enabled") : null;
        if (json.TryGetProperty("ip_filter_trackers", out var trackers) && Boolean(trackers, "ip_filter_trackers"))
            throw new WebApiException(400, "ip_filter_trackers: the blocklist applies to peers only, never to trackers: only false is taken");
        string? path = null;
        if (json.TryGetProperty("ip_filter_path", out var given))
        {
            path = given.ValueKind == JsonValueKind.String ? given.GetString()! : throw new WebApiException(400, "ip_filter_path must be a string");
            if (path.Length > 0 && !TorrentManager.IsBlocklistSource(path))
                throw new WebApiException(400, $"ip_filter_path must be the absolute path of a file on the server or an http(s) URL, got '{UntrustedText.Clean(path, 120)}'");
            if (path == (_torrents.Settings.Blocklist ?? "")) path = null; // unchanged: not read again
        }
        foreach (var always in new[] { "rss_processing_enabled", "rss_auto_downloading_enabled" })
            if (json.TryGetProperty(always, out var flag) && !Boolean(flag, always)) throw new WebApiException(400, $"{always}: only true is taken ({SettablePreferences[always]})");
        int? refresh = json.TryGetProperty("rss_refresh_interval", out var minutes)
            ? minutes.TryGetInt32(out var m) && m is >= 1 and <= 7 * 24 * 60 ? m : throw new WebApiException(400, "rss_refresh_interval must be 1..10080 minutes")
            : null;
        if (path is not null || enabled is not null) await _torrents.SetBlocklistAsync(path, enabled, context.RequestAborted).ConfigureAwait(false);
        if (refresh is { } interval) await _torrents.Rss.SetRefreshMinutesAsync(interval).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    private static bool Boolean(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new WebApiException(400, $"{name} must be true or false"),
    };

    /// <summary>The blocklist's and RSS's preferences, as app/preferences names them.</summary>
    private void WriteIpFilter(Utf8JsonWriter w)
    {
        var settings = _torrents.Settings;
        w.WriteBoolean("ip_filter_enabled", settings.BlocklistEnabled == true);
        w.WriteString("ip_filter_path", settings.Blocklist ?? "");
        w.WriteBoolean("ip_filter_trackers", false);
        w.WriteNumber("rss_refresh_interval", _torrents.Rss.RefreshMinutes);
        w.WriteBoolean("rss_processing_enabled", true);
        w.WriteBoolean("rss_auto_downloading_enabled", true);
    }
}
