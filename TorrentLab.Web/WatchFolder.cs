namespace TorrentLab.Web;

/// <summary>A watch folder (Transmission's <c>watch-dir</c>, qBittorrent's monitored folder): each <c>.torrent</c>
/// (and <c>.magnet</c>, a text file holding a magnet link) put there is added once it has stopped growing, then renamed
/// <c>NAME.added</c> (or deleted); a file that is not a torrent is renamed <c>NAME.invalid</c>, with one log line.
/// Only regular files are taken: a symbolic link, a FIFO, a device or a socket, and a file larger than the limit, are
/// renamed <c>NAME.invalid</c> unread (<see cref="WatchedFileReader"/>).</summary>
/// <remarks>
/// <para>The folder is polled (every <see cref="Interval"/>), not watched with inotify (FileSystemWatcher): a file is
/// taken only once its size and last write time have stayed the same for <see cref="StableFor"/>, which needs a look
/// at the folder after a quiet interval whatever woke us, and a poll is that look. A poll also sees files already
/// there at start, works on network file systems (where inotify sees nothing of another host's writes), needs no
/// inotify watch of the user's limit, loses no event to an overflow, and runs on the server's clock, which a test
/// moves by hand. The cost is a pickup within seconds rather than at once, which a watch folder does not need.</para>
/// <para>A file still being written (a browser's download, a copy over the network) grows or is rewritten, so it is
/// never read half-written unless the writer pauses longer than <see cref="StableFor"/>; a .torrent read whole but cut
/// short is refused as invalid bencode, renamed <c>.invalid</c>, and not taken again.</para>
/// <para>Nothing a file is or holds stops the watching: a failure is logged once and the next look goes on, and every
/// wait (a read, an add, a magnet link's metadata) ends when the watching stops.</para>
/// </remarks>
internal sealed class WatchFolder : IAsyncDisposable
{
    /// <summary>Between two looks at the folder.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>How long a file must keep its size and time before it is read: a writer's pause longer than this is rare.</summary>
    public static readonly TimeSpan StableFor = TimeSpan.FromSeconds(3);

    private readonly Dictionary<string, (long Length, DateTime Written, DateTimeOffset Since)> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<(string Path, long Length, DateTime Written)> _failed = [];
    private readonly Func<WatchedFile, CancellationToken, Task> _add;
    private readonly TimeProvider _clock;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private string? _lastLoopError;
    private Task _loop = Task.CompletedTask;

    /// <param name="folder">The absolute folder watched.</param>
    /// <param name="deleteAdded">Delete a file once added (qBittorrent's choice) instead of renaming it <c>.added</c>.</param>
    /// <param name="maxBytes">The largest file read; a larger one is renamed <c>.invalid</c> unread.</param>
    /// <param name="add">Adds what a file holds; throws <see cref="WebApiException"/> 400 (or a torrent parse error) for a
    /// file that is not a torrent, 409 for a torrent added already.</param>
    /// <param name="clock">The clock of the polls and of <see cref="StableFor"/>.</param>
    /// <param name="log">One line per file added, refused or failed.</param>
    public WatchFolder(string folder, bool deleteAdded, long maxBytes, Func<WatchedFile, CancellationToken, Task> add, TimeProvider clock, Action<string>? log)
    {
        Folder = folder;
        DeleteAdded = deleteAdded;
        MaxBytes = maxBytes;
        _add = add;
        _clock = clock;
        _log = log;
    }

    public string Folder { get; }
    public bool DeleteAdded { get; }
    public long MaxBytes { get; }

    /// <summary>Looks at the folder every <see cref="Interval"/> until disposed.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(ct).ConfigureAwait(false);
                _lastLoopError = null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // Whatever went wrong (a bug of ours included), the watching goes on: said once, tried at the next look.
                var line = $"warning: watch folder {Folder}: {e.GetType().Name}: {e.Message}; looked at again every {Interval.TotalSeconds:0} s";
                if (line != _lastLoopError) _log?.Invoke(line);
                _lastLoopError = line;
            }
            try
            {
                await Task.Delay(Interval, _clock, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        }
    }

    /// <summary>One look: notes each file's size and time, and adds those unchanged for <see cref="StableFor"/>.</summary>
    public async Task ScanAsync(CancellationToken ct)
    {
        List<FileInfo> files;
        try
        {
            files = [.. new DirectoryInfo(Folder).EnumerateFiles().Where(f => IsWatched(f.Name))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_failed.Add((Folder, -1, default))) _log?.Invoke($"warning: watch folder {Folder}: {e.Message}");
            return;
        }
        _failed.Remove((Folder, -1, default));
        var now = _clock.GetUtcNow();
        foreach (var gone in _seen.Keys.Except(files.Select(f => f.FullName)).ToList()) _seen.Remove(gone);
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            long length;
            DateTime written;
            try
            {
                (length, written) = (file.Length, file.LastWriteTimeUtc);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                length = -1; // gone since the listing, or a link to nothing: the read says which
                written = default;
            }
            if (!_seen.TryGetValue(file.FullName, out var seen) || seen.Length != length || seen.Written != written)
            {
                _seen[file.FullName] = (length, written, now); // new, or still being written: wait until it keeps still
                continue;
            }
            if (now - seen.Since < StableFor || _failed.Contains((file.FullName, length, written))) continue;
            await TakeAsync(file, ct).ConfigureAwait(false);
        }
    }

    private static bool IsWatched(string name) =>
        name.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".magnet", StringComparison.OrdinalIgnoreCase);

    private async Task TakeAsync(FileInfo file, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await WatchedFileReader.ReadAsync(file.FullName, MaxBytes, ct).ConfigureAwait(false);
        }
        catch (WatchedFileException e)
        {
            Done(file, ".invalid", $"warning: watch folder: {file.Name} is refused ({e.Message}); renamed {file.Name}.invalid", invalid: true);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(file, $"cannot be read ({e.Message})");
            return;
        }
        var magnet = file.Name.EndsWith(".magnet", StringComparison.OrdinalIgnoreCase);
        try
        {
            await _add(new WatchedFile(file.Name, bytes, magnet), ct).ConfigureAwait(false);
            Done(file, ".added", $"watch folder: added {file.Name}");
        }
        catch (WebApiException e) when (e.StatusCode == 409 && e.Message.Contains("already added", StringComparison.Ordinal))
        {
            Done(file, ".added", $"watch folder: {file.Name} is added already");
        }
        catch (Exception e) when (IsInvalid(e))
        {
            Done(file, ".invalid", $"warning: watch folder: {file.Name} is not a torrent ({e.Message}); renamed {file.Name}.invalid", invalid: true);
        }
        catch (Exception e) when (e is WebApiException or TorrentLabException or IOException or UnauthorizedAccessException)
        {
            Failed(file, e.Message); // a place taken, a full disk, no peer for a magnet link: tried again once the file changes
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failed(file, $"{e.GetType().Name}: {e.Message}"); // a failure nobody foresaw: this file waits, the others go on
        }
    }

    private static bool IsInvalid(Exception e) =>
        e is Bencode.BencodeException or Metainfo.MetainfoException or Magnet.MagnetException
        || (e is WebApiException { StatusCode: 400 or 413 });

    /// <summary>Renames (or with <see cref="DeleteAdded"/>, deletes an added file) and says so once.</summary>
    private void Done(FileInfo file, string suffix, string line, bool invalid = false)
    {
        _seen.Remove(file.FullName);
        try
        {
            if (DeleteAdded && !invalid) file.Delete();
            else file.MoveTo(file.FullName + suffix, overwrite: true);
            _log?.Invoke(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(file, $"{line}, but it could not be {(DeleteAdded && !invalid ? "deleted" : "renamed")} ({e.Message})");
        }
    }

    /// <summary>Logs a failure once, and leaves the file alone until it changes.</summary>
    private void Failed(FileInfo file, string why)
    {
        var key = (file.FullName, 0L, default(DateTime));
        try
        {
            file.Refresh();
            if (file.Exists) key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // as a file gone: the key above
        if (_failed.Add(key)) _log?.Invoke($"warning: watch folder: {file.Name}: {why}; it is tried again once it changes");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>A file found in the watch folder: a .torrent's bytes, or a .magnet file's text.</summary>
internal sealed record WatchedFile(string Name, byte[] Bytes, bool IsMagnet)
{
    /// <summary>A .magnet file's link: its first line that is not blank, trimmed ("" when none).</summary>
    public string Link => System.Text.Encoding.UTF8.GetString(Bytes).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
}
