using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>Changes to one torrent's own settings (its trackers, the peers given it, super-seeding, order, peer limit,
/// file priorities, rate limits, seeding limits, the name it is shown with): each reaches the live torrent, its peers
/// kept, and is saved with the list.</summary>
/// <param name="torrents">The list the torrents are in: its session's peer scope, and its start for a torrent that wants more.</param>
/// <param name="save">Saves the list after a change.</param>
internal sealed class TorrentAdjustments(TorrentManager torrents, Action save)
{
    private const int MaxTrackers = 100;       // announce URLs per torrent (libtorrent's own lists stay well under this)
    private const int MaxTrackerUrlLength = 2048;
    private const int MaxGivenPeers = 200;     // peers the user may give one torrent
    private const int MaxNameLength = 1024;    // a name to show, not a text

    /// <summary>Replaces the torrent's trackers (null: back to its .torrent's); a running torrent announces to the new
    /// list at once, its peers kept. The list is saved.</summary>
    /// <exception cref="WebApiException">400: a URL that is not http, https or udp, or of a refused address; too many.</exception>
    public async Task SetTrackersAsync(ManagedTorrent torrent, IReadOnlyList<IReadOnlyList<string>>? tiers, CancellationToken ct = default)
    {
        var clean = tiers is null ? null : CleanTrackers(tiers);
        await torrent.SetTrackersAsync(clean).WaitAsync(ct).ConfigureAwait(false);
        save();
    }

    /// <summary>Tiers with their URLs trimmed, blanks, duplicates and empty tiers left out, every URL checked.</summary>
    /// <exception cref="WebApiException">400, naming the first refused URL.</exception>
    public static IReadOnlyList<IReadOnlyList<string>> CleanTrackers(IReadOnlyList<IReadOnlyList<string>?> tiers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var clean = new List<IReadOnlyList<string>>();
        foreach (var tier in tiers)
        {
            var urls = new List<string>();
            foreach (var raw in tier ?? [])
            {
                var url = raw?.Trim() ?? "";
                if (url.Length == 0 || !seen.Add(url)) continue;
                if (url.Length > MaxTrackerUrlLength) throw new WebApiException(400, $"a tracker URL is at most {MaxTrackerUrlLength} characters, got {url.Length}");
                if (TorrentClient.RefusedTrackerUrl(url) is { } why) throw new WebApiException(400, why);
                urls.Add(url);
            }
            if (urls.Count > 0) clean.Add(urls);
        }
        if (seen.Count > MaxTrackers) throw new WebApiException(400, $"at most {MaxTrackers} tracker URLs per torrent, got {seen.Count}");
        return clean;
    }

    /// <summary>Gives the torrent a peer to try on every run (kept in the saved list); a running torrent dials it at
    /// once, its other peers kept. The address must pass the rule of every peer source (<see cref="TorrentClient.MayDial"/>) under the
    /// session's peer scope (loopback or private only, when the server was started so).</summary>
    /// <returns>False when the torrent had this peer already.</returns>
    /// <exception cref="WebApiException">400: not ip:port, or an address that may not be dialled; too many peers.</exception>
    public async Task<bool> AddPeerAsync(ManagedTorrent torrent, string? address, CancellationToken ct = default)
    {
        var text = address?.Trim() ?? "";
        if (!IPEndPoint.TryParse(text, out var peer) || peer.Port == 0 || !text.Contains(':', StringComparison.Ordinal))
            throw new WebApiException(400, $"expected ip:port (IPv6 as [ip]:port), got '{UntrustedText.Clean(text, 60)}'");
        if (peer.Address.IsIPv4MappedToIPv6) peer = new IPEndPoint(peer.Address.MapToIPv4(), peer.Port);
        var scope = torrents.Session.Settings.PeerScope;
        if (!TorrentClient.MayDial(peer, scope))
            throw new WebApiException(400, $"{peer} may not be dialled: unspecified, broadcast, multicast and link-local addresses never are" +
                (scope == Tracker.PeerScope.Any ? "" : $", and this server dials {scope.ToString().ToLowerInvariant()} addresses only"));
        if (torrent.LinkPeers.Contains(peer)) return false;
        if (torrent.LinkPeers.Count >= MaxGivenPeers) throw new WebApiException(400, $"at most {MaxGivenPeers} peers may be given to one torrent");
        await torrent.Handle.AddPeerAsync(peer).WaitAsync(ct).ConfigureAwait(false);
        save();
        return true;
    }

    /// <summary>Turns super-seeding (BEP 16) on or off: live on a running torrent, its peers kept (a seed tells each
    /// peer only pieces it has not been told of; off, each super-seeded peer hears of every piece), kept in the saved
    /// list.</summary>
    public async Task SetSuperSeedAsync(ManagedTorrent torrent, bool on, CancellationToken ct = default)
    {
        if (on == torrent.SuperSeed) return;
        await torrent.Handle.SetSuperSeedAsync(on).WaitAsync(ct).ConfigureAwait(false);
        save();
    }

    /// <summary>The most peers a torrent's own limit may name (Transmission clamps peer-limit to a short).</summary>
    public const int MaxPeerLimit = 1000;

    /// <summary>Sets sequential order and the torrent's own peer limit (null leaves each as it is): the order reaches a
    /// download at once, the peer limit a running torrent with its peers kept (TorrentHandle.SetMaxPeersAsync).</summary>
    /// <exception cref="WebApiException">400: a peer limit out of 1..1000.</exception>
    public async Task SetRunOptionsAsync(ManagedTorrent torrent, bool? sequential, int? maxPeers, CancellationToken ct = default)
    {
        if (maxPeers is < 1 or > MaxPeerLimit) throw new WebApiException(400, $"a peer limit must be 1..{MaxPeerLimit}, got {maxPeers}");
        if (sequential is { } s && s != torrent.Sequential)
        {
            // A download takes the order at once; a torrent with every piece it wants has nothing to order: it keeps it.
            await torrent.Handle.SetSequentialAsync(s).ConfigureAwait(false);
            save();
        }
        if (maxPeers is { } m && m != torrent.MaxPeers)
        {
            await torrent.SetMaxPeersAsync(m).WaitAsync(ct).ConfigureAwait(false);
            save();
        }
    }

    /// <summary>Changes file priorities. A downloading torrent takes them at once (its peers stay connected), a seeding
    /// one starts again with them; a torrent that does not run keeps them for its next start, and one that was complete
    /// and now wants more is started (queued).</summary>
    /// <exception cref="WebApiException">400: an unknown file number or priority; nothing is changed.</exception>
    public async Task SetPrioritiesAsync(ManagedTorrent torrent, IReadOnlyList<FilePriorityChange> changes, CancellationToken ct = default)
    {
        if (changes.Count == 0) throw new WebApiException(400, "no file to change: give files: [{index, priority}, ...]");
        var priorities = torrent.WithPriorities(changes);
        if (torrent.IsRunning)
        {
            await torrent.Handle.SetFilePrioritiesAsync(priorities).ConfigureAwait(false);
            save();
            return;
        }
        var wasComplete = torrent.State == TorrentState.Completed;
        // Not running: the handle keeps them for the next start, which the queue decides (a completed handle would
        // start again on its own when it wants more).
        if (torrent.Handle.State == Client.TorrentState.Completed) await torrent.Handle.PauseAsync().ConfigureAwait(false);
        await torrent.Handle.SetFilePrioritiesAsync(priorities).ConfigureAwait(false);
        if (wasComplete && !torrent.Handle.IsComplete) await torrents.StartAsync(torrent, ct).ConfigureAwait(false);
        else save();
    }

    /// <summary>Sets a torrent's own limit and saves the list, so the limit survives a restart (the global limits:
    /// <see cref="GlobalLimits.SetNormal"/>).</summary>
    public void SetLimit(RateLimit limit, long bytesPerSecond)
    {
        limit.BytesPerSecond = bytesPerSecond;
        save();
    }

    /// <summary>Sets a torrent's own seeding limits (null fields take the defaults) and saves the list; a running
    /// torrent takes them at once, its peers kept (<see cref="ShareLimits.ApplyAsync"/>).</summary>
    /// <exception cref="WebApiException">400: a value out of range.</exception>
    public async Task SetSeedingAsync(ManagedTorrent torrent, SeedPolicy policy)
    {
        ServerSettings.CheckSeedLimits(policy.Ratio, policy.Minutes, policy.IdleMinutes);
        torrent.Seeding = policy;
        save();
        await torrents.SeedLimits.ApplyAsync(torrent).ConfigureAwait(false);
    }

    /// <summary>Announces to the torrent's trackers now (Transmission's <c>torrent-reannounce</c>, qBittorrent's
    /// <c>torrents/reannounce</c>): the handle's <c>TorrentHandle.ReannounceAsync</c> sends a running torrent's next
    /// announce at once, its peers kept (libtorrent's <c>force_reannounce</c>); a torrent that does not run has nothing to
    /// announce, as in both daemons.</summary>
    public Task ReannounceAsync(ManagedTorrent torrent, CancellationToken ct = default) =>
        torrent.IsRunning ? torrent.Handle.ReannounceAsync().WaitAsync(ct) : Task.CompletedTask;

    /// <summary>True for a name a torrent may be shown with: 1 to 1024 characters, no control characters.</summary>
    public static bool ValidName(string name) => name.Length is > 0 and <= MaxNameLength && !name.Any(char.IsControl) && name.Trim() == name;

    /// <summary>Shows the torrent under another name (qBittorrent's <c>torrents/rename</c>); its files keep theirs.</summary>
    /// <exception cref="WebApiException">400: an empty name, control characters, or longer than 1024 characters.</exception>
    public void Rename(ManagedTorrent torrent, string name)
    {
        if (!ValidName(name)) throw new WebApiException(400, $"a name is 1 to {MaxNameLength} characters without control characters or spaces at either end");
        torrent.SetDisplayName(name);
        save();
    }
}
