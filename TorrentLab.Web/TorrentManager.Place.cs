using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Web;

/// <summary>Where each torrent keeps its data (a save folder below the downloads folder, and moving the data to another;
/// <see cref="DataPlaces"/> has the safety rule), whom it announces to (its tracker list, edited), and the peers the
/// user gives it.</summary>
internal sealed partial class TorrentManager
{
    private const int MaxTrackers = 100;       // announce URLs per torrent (libtorrent's own lists stay well under this)
    private const int MaxTrackerUrlLength = 2048;
    private const int MaxGivenPeers = 200;     // peers the user may give one torrent

    /// <summary>The absolute path of a save folder (relative, as <see cref="SaveFolderOf"/> gives it).</summary>
    public string FolderPath(string saveFolder) => _places.FolderPath(saveFolder);

    /// <summary>The absolute path of the folder the torrent's data is in.</summary>
    public string FolderOf(ManagedTorrent torrent) => FolderPath(torrent.SaveFolder);

    /// <inheritdoc cref="DataPlaces.SaveFolderOf"/>
    public string SaveFolderOf(string? folder) => _places.SaveFolderOf(folder);

    /// <summary>Gives the torrent another save folder. With <paramref name="moveData"/>, its activity stops, its files and
    /// resume ledger move (renamed on one file system, else copied, and the old copy deleted only once the new one is
    /// complete), and it starts again if it ran; without, it is pointed at the folder and re-checks what is there.</summary>
    /// <exception cref="WebApiException">400 a folder outside the downloads folder; 409 another torrent's data is there,
    /// a file is in the way, it is being checked or moved, or the move failed (the data stays whole in the old folder).</exception>
    public async Task MoveAsync(ManagedTorrent torrent, string? folder, bool moveData, CancellationToken ct = default)
    {
        var target = SaveFolderOf(folder);
        if (target == torrent.SaveFolder) return;
        if (torrent.State is TorrentState.Checking or TorrentState.Moving)
            throw new WebApiException(409, $"'{torrent.Torrent.Name}' is {torrent.State.ToString().ToLowerInvariant()}: its data cannot be moved now");
        DataPlaces.CheckPaths(torrent.Torrent, FolderPath(target));
        var origin = torrent.SaveFolder;
        lock (_lock)
        {
            _places.CheckFree(torrent.Torrent, target, except: torrent.InfoHash);
            if (!_places.BeginMove(torrent.InfoHash)) throw new WebApiException(409, $"'{torrent.Torrent.Name}' is being moved already");
            _places.Take(torrent.Torrent, target, torrent.InfoHash); // no other torrent goes there meanwhile
        }
        var moved = false;
        try
        {
            var resume = torrent.WantsRunning;
            await torrent.PauseAsync().ConfigureAwait(false);
            try { torrent.BeginMove(); }
            catch (WebApiException) when (resume)
            {
                Queue.Enqueue(torrent); // started, or checked, meanwhile by another request: as it was
                throw;
            }
            try
            {
                if (moveData) await torrent.Handle.MoveDataAsync(FolderPath(target), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                torrent.EndMove(null, e.Message);
                if (resume) Queue.Enqueue(torrent);
                Save();
                Queue.Pump();
                if (e is OperationCanceledException) throw;
                throw new WebApiException(409, $"moving '{torrent.Torrent.Name}' to {Shown(target)} failed, its data stays whole where it was: {e.Message}", e);
            }
            torrent.EndMove(target, null);
            moved = true;
            _options.Log?.Invoke($"'{torrent.Torrent.Name}' {(moveData ? "moved" : "pointed")} to {Shown(target)}");
            // Pointed without moving: what is in the new folder is hashed (the handle takes the folder either way).
            if (!moveData) await CheckAsync(torrent, () => torrent.Handle.SetSaveFolderAsync(FolderPath(target), ct)).ConfigureAwait(false);
            if (resume) Queue.Enqueue(torrent);
            Save();
            Queue.Pump();
        }
        finally
        {
            lock (_lock)
            {
                _places.EndMove(torrent.InfoHash);
                _places.Leave(torrent.Torrent, moved ? origin : target);
            }
        }
    }

    private static string Shown(string saveFolder) => saveFolder.Length == 0 ? "the downloads folder" : $"'{saveFolder}'";

    /// <summary>Replaces the torrent's trackers (null: back to its .torrent's); a running torrent announces to the new
    /// list at once, its peers kept. The list is saved.</summary>
    /// <exception cref="WebApiException">400: a URL that is not http, https or udp, or of a refused address; too many.</exception>
    public async Task SetTrackersAsync(ManagedTorrent torrent, IReadOnlyList<IReadOnlyList<string>>? tiers, CancellationToken ct = default)
    {
        var clean = tiers is null ? null : CleanTrackers(tiers);
        await torrent.SetTrackersAsync(clean).WaitAsync(ct).ConfigureAwait(false);
        Save();
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
        var scope = Session.Settings.PeerScope;
        if (!TorrentClient.MayDial(peer, scope))
            throw new WebApiException(400, $"{peer} may not be dialled: unspecified, broadcast, multicast and link-local addresses never are" +
                (scope == Tracker.PeerScope.Any ? "" : $", and this server dials {scope.ToString().ToLowerInvariant()} addresses only"));
        if (torrent.LinkPeers.Contains(peer)) return false;
        if (torrent.LinkPeers.Count >= MaxGivenPeers) throw new WebApiException(400, $"at most {MaxGivenPeers} peers may be given to one torrent");
        await torrent.Handle.AddPeerAsync(peer).WaitAsync(ct).ConfigureAwait(false);
        Save();
        return true;
    }

    /// <summary>Turns super-seeding (BEP 16) on or off: live on a running torrent, its peers kept (a seed tells each
    /// peer only pieces it has not been told of; off, each super-seeded peer hears of every piece), kept in the saved
    /// list.</summary>
    public async Task SetSuperSeedAsync(ManagedTorrent torrent, bool on, CancellationToken ct = default)
    {
        if (on == torrent.SuperSeed) return;
        await torrent.Handle.SetSuperSeedAsync(on).WaitAsync(ct).ConfigureAwait(false);
        Save();
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
            Save();
        }
        if (maxPeers is { } m && m != torrent.MaxPeers)
        {
            await torrent.SetMaxPeersAsync(m).WaitAsync(ct).ConfigureAwait(false);
            Save();
        }
    }
}
