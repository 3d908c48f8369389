using TorrentLab.Tracker;

namespace TorrentLab.Client;

public static partial class TorrentClient
{
    /// <summary>The largest blocklist fetched by URL: 64 MiB (the largest public lists are about 10 MiB as text, 3 MiB
    /// gzipped). The web server holds the same figure for its own blocklist (<c>ServerBlocklist.MaxBytes</c>).</summary>
    internal const long MaxBlocklistBytes = 64L * 1024 * 1024;

    /// <summary>Loads <paramref name="list"/> from <paramref name="source"/>: a file, or an http(s) URL fetched with the
    /// rules of <see cref="FetchTorrentFileAsync(string, long, CancellationToken)"/> (no unspecified, broadcast, multicast or link-local address, after
    /// DNS and each redirect; at most 64 MiB, 2 minutes). P2P, DAT or CIDR lines, plain or
    /// gzip; the ranges held are replaced only when the new list was read.</summary>
    /// <returns>What was read: ranges, and malformed lines skipped (the caller logs them once).</returns>
    /// <exception cref="BlocklistException">Not a blocklist (no line is a range, or only blank lines and comments), damaged
    /// gzip, or past the bounds of <see cref="IpBlocklist.Load"/> (reading stops there).</exception>
    /// <exception cref="TorrentUrlException">The URL was refused or could not be fetched.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when missing).</exception>
    public static Task<BlocklistLoad> LoadBlocklistAsync(IpBlocklist list, string source, CancellationToken ct = default) =>
        LoadBlocklistAsync(list, source, null, ct);

    /// <summary>As <see cref="LoadBlocklistAsync(IpBlocklist, string, CancellationToken)"/>, a URL fetched through
    /// <paramref name="proxy"/> when one is given.</summary>
    /// <exception cref="BlocklistException">Not a blocklist (no line is a range, or only blank lines and comments), damaged
    /// gzip, or past the bounds of <see cref="IpBlocklist.Load"/> (reading stops there).</exception>
    /// <exception cref="TorrentUrlException">The URL was refused or could not be fetched.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when missing).</exception>
    public static async Task<BlocklistLoad> LoadBlocklistAsync(IpBlocklist list, string source, Proxy.Socks5Proxy? proxy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (IsUrl(source))
        {
            var bytes = await TorrentUrl.FetchAsync(NetworkOf(proxy), source, MaxBlocklistBytes, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            return list.Load(new MemoryStream(bytes, writable: false));
        }
        await using var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return list.Load(file);
    }

    /// <summary>True for a string that names an http or https URL rather than a file.</summary>
    private static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
