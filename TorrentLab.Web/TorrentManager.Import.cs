using TorrentLab.Metainfo;

namespace TorrentLab.Web;

/// <summary>Torrents taken over from another client (<see cref="ClientImport"/>): added as a saved entry is loaded.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>Adds a torrent whose place <see cref="ReservePlace"/> reserved and whose files are recorded in its resume
    /// ledger already, with what the entry keeps (added date, selection, limits, category, tags), started when the entry
    /// says it ran.</summary>
    /// <exception cref="WebApiException">409: the same torrent was added meanwhile.</exception>
    public ManagedTorrent CommitImport(Torrent torrent, byte[] bytes, TorrentEntry entry)
    {
        var folder = entry.Folder ?? "";
        ManagedTorrent managed;
        lock (_lock)
        {
            if (_torrents.ContainsKey(torrent.InfoHash.Hex))
            {
                _places.Leave(torrent, folder);
                throw new WebApiException(409, $"torrent '{torrent.Name}' ({torrent.InfoHash.Hex}) is already added");
            }
            managed = Track(torrent, folder, entry.AddedAt, [], null, entry);
            _store.SaveTorrent(managed.InfoHash, bytes);
            _torrents[managed.InfoHash] = managed;
            _places.Take(torrent, folder, managed.InfoHash);
            Interlocked.Increment(ref _listVersion);
            Queue.ChangedLocked();
        }
        managed.Seeding = entry.Seeding ?? SeedPolicy.Default;
        managed.LoadRemote(entry.Remote);
        Labels.Load(managed, entry.Category);
        if (entry.Running) Queue.Enqueue(managed);
        Save();
        Queue.Pump();
        return managed;
    }

    /// <summary>Gives back a place <see cref="ReservePlace"/> reserved for an import that failed.</summary>
    public void LeavePlace(Torrent torrent, string saveFolder)
    {
        lock (_lock) _places.Leave(torrent, saveFolder);
    }
}
