namespace TorrentLab.Web;

/// <summary>The settings in force (<see cref="ServerSettings"/>): their change through the APIs, and their reload from
/// the saved file (<see cref="SettingsReload"/>).</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The settings in force: queue size and seeding defaults, every field set.</summary>
    public WebSettings Settings => _settings.Current;

    /// <summary>Changes the fields <paramref name="update"/> sets (0 clears a seeding limit), saves them, and starts
    /// queued downloads when the queue grew.</summary>
    /// <exception cref="WebApiException">400: a value out of range.</exception>
    public WebSettings UpdateSettings(WebSettings update)
    {
        var before = Settings;
        _settings.Update(update);
        Save();
        Queue.Pump();
        var now = Settings;
        if ((now.SeedAfterDownload, now.SeedRatio, now.SeedMinutes, now.SeedIdleMinutes) != (before.SeedAfterDownload, before.SeedRatio, before.SeedMinutes, before.SeedIdleMinutes))
            foreach (var torrent in All.Where(t => t.IsRunning)) SeedLimits.ApplySoon(torrent); // new defaults reach running torrents, peers kept
        return now;
    }

    /// <summary>The client ban rules the session reads at each handshake (<see cref="WebSettings.BanClients"/>).</summary>
    public TorrentLab.Downloads.ClientBanList ClientBans { get; } = new();

    /// <summary>Replaces the client ban rules and saves them; peers connected already are checked at their next handshake.</summary>
    /// <exception cref="WebApiException">400: a rule is not one (nothing changes).</exception>
    public void SetBanClients(IReadOnlyList<string> rules)
    {
        try { ClientBans.Set(rules); }
        catch (ArgumentException e) { throw new WebApiException(400, e.Message.Split(" (Parameter", 2)[0]); }
        _settings.Change(s => s with { BanClients = ClientBans.Rules });
        Save();
    }

    /// <summary>Reads the saved settings again and applies what can change live (<see cref="SettingsReload"/>).</summary>
    /// <returns>One line per change, and one per setting that waits for the next start.</returns>
    public Task<IReadOnlyList<string>> ReloadAsync(CancellationToken ct) => new SettingsReload(this, _store, _configuredPeerPort).RunAsync(ct);
}
