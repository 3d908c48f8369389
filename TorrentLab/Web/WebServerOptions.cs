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

    /// <summary>The bearer token every API call and the WebSocket must present; null for none (loopback only).</summary>
    public string? Token { get; init; }

    /// <summary>Ask for the token even on loopback (a non-loopback host always asks, see <see cref="RequiresToken"/>).</summary>
    public bool RequireToken { get; init; }

    /// <summary>The largest .torrent accepted: 10 MiB (real ones with many pieces reach a few MiB).</summary>
    public long MaxTorrentBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Peers per download; 1 runs the single-peer reference engine.</summary>
    public int MaxPeers { get; init; } = 50;

    /// <summary>Adjusts each download's options (timeouts, extra peers) before it starts.</summary>
    public Func<DownloadOptions, DownloadOptions>? ConfigureDownload { get; init; }

    /// <summary>Receives one line per notable server event (listening, torrent added, failures).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>True when requests must carry the token: when asked, or when the host is not a loopback address.</summary>
    public bool RequiresToken => RequireToken || !IsLoopback(Host);

    /// <summary>127.0.0.0/8, ::1 and "localhost" are loopback; anything else (0.0.0.0, ::, a LAN address, a name) is not.</summary>
    public static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <exception cref="ArgumentException">A value is out of range, or a token is required but missing.</exception>
    internal void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"port must be 0..65535, got {Port}");
        if (MaxPeers < 1) throw new ArgumentException($"max peers must be at least 1, got {MaxPeers}");
        if (MaxTorrentBytes < 1) throw new ArgumentException("the .torrent size limit must be positive");
        if (RequiresToken && string.IsNullOrEmpty(Token))
            throw new ArgumentException(RequireToken ? "a token is required but none was given" : $"host '{Host}' is not loopback: a token is required");
    }
}
