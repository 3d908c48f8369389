using TorrentLab.Client;
using TorrentLab.Tracker;

namespace TorrentLab.Web;

/// <summary>The server's blocklist (Transmission's <c>blocklist-*</c>, qBittorrent's IP filter): one list the session
/// reads at every dial and accept, loaded at start from the copy kept of the last update, replaced by an update from
/// its source (a file on the server or an http(s) URL), emptied when turned off.</summary>
internal sealed partial class TorrentManager
{
    private readonly SemaphoreSlim _blocklistGate = new(1, 1);

    /// <summary>The largest blocklist read, from a URL or a file on the server: 64 MiB, as the command line's
    /// <c>--blocklist</c> (the largest public lists are about 10 MiB as text, 3 MiB gzipped).</summary>
    internal const long MaxBlocklistBytes = 64L * 1024 * 1024;

    /// <summary>The list the session refuses addresses from (empty while off).</summary>
    public IpBlocklist Blocklist { get; } = new();

    /// <summary>The copy of the last list read from the source: what a start loads, without the network.</summary>
    private string BlocklistCopy => Path.Combine(_store.Folder, "blocklist");

    /// <summary>At start, with the list on: the source given on the command line is read now (a start with a list
    /// that cannot be read fails, saying why); else the copy kept of the saved source's last read, or, without one,
    /// the source, read in the background (the server starts meanwhile, and the outcome is logged).</summary>
    /// <exception cref="WebApiException">The list given on the command line cannot be read or is not a blocklist.</exception>
    private void StartBlocklist()
    {
        if (Settings.BlocklistEnabled != true || Settings.Blocklist is not { } source) return;
        if (_options.Blocklist is not null && _store.LoadedSettings?.Blocklist != source)
        {
            UpdateBlocklistAsync(CancellationToken.None).GetAwaiter().GetResult(); // Open runs on a pool thread: no context to block
            return;
        }
        if (File.Exists(BlocklistCopy))
        {
            try
            {
                using var copy = File.OpenRead(BlocklistCopy);
                var read = Blocklist.Load(copy);
                _blocklistRanges = read.Ranges;
                _options.Log?.Invoke($"blocklist: {read} (the copy of {ShownSource(source)})");
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or BlocklistException)
            {
                _options.Log?.Invoke($"warning: blocklist: the kept copy cannot be read ({e.Message}); reading {ShownSource(source)} again");
            }
        }
        _ = Task.Run(async () =>
        {
            try { await UpdateBlocklistAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (WebApiException e) { _options.Log?.Invoke($"warning: {e.Message}; no address is blocked until an update succeeds"); }
        });
    }

    /// <summary>Reads the list again from its source, keeps a copy and puts it in force (when the list is on). Malformed
    /// lines are skipped, and logged once with their count.</summary>
    /// <returns>What was read.</returns>
    /// <exception cref="WebApiException">400: no source is set, or it is not a blocklist; 502: the URL or file could
    /// not be read. The list in force stays as it was.</exception>
    public async Task<BlocklistLoad> UpdateBlocklistAsync(CancellationToken ct)
    {
        var source = Settings.Blocklist ?? throw new WebApiException(400, "no blocklist is set: give its URL or file first (blocklist-url, ip_filter_path, --blocklist)");
        await _blocklistGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            byte[] bytes;
            try
            {
                bytes = Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                    ? await TorrentClient.FetchTorrentFileAsync(source, MaxBlocklistBytes, _options.Proxy, ct).ConfigureAwait(false)
                    : await ReadCappedAsync(source, ct).ConfigureAwait(false);
            }
            catch (TorrentUrlException e) { throw new WebApiException(e.Refused ? 400 : 502, $"blocklist: {e.Message}"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new WebApiException(502, $"blocklist: {(e is FileNotFoundException ? $"no such file {source}" : e.Message)}");
            }
            var fresh = new IpBlocklist();
            BlocklistLoad read;
            try { read = fresh.Load(new MemoryStream(bytes, writable: false)); }
            catch (BlocklistException e) { throw new WebApiException(400, $"blocklist {ShownSource(source)}: {e.Message}"); }
            await AtomicFile.WriteAsync(BlocklistCopy, bytes, ct).ConfigureAwait(false);
            if (Settings.BlocklistEnabled == true) Blocklist.Load(new MemoryStream(bytes, writable: false));
            _blocklistRanges = read.Ranges;
            _options.Log?.Invoke($"blocklist {ShownSource(source)}: {read}");
            return read;
        }
        finally
        {
            _blocklistGate.Release();
        }
    }

    /// <summary>Ranges of the last list read (in force or not): Transmission's <c>blocklist-size</c>.</summary>
    public int BlocklistSize => Blocklist.RangeCount > 0 ? Blocklist.RangeCount : _blocklistRanges;
    private int _blocklistRanges;

    /// <summary>Sets the list's source and whether it is on (null leaves each as it is), and saves them. A new source is
    /// read at once; turning the list on loads the kept copy (or reads the source); turning it off empties it.</summary>
    /// <exception cref="WebApiException">400: a source that is neither an absolute file path nor an http(s) URL, no
    /// source to turn on, or a source that is not a blocklist; 502: it could not be read. Nothing changes then.</exception>
    public async Task SetBlocklistAsync(string? source, bool? enabled, CancellationToken ct)
    {
        if (source is not null && source.Length > 0 && !IsBlocklistSource(source))
            throw new WebApiException(400, $"a blocklist is an http(s) URL or the absolute path of a file on the server, got '{UntrustedText.Clean(source, 120)}'");
        var before = Settings;
        var newSource = source is null ? before.Blocklist : source.Length == 0 ? null : source;
        var on = enabled ?? before.BlocklistEnabled ?? false;
        if (on && newSource is null) throw new WebApiException(400, "the blocklist cannot be turned on without its URL or file");
        _settings.Change(s => s with { Blocklist = newSource, BlocklistEnabled = on });
        try
        {
            if (!on) Blocklist.Clear();
            else if (newSource != before.Blocklist || !File.Exists(BlocklistCopy)) await UpdateBlocklistAsync(ct).ConfigureAwait(false);
            else if (before.BlocklistEnabled != true)
            {
                await using var copy = File.OpenRead(BlocklistCopy);
                _options.Log?.Invoke($"blocklist: {Blocklist.Load(copy)} (the copy of {ShownSource(newSource!)})");
            }
        }
        catch
        {
            _settings.Change(s => s with { Blocklist = before.Blocklist, BlocklistEnabled = before.BlocklistEnabled });
            throw;
        }
        Save();
    }

    /// <summary>An http(s) URL, or an absolute path (a file on the server, as qBittorrent's <c>ip_filter_path</c>).</summary>
    public static bool IsBlocklistSource(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme is "http" or "https" || (uri.IsFile && Path.IsPathFullyQualified(source)));

    private static async Task<byte[]> ReadCappedAsync(string path, CancellationToken ct)
    {
        if (new FileInfo(path) is { Exists: true, Length: var length } && length > MaxBlocklistBytes)
            throw new IOException($"{path} is larger than the limit of {MaxBlocklistBytes} bytes");
        return await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
    }

    private static string ShownSource(string source) => UntrustedText.Clean(source, 120);
}
