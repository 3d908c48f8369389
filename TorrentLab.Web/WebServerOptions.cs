using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>How <c>torrentlab serve</c> runs: where it listens, where downloads go, and who may call it.</summary>
public sealed record WebServerOptions
{
    /// <summary>The folder every download goes below; the torrent list and resume ledgers live in its <c>.torrentlab</c>.</summary>
    public required string Downloads { get; init; }

    /// <summary>The address to listen on: loopback by default. Any other address requires a token.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (see <see cref="WebServer.Url"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>More names the server answers to (a LAN name, a reverse proxy's name), besides <c>localhost</c>,
    /// <c>127.0.0.1</c>, <c>[::1]</c> and <see cref="Host"/>; a request naming any other host is refused (DNS rebinding).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>The path below which a reverse proxy serves it (<c>/torrents</c>: the page at <c>/torrents/</c>, the APIs
    /// at <c>/torrents/api/...</c>); null: at the root. A request with this prefix is answered as one without it, so a
    /// proxy may pass the path on whole or strip the prefix.</summary>
    public string? BasePath { get; init; }

    /// <summary>True for a base path: '/' then segments of letters, digits, '-', '_', '.' and '~' (no '.' or '..'
    /// segment, no '/' at the end).</summary>
    public static bool IsBasePath(string path) =>
        path.Length is > 1 and <= 200 && path[0] == '/' && path[1..].Split('/').All(segment =>
            segment.Length > 0 && segment is not ("." or "..") && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'));

    /// <summary>The bearer token every API call and the WebSocket must present; null for none (loopback only).</summary>
    public string? Token { get; init; }

    /// <summary>Ask for the token even on loopback (a non-loopback host always asks, see <see cref="RequiresToken"/>).</summary>
    public bool RequireToken { get; init; }

    /// <summary>Wrong logins (a wrong password, token or Basic password) after which an address is banned, as
    /// qBittorrent's WebUI\MaxAuthenticationFailCount: 5 by default; 0 never bans.</summary>
    public int MaxLoginFailures { get; init; } = 5;

    /// <summary>How long a banned address stays banned: 3600 s by default, as qBittorrent's WebUI\BanDuration.</summary>
    public TimeSpan LoginBanDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The clock of login bans, sessions, the watch folder and RSS (tests move a manual one).</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The largest .torrent accepted: 10 MiB (real ones with many pieces reach a few MiB).</summary>
    public long MaxTorrentBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Peers per download; 1 runs the single-peer reference engine.</summary>
    public int MaxPeers { get; init; } = 50;

    /// <summary>The global download and upload limits at start, payload bytes per second (0: unlimited); changed live
    /// through <c>PUT /api/limits</c>.</summary>
    public long MaxDownloadRate { get; init; }
    public long MaxUploadRate { get; init; }

    /// <summary>MSE/PE protocol encryption for every download (<c>--encryption</c>, default prefer).</summary>
    public Wire.EncryptionPolicy Encryption { get; init; } = Wire.EncryptionPolicy.Prefer;

    /// <summary>Local addresses the session listens on for peers (<c>--bind</c>); default <c>::</c> (IPv4 and IPv6).</summary>
    public IReadOnlyList<System.Net.IPAddress> PeerBindAddresses { get; init; } = [System.Net.IPAddress.IPv6Any];

    /// <summary>The network interface everything the session sends goes out from, nothing while it is down
    /// (<c>--bind-interface</c>, <see cref="SessionSettings.BindInterface"/>); null: as the routing table says.</summary>
    public string? PeerBindInterface { get; init; }

    /// <summary>The one peer port of every torrent, TCP and UDP (<c>--peer-port</c>); null: the port saved from the last
    /// run, else 6881. When it is taken, the next free one of 6881-6889 (then any) is used and printed.</summary>
    public int? PeerPort { get; init; }

    /// <summary>Run the session's DHT node (<c>--no-dht</c> turns it off); null: as saved, else on.</summary>
    public bool? Dht { get; init; }

    /// <summary>The DHT's bootstrap nodes (<c>--dht-bootstrap</c>); null: as saved, else the public routers.</summary>
    public IReadOnlyList<string>? DhtBootstrap { get; init; }

    /// <summary>Ask the router to forward the peer port (<c>--port-mapping</c>, <c>--no-port-mapping</c>,
    /// <c>--port-mapping-protocols</c>): UPnP IGD, PCP and NAT-PMP, or some of them; <see cref="PortMapping.PortMappingProtocols.None"/>
    /// for none; null: as the last run saved it, else none.</summary>
    public PortMapping.PortMappingProtocols? PortMapping { get; init; }

    /// <summary>A SOCKS5 proxy every connection of the session goes through (<c>--proxy</c>, <c>--proxy-only</c>); given
    /// at each start and never saved (its password stays out of the downloads folder). With
    /// <see cref="TorrentLab.Proxy.Socks5Proxy.Only"/>, port mapping saved by an earlier start is off for this run.</summary>
    public TorrentLab.Proxy.Socks5Proxy? Proxy { get; init; }

    /// <summary>Local service discovery for every public torrent (<c>--lsd</c>, BEP 14); off unless given at this start.</summary>
    public bool Lsd { get; init; }

    /// <summary>Peer connections open at once over all torrents (<c>serve --max-peers</c>); null: as saved, else 500.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>The blocklist's source (<c>--blocklist</c>): an http(s) URL or a file, turned on and saved; null: as
    /// saved (off by default).</summary>
    public string? Blocklist { get; init; }

    /// <summary>Client ban rules (<c>--ban-client</c>, <see cref="TorrentLab.Downloads.ClientBanList"/>): saved, in place of the saved
    /// ones; null: as saved (none by default).</summary>
    public IReadOnlyList<string>? BanClients { get; init; }

    /// <summary>The watch folder (<c>--watch</c>): each .torrent or .magnet file put there is added and started, then
    /// renamed <c>.added</c>; saved. Null: as saved (none by default).</summary>
    public string? WatchFolder { get; init; }

    /// <summary>Delete a watched file once added (<c>--watch-delete</c>) rather than rename it; null: as saved.</summary>
    public bool? WatchDelete { get; init; }

    /// <summary>The program run when a torrent is added (<c>--on-added</c>): a command line, split without a shell, with
    /// qBittorrent's placeholders; turned on and saved. Null: as saved (none by default).</summary>
    public string? OnAdded { get; init; }

    /// <summary>The program run when a torrent completes (<c>--on-complete</c>), as <see cref="OnAdded"/>.</summary>
    public string? OnComplete { get; init; }

    /// <summary>An http(s) URL sent a POST of JSON on each torrent event (<c>--webhook</c>); saved. Null: as saved.</summary>
    public string? Webhook { get; init; }

    /// <summary>How many hooks run and wait at once, and for how long each may run (tests make them small).</summary>
    internal HookLimits HookLimits { get; init; } = HookLimits.Default;

    /// <summary>Adjusts the session's settings (timeouts, peer scope) before it starts; tests use it.</summary>
    public Func<SessionSettings, SessionSettings>? ConfigureSession { get; init; }

    /// <summary>Downloads running at once (<c>--max-active</c>); the rest wait in the queue, in order.</summary>
    public int MaxActiveDownloads { get; init; } = 5;

    /// <summary>The disk guard's bytes to keep free on a download's volume (<c>--keep-free</c>; 0 off); null: as the last
    /// run saved it, else <see cref="DiskGuard.DefaultKeepFree"/>.</summary>
    public long? KeepFree { get; init; }

    /// <summary>How often the disk guard reads the volumes downloads write to.</summary>
    internal TimeSpan DiskCheckEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads a folder's volume and its free and total bytes (tests give a volume of their own); null:
    /// <see cref="DiskGuard.Probe"/>.</summary>
    internal Func<string, (string Volume, long Free, long Total)?>? DiskProbe { get; init; }

    /// <summary>Seed each torrent after it completes (<c>--seed</c>), until the ratio or time limit; the page can change it.</summary>
    public bool SeedAfterDownload { get; init; }

    /// <summary>Stop seeding at this ratio of uploaded bytes to size (<c>--seed-ratio</c>); null for no limit.</summary>
    public double? SeedRatio { get; init; }

    /// <summary>Stop seeding after this long (<c>--seed-time</c>); null for no limit.</summary>
    public TimeSpan? SeedTime { get; init; }

    /// <summary>Adjusts each download's options (timeouts, extra peers) before it starts.</summary>
    public Func<DownloadOptions, DownloadOptions>? ConfigureDownload { get; init; }

    /// <summary>Requests a live connection may send per second (with a burst of twice as many) before it is closed.</summary>
    internal int LiveRequestsPerSecond { get; init; } = 10;

    /// <summary>A folder holding Transmission's own web client (Debian's transmission-daemon ships it in
    /// <c>/usr/share/transmission/web</c>), served as static files at <c>/transmission/web/</c>, where it talks to this
    /// server's Transmission RPC (<c>--transmission-web</c>); null: not served.</summary>
    public string? TransmissionWeb { get; init; }

    /// <summary>Receives one line per notable server event (listening, torrent added, failures).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Why a hook's command line (<c>--on-added</c>, <c>--on-complete</c>) cannot be split (a quote left
    /// open, no program), or null when it can.</summary>
    public static string? CommandLineProblem(string commandLine) => HookCommandLine.Problem(commandLine);

    /// <summary>Why a webhook's URL cannot be used (not an absolute http or https URL), or null when it can.</summary>
    public static string? WebhookProblem(string url) => ServerHooks.WebhookProblem(url);

    /// <summary>True when requests must carry the token: when asked, or when the host is not a loopback address.</summary>
    public bool RequiresToken => RequireToken || !IsLoopback(Host);

    /// <summary>127.0.0.0/8, ::1 and "localhost" are loopback; anything else (0.0.0.0, ::, a LAN address, a name) is not.</summary>
    public static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>True for a DNS name (letters, digits, '-', '.') or an IP address (IPv6 with or without brackets), with no port.</summary>
    public static bool IsHostName(string name) =>
        name.Length is > 0 and <= 253 && (IPAddress.TryParse(name.Trim('[', ']'), out _)
            || name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') && !name.StartsWith('.') && !name.Contains(".."));

    /// <exception cref="ArgumentException">A value is out of range, or a token is required but missing.</exception>
    internal void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"port must be 0..65535, got {Port}");
        if (MaxPeers < 1) throw new ArgumentException($"max peers must be at least 1, got {MaxPeers}");
        if (PeerPort is < 0 or > 65535) throw new ArgumentException($"peer port must be 0..65535, got {PeerPort}");
        if (MaxConnections is < 1) throw new ArgumentException($"max connections must be at least 1, got {MaxConnections}");
        if (MaxActiveDownloads is < 1 or > 1000) throw new ArgumentException($"max active downloads must be 1..1000, got {MaxActiveDownloads}");
        if (MaxLoginFailures < 0) throw new ArgumentException($"max login failures must be 0 (never ban) or more, got {MaxLoginFailures}");
        if (LoginBanDuration <= TimeSpan.Zero) throw new ArgumentException($"the login ban duration must be positive, got {LoginBanDuration}");
        if (MaxTorrentBytes < 1) throw new ArgumentException("the .torrent size limit must be positive");
        if (BasePath is { } basePath && !IsBasePath(basePath))
            throw new ArgumentException($"base path '{basePath}' is not a path like /torrents (letters, digits, '-', '_', '.', '~' between slashes, none at the end)");
        foreach (var name in AllowedHosts)
            if (!IsHostName(name)) throw new ArgumentException($"allowed host '{name}' is not a host name or IP address");
        if (WatchFolder is { } watch && (!Path.IsPathFullyQualified(watch) || !Directory.Exists(watch)))
            throw new ArgumentException($"--watch expects an existing folder, got '{watch}'");
        if (Blocklist is { } blocklist && !ServerBlocklist.IsSource(blocklist))
            throw new ArgumentException($"--blocklist expects an http(s) URL or the absolute path of a file, got '{blocklist}'");
        foreach (var (option, line) in new[] { ("--on-added", OnAdded), ("--on-complete", OnComplete) })
            if (line is not null && HookCommandLine.Problem(line) is { } problem) throw new ArgumentException($"{option}: {problem}");
        if (Webhook is { } webhook && ServerHooks.WebhookProblem(webhook) is { } wrong) throw new ArgumentException($"--webhook: {wrong}");
        foreach (var rule in BanClients ?? [])
            if (TorrentLab.Downloads.ClientBanList.Problem(rule) is { } problem) throw new ArgumentException($"--ban-client: {problem}");
        if (TransmissionWeb is { } web && !File.Exists(Path.Combine(web, "index.html")))
            throw new ArgumentException($"--transmission-web: expected Transmission's web client (an index.html) in {web}");
        if (RequiresToken && string.IsNullOrEmpty(Token))
            throw new ArgumentException(RequireToken ? "a token is required but none was given" : $"host '{Host}' is not loopback: a token is required");
    }
}
