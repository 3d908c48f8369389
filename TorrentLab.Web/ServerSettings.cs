using TorrentLab.Dht;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>The server's settings in force (<see cref="WebSettings"/>, every field set): the command line's over those
/// the last run saved over the defaults, read and changed under one lock.</summary>
/// <param name="options">The command line's settings.</param>
internal sealed class ServerSettings(WebServerOptions options)
{
    private readonly Lock _lock = new();
    private WebSettings _current = Effective(options, null);

    /// <summary>The settings in force.</summary>
    public WebSettings Current { get { lock (_lock) return _current; } }

    /// <summary>Takes the saved settings at a start, under the command line's.</summary>
    public void Load(WebSettings? saved)
    {
        lock (_lock) _current = Effective(options, saved);
    }

    /// <summary>Replaces the settings with what <paramref name="change"/> makes of them; no other change lands in between.</summary>
    public void Change(Func<WebSettings, WebSettings> change)
    {
        lock (_lock) _current = change(_current);
    }

    private static WebSettings Effective(WebServerOptions options, WebSettings? saved) => new(
        saved?.MaxActiveDownloads ?? options.MaxActiveDownloads,
        saved?.SeedAfterDownload ?? options.SeedAfterDownload,
        saved?.SeedRatio ?? options.SeedRatio,
        saved?.SeedMinutes ?? options.SeedTime?.TotalMinutes)
    {
        // The session's: the command line's when given, else what the last run saved, else the defaults.
        PeerPort = options.PeerPort ?? saved?.PeerPort ?? DefaultPeerPort,
        Dht = options.Dht ?? saved?.Dht ?? true,
        DhtBootstrap = options.DhtBootstrap ?? saved?.DhtBootstrap ?? DhtNodeOptions.PublicRouters,
        MaxConnections = options.MaxConnections ?? saved?.MaxConnections ?? new SessionSettings().MaxConnections,
        StartAddedTorrents = saved?.StartAddedTorrents ?? true,
        PortMapping = WebSettings.NamesOf(options.PortMapping ?? WebSettings.ProtocolsOf(saved?.PortMapping)),
        // --blocklist turns the list on with that source; else as saved (off by default).
        Blocklist = options.Blocklist ?? saved?.Blocklist,
        BlocklistEnabled = options.Blocklist is not null || saved?.BlocklistEnabled == true,
        WatchFolder = options.WatchFolder ?? saved?.WatchFolder,
        WatchDelete = options.WatchDelete ?? saved?.WatchDelete,
        KeepFree = options.KeepFree ?? saved?.KeepFree ?? DiskGuard.DefaultKeepFree,
        // serve --on-added and --on-complete set a program and turn it on; else as saved (none by default).
        OnAdded = options.OnAdded ?? saved?.OnAdded,
        OnAddedEnabled = options.OnAdded is not null || saved?.OnAddedEnabled == true,
        OnComplete = options.OnComplete ?? saved?.OnComplete,
        OnCompleteEnabled = options.OnComplete is not null || saved?.OnCompleteEnabled == true,
        Webhook = options.Webhook ?? saved?.Webhook,
        SeedIdleMinutes = saved?.SeedIdleMinutes,
        SeedLimitAction = saved?.SeedLimitAction ?? ShareLimits.Pause,
        BanClients = options.BanClients ?? saved?.BanClients ?? [],
    };

    /// <summary>BEP 3: "Ports reserved for BitTorrent are typically 6881-6889".</summary>
    private const int DefaultPeerPort = 6881;

    /// <summary>Changes the queue and seeding fields <paramref name="update"/> sets (0 clears a seeding limit).</summary>
    /// <exception cref="WebApiException">400: a value out of range (nothing changes).</exception>
    public void Update(WebSettings update)
    {
        if (update.MaxActiveDownloads is < 1 or > 1000) throw new WebApiException(400, $"maxActiveDownloads must be 1..1000, got {update.MaxActiveDownloads}");
        CheckSeedLimits(update.SeedRatio, update.SeedMinutes, update.SeedIdleMinutes);
        if (update.KeepFree is < 0) throw new WebApiException(400, $"keepFree must be 0 (off) or a number of bytes, got {update.KeepFree}");
        if (update.SeedLimitAction is { } action && !ShareLimits.Actions.Contains(action))
            throw new WebApiException(400, $"seedLimitAction must be one of {string.Join(", ", ShareLimits.Actions)}, got '{UntrustedText.Clean(action, 20)}'");
        Change(settings => settings with
        {
            KeepFree = update.KeepFree ?? settings.KeepFree,
            SeedIdleMinutes = update.SeedIdleMinutes is { } idle ? (idle == 0 ? null : idle) : settings.SeedIdleMinutes,
            SeedLimitAction = update.SeedLimitAction ?? settings.SeedLimitAction,
            MaxActiveDownloads = update.MaxActiveDownloads ?? settings.MaxActiveDownloads,
            SeedAfterDownload = update.SeedAfterDownload ?? settings.SeedAfterDownload,
            SeedRatio = update.SeedRatio is { } ratio ? (ratio == 0 ? null : ratio) : settings.SeedRatio,
            SeedMinutes = update.SeedMinutes is { } minutes ? (minutes == 0 ? null : minutes) : settings.SeedMinutes,
            StartAddedTorrents = update.StartAddedTorrents ?? settings.StartAddedTorrents,
        });
    }

    /// <exception cref="WebApiException">400: a ratio or a time that is negative, not a number, or too long.</exception>
    public static void CheckSeedLimits(double? ratio, double? minutes, double? idleMinutes = null)
    {
        if (idleMinutes is { } i && (i < 0 || !double.IsFinite(i) || i > TimeSpan.MaxValue.TotalMinutes / 2))
            throw new WebApiException(400, $"seed idle minutes must be 0 or more, got {i}");
        if (ratio is { } r && (r < 0 || !double.IsFinite(r))) throw new WebApiException(400, $"a seed ratio must be 0 or more, got {r}");
        if (minutes is { } m && (m < 0 || !double.IsFinite(m) || m > TimeSpan.MaxValue.TotalMinutes / 2))
            throw new WebApiException(400, $"seed minutes must be 0 or more, got {m}");
    }
}
