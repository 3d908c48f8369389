using TorrentLab.Client;
using TorrentLab.Tracker;

namespace TorrentLab.Web;

/// <summary>The server's blocklist (Transmission's <c>blocklist-*</c>, qBittorrent's IP filter): one list the session
/// reads at every dial and accept, loaded at start from the copy kept of the last update, replaced by an update from
/// its source (a file on the server or an http(s) URL), emptied when turned off.</summary>
/// <param name="options">The command line's list and the log.</param>
/// <param name="stateFolder">TorrentLab's own folder, where the copy of the last list read is kept.</param>
/// <param name="settings">The settings in force: the list's source and whether it is on.</param>
/// <param name="save">Saves the list of torrents (with the settings) after a change.</param>
/// <param name="session">The session a URL is fetched through (its interface or proxy, as its trackers).</param>
internal sealed class ServerBlocklist(WebServerOptions options, string stateFolder, ServerSettings settings, Action save, Func<TorrentSession> session)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The largest blocklist read, from a URL or a file on the server: 64 MiB, as the command line's
    /// <c>--blocklist</c> (the largest public lists are about 10 MiB as text, 3 MiB gzipped).</summary>
    internal const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>The list the session refuses addresses from (empty while off).</summary>
    public IpBlocklist List { get; } = new();

    /// <summary>The copy of the last list read from the source: what a start loads, without the network.</summary>
    private string Copy => Path.Combine(stateFolder, "blocklist");

    /// <summary>At start, with the list on: the source given on the command line is read now (a start with a list
    /// that cannot be read fails, saying why); else the copy kept of the saved source's last read, or, without one,
    /// the source, read in the background (the server starts meanwhile, and the outcome is logged).</summary>
    /// <param name="savedSource">The source the last run saved.</param>
    /// <exception cref="WebApiException">The list given on the command line cannot be read or is not a blocklist.</exception>
    public void Start(string? savedSource)
    {
        var current = settings.Current;
        if (current.BlocklistEnabled != true || current.Blocklist is not { } source) return;
        if (options.Blocklist is not null && savedSource != source)
        {
            UpdateAsync(CancellationToken.None).GetAwaiter().GetResult(); // Open runs on a pool thread: no context to block
            return;
        }
        if (File.Exists(Copy))
        {
            try
            {
                using var copy = File.OpenRead(Copy);
                var read = List.Load(copy);
                _ranges = read.Ranges;
                options.Log?.Invoke($"blocklist: {read} (the copy of {ShownSource(source)})");
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or BlocklistException)
            {
                options.Log?.Invoke($"warning: blocklist: the kept copy cannot be read ({e.Message}); reading {ShownSource(source)} again");
            }
        }
        _ = Task.Run(async () =>
        {
            try { await UpdateAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (WebApiException e) { options.Log?.Invoke($"warning: {e.Message}; no address is blocked until an update succeeds"); }
        });
    }

    /// <summary>Reads the list again from its source, keeps a copy and puts it in force (when the list is on). Malformed
    /// lines are skipped, and logged once with their count.</summary>
    /// <returns>What was read.</returns>
    /// <exception cref="WebApiException">400: no source is set, or it is not a blocklist; 502: the URL or file could
    /// not be read. The list in force stays as it was.</exception>
    public async Task<BlocklistLoad> UpdateAsync(CancellationToken ct)
    {
        var source = settings.Current.Blocklist ?? throw new WebApiException(400, "no blocklist is set: give its URL or file first (blocklist-url, ip_filter_path, --blocklist)");
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            byte[] bytes;
            try
            {
                bytes = Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                    ? await session().FetchAsync(source, MaxBytes, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false) // as the command line's --blocklist
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
            await AtomicFile.WriteAsync(Copy, bytes, ct).ConfigureAwait(false);
            if (settings.Current.BlocklistEnabled == true) List.Load(new MemoryStream(bytes, writable: false));
            _ranges = read.Ranges;
            options.Log?.Invoke($"blocklist {ShownSource(source)}: {read}");
            return read;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ranges of the last list read (in force or not): Transmission's <c>blocklist-size</c>.</summary>
    public int Size => List.RangeCount > 0 ? List.RangeCount : _ranges;
    private int _ranges;

    /// <summary>Sets the list's source and whether it is on (null leaves each as it is), and saves them. A new source is
    /// read at once; turning the list on loads the kept copy (or reads the source); turning it off empties it.</summary>
    /// <exception cref="WebApiException">400: a source that is neither an absolute file path nor an http(s) URL, no
    /// source to turn on, or a source that is not a blocklist; 502: it could not be read. Nothing changes then.</exception>
    public async Task SetAsync(string? source, bool? enabled, CancellationToken ct)
    {
        if (source is not null && source.Length > 0 && !IsSource(source))
            throw new WebApiException(400, $"a blocklist is an http(s) URL or the absolute path of a file on the server, got '{UntrustedText.Clean(source, 120)}'");
        var before = settings.Current;
        var newSource = source is null ? before.Blocklist : source.Length == 0 ? null : source;
        var on = enabled ?? before.BlocklistEnabled ?? false;
        if (on && newSource is null) throw new WebApiException(400, "the blocklist cannot be turned on without its URL or file");
        settings.Change(s => s with { Blocklist = newSource, BlocklistEnabled = on });
        try
        {
            if (!on) List.Clear();
            else if (newSource != before.Blocklist || !File.Exists(Copy)) await UpdateAsync(ct).ConfigureAwait(false);
            else if (before.BlocklistEnabled != true)
            {
                await using var copy = File.OpenRead(Copy);
                options.Log?.Invoke($"blocklist: {List.Load(copy)} (the copy of {ShownSource(newSource!)})");
            }
        }
        catch
        {
            settings.Change(s => s with { Blocklist = before.Blocklist, BlocklistEnabled = before.BlocklistEnabled });
            throw;
        }
        save();
    }

    /// <summary>An http(s) URL, or an absolute path (a file on the server, as qBittorrent's <c>ip_filter_path</c>).</summary>
    public static bool IsSource(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme is "http" or "https" || (uri.IsFile && Path.IsPathFullyQualified(source)));

    private static async Task<byte[]> ReadCappedAsync(string path, CancellationToken ct)
    {
        if (new FileInfo(path) is { Exists: true, Length: var length } && length > MaxBytes)
            throw new IOException($"{path} is larger than the limit of {MaxBytes} bytes");
        return await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
    }

    /// <summary>A source as a log line or a message may show it.</summary>
    public static string ShownSource(string source) => UntrustedText.Clean(source, 120);
}
