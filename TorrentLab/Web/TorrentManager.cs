using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Web;

/// <summary>The web interface's torrents: add, start, pause and remove them, and keep the list across restarts.</summary>
/// <remarks>Every download goes below the downloads folder (the torrent's name is the file or top folder inside it);
/// no request can choose another place. Two torrents may not share a name, so they never write the same files.</remarks>
internal sealed class TorrentManager : IAsyncDisposable
{
    private readonly Dictionary<string, ManagedTorrent> _torrents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly WebServerOptions _options;
    private readonly TorrentListStore _store;
    private int _listVersion;

    private TorrentManager(WebServerOptions options)
    {
        _options = options;
        Downloads = TorrentClient.FolderPath(options.Downloads);
        _store = new TorrentListStore(Downloads);
    }

    /// <summary>The downloads folder, absolute.</summary>
    public string Downloads { get; }

    /// <summary>Grows when a torrent is added or removed.</summary>
    public int ListVersion => Volatile.Read(ref _listVersion);

    /// <summary>Loads the saved list and resumes the torrents that were running.</summary>
    public static TorrentManager Open(WebServerOptions options)
    {
        var manager = new TorrentManager(options);
        Directory.CreateDirectory(manager.Downloads);
        foreach (var entry in manager._store.Load())
        {
            var torrent = Torrent.Load(manager._store.TorrentPath(entry.InfoHash));
            var managed = manager.Track(torrent, entry.AddedAt);
            lock (manager._lock) manager._torrents[managed.InfoHash] = managed;
            if (entry.Running) managed.Start(manager.OptionsFor());
        }
        return manager;
    }

    /// <summary>Every torrent, oldest first.</summary>
    public IReadOnlyList<ManagedTorrent> All
    {
        get { lock (_lock) return [.. _torrents.Values.OrderBy(t => t.AddedAt).ThenBy(t => t.InfoHash, StringComparer.Ordinal)]; }
    }

    /// <exception cref="WebApiException">404: no torrent has this info hash.</exception>
    public ManagedTorrent Get(string infoHash)
    {
        lock (_lock)
            return _torrents.GetValueOrDefault(infoHash.ToLowerInvariant())
                ?? throw new WebApiException(404, $"no torrent with info hash '{infoHash}'");
    }

    /// <summary>Adds a torrent from its .torrent bytes, keeps a copy, and starts it when asked.</summary>
    /// <exception cref="Bencode.BencodeException">Not bencode (the message has the byte offset).</exception>
    /// <exception cref="MetainfoException">Not a valid torrent (the message has the key path).</exception>
    /// <exception cref="WebApiException">409: already added, or another torrent has the same name.</exception>
    /// <exception cref="ForeignFileException">409: with <paramref name="start"/>, a file not this torrent's data is in the way.</exception>
    public async Task<ManagedTorrent> AddAsync(byte[] bytes, bool start, CancellationToken ct = default)
    {
        var torrent = Torrent.Parse(bytes);
        if (start) await CheckFilesAsync(torrent, ct).ConfigureAwait(false);
        ManagedTorrent managed;
        lock (_lock)
        {
            if (_torrents.ContainsKey(torrent.InfoHash.Hex))
                throw new WebApiException(409, $"torrent '{torrent.Name}' ({torrent.InfoHash.Hex}) is already added");
            if (_torrents.Values.FirstOrDefault(t => string.Equals(t.Torrent.Name, torrent.Name, StringComparison.Ordinal)) is { } same)
                throw new WebApiException(409, $"another torrent ({same.InfoHash}) already downloads to '{torrent.Name}'");
            _store.SaveTorrent(torrent.InfoHash.Hex, bytes);
            managed = Track(torrent, DateTimeOffset.UtcNow);
            _torrents[managed.InfoHash] = managed;
            Interlocked.Increment(ref _listVersion);
        }
        if (start) managed.Start(OptionsFor());
        Save();
        return managed;
    }

    /// <exception cref="ForeignFileException">409: a file not this torrent's data is in the way.</exception>
    public async Task StartAsync(ManagedTorrent torrent, CancellationToken ct = default)
    {
        if (torrent.State is TorrentState.Paused or TorrentState.Failed) await CheckFilesAsync(torrent.Torrent, ct).ConfigureAwait(false);
        torrent.Start(OptionsFor());
        Save();
    }

    /// <summary>Refuses, before anything starts, a download that would resize or write a file it did not create
    /// (the engine checks again when it opens its files).</summary>
    private Task CheckFilesAsync(Torrent torrent, CancellationToken ct) =>
        FileOwnership.Read(torrent, Downloads).CheckAsync(verified: null, overwrite: false, ct);

    public async Task PauseAsync(ManagedTorrent torrent)
    {
        await torrent.PauseAsync().ConfigureAwait(false);
        Save();
    }

    /// <summary>Stops and forgets a torrent; with <paramref name="deleteData"/>, also deletes its files and ledger.</summary>
    public async Task RemoveAsync(ManagedTorrent torrent, bool deleteData)
    {
        await torrent.PauseAsync().ConfigureAwait(false);
        lock (_lock)
        {
            if (!_torrents.Remove(torrent.InfoHash)) return;
            Interlocked.Increment(ref _listVersion);
        }
        Save();
        _store.DeleteTorrent(torrent.InfoHash);
        if (deleteData) TorrentClient.DeleteData(torrent.Torrent, Downloads);
    }

    private ManagedTorrent Track(Torrent torrent, DateTimeOffset addedAt)
    {
        // What is verified already: the ledger when it can be trusted (a stale one is re-checked by the engine on start).
        return new ManagedTorrent(torrent, addedAt, TorrentClient.PiecesOnDisk(torrent, Downloads)) { StateChanged = _ => Save() };
    }

    private DownloadOptions OptionsFor()
    {
        var options = new DownloadOptions { OutputDirectory = Downloads, MaxPeers = _options.MaxPeers, ListenPort = 0 };
        return _options.ConfigureDownload?.Invoke(options) ?? options;
    }

    private void Save() =>
        _store.Save([.. All.Select(t => new TorrentEntry(t.InfoHash, t.Torrent.Name, t.AddedAt, t.WantsRunning))]);

    /// <summary>Pauses every running torrent (each saves its ledger) but keeps them marked as running, so they resume
    /// when the server starts again.</summary>
    public async ValueTask DisposeAsync()
    {
        var running = All.Where(t => t.State == TorrentState.Downloading).ToList();
        await Task.WhenAll(running.Select(t => t.StopForShutdownAsync())).ConfigureAwait(false);
    }
}
