using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>Reloads the saved settings while the server runs (SIGHUP, <c>systemctl reload</c>), as transmission-daemon
/// reloads its settings.json: edit the <c>settings</c> of <c>torrents.json</c>, then send the signal.</summary>
/// <remarks>Live: the queue size, the seeding defaults, the blocklist (its source and switch; the list is read again
/// from its source, as Transmission reads its blocklists again), the watch folder, the hooks. At the next start: the peer port,
/// the DHT and its bootstrap nodes, the connection limit (the session is bound with them). The server writes the file
/// from what it holds at each change and at stop, as Transmission does: send the signal right after an edit.</remarks>
/// <param name="torrents">The list whose settings change.</param>
/// <param name="store">Where the settings are saved.</param>
/// <param name="configuredPeerPort">The peer port the session was asked to bind.</param>
internal sealed class SettingsReload(TorrentManager torrents, TorrentListStore store, int? configuredPeerPort)
{
    /// <summary>Reads the saved settings again and applies what can change live.</summary>
    /// <returns>One line per change, and one per setting that waits for the next start; a warning when the file
    /// cannot be read or a value is refused (the rest is applied).</returns>
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken ct)
    {
        WebSettings? saved;
        try { saved = store.ReadSettings(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [$"warning: reload: {store.ListPath} cannot be read ({e.Message}); nothing changed"];
        }
        if (saved is null) return [$"reload: {store.ListPath} holds no settings; nothing changed"];
        var lines = new List<string>();
        var now = torrents.Settings;
        void Note(string line) => lines.Add("reload: " + line);
        try
        {
            var queue = new WebSettings(
                saved.MaxActiveDownloads != now.MaxActiveDownloads ? saved.MaxActiveDownloads : null,
                saved.SeedAfterDownload != now.SeedAfterDownload ? saved.SeedAfterDownload : null,
                saved.SeedRatio != now.SeedRatio ? saved.SeedRatio ?? 0 : null,
                saved.SeedMinutes != now.SeedMinutes ? saved.SeedMinutes ?? 0 : null)
            {
                KeepFree = saved.KeepFree is { } keep && keep != now.KeepFree ? keep : null,
            };
            if (queue != new WebSettings())
            {
                var after = torrents.UpdateSettings(queue);
                Note($"queue and seeding defaults: max active {after.MaxActiveDownloads}, seed {after.SeedAfterDownload}, ratio {after.SeedRatio?.ToString() ?? "none"}, minutes {after.SeedMinutes?.ToString() ?? "none"}, keep free {after.KeepFree} bytes");
            }
        }
        catch (WebApiException e) { lines.Add($"warning: reload: queue and seeding defaults: {e.Message}"); }
        try
        {
            var enabled = saved.BlocklistEnabled == true;
            if (saved.Blocklist != now.Blocklist || enabled != (now.BlocklistEnabled == true))
            {
                await torrents.Blocklist.SetAsync(saved.Blocklist ?? "", enabled, ct).ConfigureAwait(false);
                Note($"blocklist {(enabled ? "on" : "off")}{(saved.Blocklist is { } s ? $": {ServerBlocklist.ShownSource(s)}, {torrents.Blocklist.List.RangeCount} ranges" : "")}");
            }
            else if (enabled && saved.Blocklist is not null)
                Note($"blocklist read again: {await torrents.Blocklist.UpdateAsync(ct).ConfigureAwait(false)}");
        }
        catch (WebApiException e) { lines.Add($"warning: reload: blocklist: {e.Message}; the list in force stays"); }
        try
        {
            if (saved.BanClients is { } rules && !rules.SequenceEqual(now.BanClients ?? []))
            {
                torrents.SetBanClients(rules);
                Note($"client ban rules: {(rules.Count == 0 ? "none" : string.Join(", ", rules))}");
            }
        }
        catch (WebApiException e) { lines.Add($"warning: reload: client ban rules: {e.Message}; the rules in force stay"); }
        lines.AddRange(torrents.Watch.Reload(saved));
        lines.AddRange(torrents.Hooks.Reload(saved));
        foreach (var (name, changed) in new[]
        {
            ("peer port", saved.PeerPort is { } port && port != configuredPeerPort),
            ("DHT", saved.Dht is { } dht && dht != now.Dht),
            ("DHT bootstrap nodes", saved.DhtBootstrap is { } nodes && now.DhtBootstrap is { } held && !nodes.SequenceEqual(held)),
            ("connection limit", saved.MaxConnections is { } max && max != now.MaxConnections),
        })
            if (changed) Note($"{name} changed in the file: takes effect at the next start (the session is bound with it)");
        if (lines.Count == 0) Note("no setting changed");
        return lines;
    }
}
