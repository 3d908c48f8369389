using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>The watch folder of the server (<c>--watch</c>, the saved settings): what is dropped there is added and
/// started (<see cref="WatchFolder"/>), and a change of the setting watches the new folder at once.</summary>
/// <param name="torrents">The list watched files are added to.</param>
/// <param name="options">The largest .torrent file taken, the clock and the log.</param>
/// <param name="settings">The settings in force: the folder, and whether an added file is deleted.</param>
/// <param name="save">Saves the list (with the settings) after a change.</param>
internal sealed class ServerWatchFolder(TorrentManager torrents, WebServerOptions options, ServerSettings settings, Action save)
{
    private WatchFolder? _watch;
    private readonly Lock _lock = new();

    /// <summary>Starts watching the folder the settings name (at start, and after a change).</summary>
    public void Start()
    {
        var current = settings.Current;
        WatchFolder? old;
        lock (_lock)
        {
            old = _watch;
            _watch = current.WatchFolder is { } folder
                ? new WatchFolder(folder, current.WatchDelete == true, options.MaxTorrentBytes, AddWatchedAsync, options.Clock, options.Log)
                : null;
            _watch?.Start();
        }
        if (old is not null) _ = old.DisposeAsync().AsTask();
        if (current.WatchFolder is { } watched)
            options.Log?.Invoke($"watch folder: {watched} (each .torrent or .magnet file is added, then {(current.WatchDelete == true ? "deleted" : "renamed .added")})");
    }

    /// <summary>Sets the watch folder (an absolute path to an existing folder; "" none) and whether added files are
    /// deleted rather than renamed <c>.added</c>; null leaves each as it is. Saved, and in force at once.</summary>
    /// <exception cref="WebApiException">400: not an absolute path, not a folder, or inside TorrentLab's own state folder.</exception>
    public void Set(string? folder, bool? delete)
    {
        if (folder is { Length: > 0 }) CheckFolder(folder);
        settings.Change(s => s with
        {
            WatchFolder = folder is null ? s.WatchFolder : folder.Length == 0 ? null : Path.GetFullPath(folder),
            WatchDelete = delete ?? s.WatchDelete,
        });
        Start();
        save();
    }

    /// <exception cref="WebApiException">400, as <see cref="Set"/>.</exception>
    public void CheckFolder(string folder)
    {
        if (!Path.IsPathFullyQualified(folder)) throw new WebApiException(400, $"the watch folder must be an absolute path, got '{UntrustedText.Clean(folder, 120)}'");
        if (!Directory.Exists(folder)) throw new WebApiException(400, $"the watch folder {UntrustedText.Clean(folder, 120)} is not a folder");
        var state = Path.Combine(torrents.Downloads, TorrentClient.StateFolder);
        var full = Path.GetFullPath(folder);
        if (full == state || full.StartsWith(state + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new WebApiException(400, $"the watch folder cannot be inside TorrentLab's own {TorrentClient.StateFolder} folder");
    }

    /// <summary>On reload: the watch folder of the file, when it changed.</summary>
    public IEnumerable<string> Reload(WebSettings saved)
    {
        var now = settings.Current;
        if (saved.WatchFolder == now.WatchFolder && (saved.WatchDelete == true) == (now.WatchDelete == true)) return [];
        try
        {
            Set(saved.WatchFolder ?? "", saved.WatchDelete ?? false);
            return [$"reload: watch folder {saved.WatchFolder ?? "none"}"];
        }
        catch (WebApiException e) { return [$"warning: reload: watch folder: {e.Message}; the folder watched stays"]; }
    }

    /// <summary>Adds and starts what a watched file holds: a .torrent, or the magnet link of a .magnet file (its
    /// metadata fetched from peers first).</summary>
    private async Task AddWatchedAsync(WatchedFile file, CancellationToken ct)
    {
        if (file.Bytes.Length > options.MaxTorrentBytes)
            throw new WebApiException(413, $"larger than the limit of {options.MaxTorrentBytes} bytes");
        if (!file.IsMagnet)
        {
            await torrents.AddAsync(file.Bytes, start: true, [], null, ct).ConfigureAwait(false);
            return;
        }
        var link = file.Link;
        if (!TorrentClient.IsMagnet(link)) throw new WebApiException(400, "its first line is not a magnet link");
        if (RemoteLinks.MagnetHash(link) is { } hash && torrents.Find(hash) is { } present)
            throw new WebApiException(409, $"torrent '{present.Torrent.Name}' ({present.InfoHash}) is already added");
        var (bytes, peers) = await RemoteLinks.FetchAsync(torrents, options, link, ct, serverPaths: false).ConfigureAwait(false);
        await torrents.AddAsync(bytes, start: true, peers, null, ct).ConfigureAwait(false);
    }

    /// <summary>Stops watching (first, when the server stops).</summary>
    public async Task StopAsync()
    {
        WatchFolder? watch;
        lock (_lock) (watch, _watch) = (_watch, null);
        if (watch is not null) await watch.DisposeAsync().ConfigureAwait(false);
    }
}
