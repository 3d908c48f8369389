using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>A magnet link's torrent: the .torrent file built from the fetched metadata, and the link's own peers.</summary>
/// <param name="File">The bencoded .torrent (the verified info dictionary, the link's trackers).</param>
/// <param name="Torrent">The same, parsed.</param>
/// <param name="Peers">The link's <c>x.pe</c> peers, to try first.</param>
/// <param name="Selection">The files the link's <c>so</c> selects (BEP 53), one priority per file (others skipped),
/// or null: every file.</param>
public sealed record MagnetTorrent(byte[] File, Torrent Torrent, IReadOnlyList<IPEndPoint> Peers,
    IReadOnlyList<Pieces.FilePriority>? Selection = null);

public static partial class TorrentClient
{
    /// <summary>Fetches a magnet link's metadata from peers (BEP 9), found as <paramref name="options"/> say (its
    /// <c>x.pe</c> peers, its trackers, the DHT), and builds its .torrent. Like a download waiting for peers, it asks
    /// again (trackers, DHT, peers) while no peer gives the metadata, until <see cref="DownloadOptions.StallTimeout"/>
    /// (null: until cancelled), saying each time what it waits for (<see cref="DownloadOptions.Waiting"/>, else the log);
    /// a link that names nobody to ask fails at once.</summary>
    /// <exception cref="MagnetException">Not a valid magnet link.</exception>
    /// <exception cref="MetadataException">No peer gave metadata matching the info hash in time, or nobody to ask.</exception>
    /// <exception cref="TrackerException">Every tracker kept failing and no other source gave a peer in time.</exception>
    /// <remarks>Made for a session-less download: a DHT lookup runs on a node of its own, on a port of its own, read-only
    /// (BEP 43: it lives for the lookup, so no other node keeps it). To fetch for a session's torrent, use
    /// <see cref="TorrentSession.FetchMagnetAsync"/>.</remarks>
    public static Task<MagnetTorrent> FetchMagnetAsync(string magnet, DownloadOptions options, CancellationToken ct = default) =>
        FetchMagnetAsync(null, magnet, options, ct);

    /// <summary>Fetches a magnet link's metadata as the overload without a session does, but as one of
    /// <paramref name="session"/>'s torrents: its peer id, its port in tracker announces, and its one DHT node for the
    /// lookups (<see cref="SessionSettings.Dht"/> says whether; <see cref="DownloadOptions.Session"/> is not read). With
    /// a null session, as the overload without one.</summary>
    /// <exception cref="MagnetException">Not a valid magnet link.</exception>
    /// <exception cref="MetadataException">No peer gave metadata matching the info hash in time, or nobody to ask.</exception>
    /// <exception cref="TrackerException">Every tracker kept failing and no other source gave a peer in time.</exception>
    internal static async Task<MagnetTorrent> FetchMagnetAsync(Session? session, string magnet, DownloadOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = LoggingTo(options, session, EngineLog.Magnet);
        var link = MagnetLink.Parse(magnet);
        var ourId = session?.PeerId ?? Wire.PeerId.CreateOurs();
        // Without a session nothing listens yet: the trackers hear the port the download will listen on, if it names one.
        var port = session?.AnnouncedPort ?? (options.Session.ListenPort > 0 ? options.Session.ListenPort : 6881);
        var settings = session?.Settings ?? options.Session;
        var time = settings.Time;
        var started = time.GetTimestamp();
        for (var round = 1; ; round++)
        {
            TorrentLabException why;
            try
            {
                var peers = await MagnetPeers.FindAsync(link, ourId, port, options, ct, session).ConfigureAwait(false);
                var fetch = new MetadataFetchOptions
                {
                    Log = options.Log, Connection = PeerConnectionOptions.Default with { Network = settings.Network, Time = time },
                };
                var raw = await MetadataFetcher.FetchAsync(link, ourId, peers, fetch, ct).ConfigureAwait(false);
                var file = MagnetTorrentFile.Build(link, raw);
                var torrent = Torrent.Parse(file);
                return new MagnetTorrent(file, torrent, link.Peers, LinkSelection(link, torrent, options.Waiting ?? options.Log));
            }
            catch (MetadataException e) when (!e.Final) { why = e; }
            catch (TrackerException e) { why = e; }
            if (NextMagnetRound(round, time.GetElapsedTime(started), options.StallTimeout) is not { } pause)
            {
                var gaveUp = $"{why.Message} (gave up after {time.GetElapsedTime(started).TotalSeconds:0} s without the metadata)";
                throw why is TrackerException ? new TrackerException(gaveUp, why) : new MetadataException(gaveUp, why);
            }
            (options.Waiting ?? options.Log)?.Invoke(
                $"waiting for the metadata of {link.InfoHash.Hex}: {why.Message}; asking again in {pause.TotalSeconds:0} s");
            await Task.Delay(pause, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What a link's <c>so</c> (BEP 53) selects of <paramref name="torrent"/>: one priority per file, padding
    /// skipped; null without <c>so</c>, or when it names no file the torrent has (then every file, said in the log).</summary>
    internal static IReadOnlyList<Pieces.FilePriority>? LinkSelection(MagnetLink link, Torrent torrent, Action<string>? log)
    {
        if (link.SelectOnly is null) return null;
        var chosen = Enumerable.Range(0, torrent.Files.Count).Select(i => !torrent.Files[i].IsPadding && link.Selects(i)).ToArray();
        if (!chosen.Contains(true))
        {
            log?.Invoke($"magnet link: 'so' selects no file of the torrent's {torrent.Files.Count}; downloading every file");
            return null;
        }
        return [.. chosen.Select(c => c ? Pieces.FilePriority.Normal : Pieces.FilePriority.Skip)];
    }

    /// <summary>The pause before asking again for a magnet link's peers: 5 s, doubling to at most 30 s (a tracker
    /// that had no peer yet, a seeder that announces to the DHT a little later).</summary>
    private static TimeSpan MagnetRetry(int round) => TimeSpan.FromSeconds(Math.Min(30, 5 << Math.Min(round - 1, 3)));

    /// <summary>The pause before round <paramref name="round"/> + 1, cut to what is left of <paramref name="limit"/> so
    /// the last round is asked right at the limit; null when the limit is reached (give up). Before, a 30 s pause that
    /// would pass a 60 s limit gave up at once, after about 35 s.</summary>
    internal static TimeSpan? NextMagnetRound(int round, TimeSpan waited, TimeSpan? limit)
    {
        var pause = MagnetRetry(round);
        if (limit is not { } end) return pause;
        var left = end - waited;
        if (left <= TimeSpan.Zero) return null;
        return pause < left ? pause : left;
    }

    /// <summary>Fetches a .torrent file over HTTP or HTTPS: at most <paramref name="maxBytes"/>, within 30 s, never from
    /// an unspecified, broadcast, multicast or link-local address (checked after DNS and after each redirect).</summary>
    /// <exception cref="TorrentUrlException">Refused, unreachable, not 200, or too large.</exception>
    public static Task<byte[]> FetchTorrentFileAsync(string url, long maxBytes, CancellationToken ct = default) =>
        TorrentUrl.FetchAsync(url, maxBytes, TimeSpan.FromSeconds(30), ct);

    /// <summary>As <see cref="FetchTorrentFileAsync(string, long, CancellationToken)"/>, through <paramref name="proxy"/>
    /// when one is given (the host's name is then the proxy's to resolve).</summary>
    /// <exception cref="TorrentUrlException">Refused, unreachable, not 200, or too large.</exception>
    public static Task<byte[]> FetchTorrentFileAsync(string url, long maxBytes, Proxy.Socks5Proxy? proxy, CancellationToken ct = default) =>
        TorrentUrl.FetchAsync(NetworkOf(proxy), url, maxBytes, TimeSpan.FromSeconds(30), ct);

    /// <summary>The kernel's network, or one through <paramref name="proxy"/>.</summary>
    internal static Network.INetwork NetworkOf(Proxy.Socks5Proxy? proxy) =>
        proxy is null ? Network.SystemNetwork.Instance : new Proxy.Socks5Network(Network.SystemNetwork.Instance, proxy);
}
