namespace TorrentLab.Web;

/// <summary>What the remote-control APIs ask of the list beyond the page's routes: a torrent's .torrent copy and where it is,
/// and whether anything changed since a poll.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The path of the copy of the torrent's .torrent file this server keeps (Transmission's <c>torrentFile</c>).</summary>
    public string TorrentPathOf(ManagedTorrent torrent) => _store.TorrentPath(torrent.InfoHash);

    /// <summary>The torrent's .torrent file, as it was added (the copy the server keeps).</summary>
    /// <exception cref="WebApiException">404: the copy is gone (deleted while the server runs).</exception>
    public byte[] TorrentFileOf(ManagedTorrent torrent)
    {
        try
        {
            return File.ReadAllBytes(_store.TorrentPath(torrent.InfoHash));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new WebApiException(404, $"the .torrent copy of '{torrent.Torrent.Name}' is missing from the server's state folder", e);
        }
    }

    private long _changes; // grows at every change saved or of the queue order
    private ListedTorrents _listed = new(-1, []);

    private sealed record ListedTorrents(int Version, IReadOnlyList<ManagedTorrent> Items);

    /// <summary>Grows at every change that is saved (a setting, a limit, a category, tags...) or that moves the queue:
    /// a torrent's figures that its own <see cref="ManagedTorrent.Version"/> does not cover (its place in the queue, the
    /// defaults it takes) may have changed since a smaller value was read.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Every torrent, oldest first, as <see cref="All"/>, made again only when a torrent was added or removed:
    /// a poll of 10,000 torrents neither sorts them nor holds the list's lock meanwhile.</summary>
    public IReadOnlyList<ManagedTorrent> Listed
    {
        get
        {
            var version = ListVersion; // read first: a list made after a change is kept under the older number, and made again
            var listed = Volatile.Read(ref _listed);
            if (listed.Version == version) return listed.Items;
            var items = All;
            Volatile.Write(ref _listed, new ListedTorrents(version, items));
            return items;
        }
    }
}
