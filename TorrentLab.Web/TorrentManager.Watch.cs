using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>The watch folder of the server (<c>--watch</c>, the saved settings): what is dropped there is added and
/// started (<see cref="WatchFolder"/>).</summary>
internal sealed partial class TorrentManager
{
    private WatchFolder? _watch;
    private readonly Lock _watchLock = new();

    /// <summary>Starts watching the folder the settings name (at start, and after a change).</summary>
    private void StartWatch()
    {
        var settings = Settings;
        WatchFolder? old;
        lock (_watchLock)
        {
            old = _watch;
            _watch = settings.WatchFolder is { } folder
                ? new WatchFolder(folder, settings.WatchDelete == true, _options.MaxTorrentBytes, AddWatchedAsync, _options.Clock, _options.Log)
                : null;
            _watch?.Start();
        }
        if (old is not null) _ = old.DisposeAsync().AsTask();
        if (settings.WatchFolder is { } watched)
            _options.Log?.Invoke($"watch folder: {watched} (each .torrent or .magnet file is added, then {(settings.WatchDelete == true ? "deleted" : "renamed .added")})");
    }

    /// <summary>Sets the watch folder (an absolute path to an existing folder; "" none) and whether added files are
    /// deleted rather than renamed <c>.added</c>; null leaves each as it is. Saved, and in force at once.</summary>
    /// <exception cref="WebApiException">400: not an absolute path, not a folder, or inside TorrentLab's own state folder.</exception>
    public void SetWatch(string? folder, bool? delete)
    {
        if (folder is { Length: > 0 }) CheckWatchFolder(folder);
        _settings.Change(s => s with
        {
            WatchFolder = folder is null ? s.WatchFolder : folder.Length == 0 ? null : Path.GetFullPath(folder),
            WatchDelete = delete ?? s.WatchDelete,
        });
        StartWatch();
        Save();
    }

    /// <exception cref="WebApiException">400, as <see cref="SetWatch"/>.</exception>
    public void CheckWatchFolder(string folder)
    {
        if (!Path.IsPathFullyQualified(folder)) throw new WebApiException(400, $"the watch folder must be an absolute path, got '{UntrustedText.Clean(folder, 120)}'");
        if (!Directory.Exists(folder)) throw new WebApiException(400, $"the watch folder {UntrustedText.Clean(folder, 120)} is not a folder");
        var state = Path.Combine(Downloads, TorrentClient.StateFolder);
        var full = Path.GetFullPath(folder);
        if (full == state || full.StartsWith(state + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new WebApiException(400, $"the watch folder cannot be inside TorrentLab's own {TorrentClient.StateFolder} folder");
    }

    /// <summary>On reload: the watch folder of the file, when it changed.</summary>
    private IEnumerable<string> ReloadWatch(WebSettings saved)
    {
        var now = Settings;
        if (saved.WatchFolder == now.WatchFolder && (saved.WatchDelete == true) == (now.WatchDelete == true)) return [];
        try
        {
            SetWatch(saved.WatchFolder ?? "", saved.WatchDelete ?? false);
            return [$"reload: watch folder {saved.WatchFolder ?? "none"}"];
        }
        catch (WebApiException e) { return [$"warning: reload: watch folder: {e.Message}; the folder watched stays"]; }
    }

    /// <summary>Adds and starts what a watched file holds: a .torrent, or the magnet link of a .magnet file (its
    /// metadata fetched from peers first).</summary>
    private async Task AddWatchedAsync(WatchedFile file, CancellationToken ct)
    {
        if (file.Bytes.Length > _options.MaxTorrentBytes)
            throw new WebApiException(413, $"larger than the limit of {_options.MaxTorrentBytes} bytes");
        if (!file.IsMagnet)
        {
            await AddAsync(file.Bytes, start: true, [], null, ct).ConfigureAwait(false);
            return;
        }
        var link = file.Link;
        if (!TorrentClient.IsMagnet(link)) throw new WebApiException(400, "its first line is not a magnet link");
        if (RemoteLinks.MagnetHash(link) is { } hash && Find(hash) is { } present)
            throw new WebApiException(409, $"torrent '{present.Torrent.Name}' ({present.InfoHash}) is already added");
        var (bytes, peers) = await RemoteLinks.FetchAsync(this, _options, link, ct, serverPaths: false).ConfigureAwait(false);
        await AddAsync(bytes, start: true, peers, null, ct).ConfigureAwait(false);
    }

    private async Task StopWatchAsync()
    {
        WatchFolder? watch;
        lock (_watchLock) (watch, _watch) = (_watch, null);
        if (watch is not null) await watch.DisposeAsync().ConfigureAwait(false);
    }
}
