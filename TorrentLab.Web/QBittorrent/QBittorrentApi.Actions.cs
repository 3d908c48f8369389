using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

// The torrents/* routes that change something: add, the actions on torrents, file priorities and categories.
internal sealed partial class QBittorrentApi
{
    /// <summary>Torrents of one add request whose files are checked at the same time.</summary>
    private const int ChecksAtOnce = 2;

    /// <summary>torrents/add: <c>urls</c> (one per line: magnet links or http/https URLs) and uploaded .torrent files;
    /// <c>paused</c> (or v5's <c>stopped</c>), <c>category</c> (created when new), <c>skip_checking</c> (data there at
    /// full size is taken as complete without hashing), <c>savepath</c>, which must be inside the downloads folder, and
    /// the rest of <see cref="AddParameters"/>, each applied or refused with a 400 before anything is fetched.
    /// Answers "Ok." when every one was added (or was there already, as qBittorrent), else 415 "Fails.".</summary>
    private async Task AddAsync(HttpContext context, QBittorrentInput input)
    {
        var ct = context.RequestAborted;
        var folder = input["savepath"];
        _torrents.SaveFolderOf(folder); // 400 for a folder outside, before anything is fetched
        // Neither paused nor stopped named: as the preference says (start_paused_enabled, Transmission's start-added-torrents).
        var start = input["paused"] is null && input["stopped"] is null ? _torrents.Settings.StartAddedTorrents != false
            : !(input.Flag("paused") || input.Flag("stopped"));
        var skipChecking = input.Flag("skip_checking");
        var settings = ReadAddSettings(input);
        var category = input["category"] is { Length: > 0 } c ? c : null;
        // As qBittorrent, a category named here that does not exist yet is created with the torrent.
        if (category is not null && !TorrentLabels.ValidCategory(category))
            throw new WebApiException(400, $"'{UntrustedText.Clean(category, 40)}' is not a valid category name");
        var sources = new List<Func<Task<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>>>();
        foreach (var file in input.Files) sources.Add(() => Task.FromResult<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>((file, [])));
        foreach (var url in (input["urls"] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TorrentLab.Client.TorrentClient.IsMagnet(url) && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                throw new WebApiException(400, "urls: each line must be a magnet link or an http/https URL");
            sources.Add(() => AlreadyAdded(url) ? Task.FromResult<(byte[], IReadOnlyList<System.Net.IPEndPoint>)>(([], [])) : RemoteLinks.FetchAsync(_torrents, _options, url, ct));
        }
        if (sources.Count == 0) throw new WebApiException(400, "give 'urls' or .torrent files in 'torrents'");
        var failed = 0;
        var torrents = new List<(TorrentLab.Metainfo.Torrent Torrent, byte[] Bytes, IReadOnlyList<System.Net.IPEndPoint> Peers)>();
        var inRequest = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            try
            {
                var (bytes, peers) = await source().ConfigureAwait(false);
                if (bytes.Length == 0) continue; // a magnet link of a torrent already here
                var torrent = TorrentLab.Metainfo.Torrent.Parse(bytes);
                if (_torrents.Find(torrent.InfoHash.Hex) is not null || !inRequest.Add(torrent.InfoHash.Hex)) continue;
                torrents.Add((torrent, bytes, peers));
            }
            catch (Exception e) when (IsRefusal(e))
            {
                failed++;
                LogRefused(e);
            }
        }
        failed += await AddInOrderAsync(torrents, start, category, folder, skipChecking, settings, ct).ConfigureAwait(false);
        if (failed > 0) await TextAsync(context, "Fails.", StatusCodes.Status415UnsupportedMediaType).ConfigureAwait(false);
        else await TextAsync(context, "Ok.").ConfigureAwait(false);
    }

    /// <summary>Adds the torrents in the order given; returns how many failed. Their files are checked
    /// <see cref="ChecksAtOnce"/> at a time, ahead of the add that waits for them: a check mostly waits on system calls
    /// (the ledger and the files' sizes), so one request of 100 torrents used one core of two, one add after another.</summary>
    private async Task<int> AddInOrderAsync(
        IReadOnlyList<(TorrentLab.Metainfo.Torrent Torrent, byte[] Bytes, IReadOnlyList<System.Net.IPEndPoint> Peers)> torrents,
        bool start, string? category, string? folder, bool skipChecking, AddSettings settings, CancellationToken ct)
    {
        var failed = 0;
        // With a category or settings its run reads, the torrent takes them before it starts; without, the add starts it
        // (its files checked once).
        var startNow = start && category is null && !settings.BeforeStart;
        var checks = new Queue<(int Index, Task<PreparedAdd> Check)>();
        var next = 0;
        try
        {
            while (next < torrents.Count || checks.Count > 0)
            {
                for (; next < torrents.Count && checks.Count < ChecksAtOnce; next++)
                {
                    var (torrent, bytes, _) = torrents[next];
                    string place;
                    try { place = _torrents.ReservePlace(torrent, folder); } // in the order given: of two for one place, the first wins
                    catch (Exception e) when (IsRefusal(e))
                    {
                        failed++;
                        LogRefused(e);
                        continue;
                    }
                    // Not cancelled before it runs: a check that runs gives its place back when it fails.
                    checks.Enqueue((next, Task.Run(() => _torrents.CheckReservedAsync(torrent, bytes, place, startNow, skipChecking, ct), CancellationToken.None)));
                }
                if (checks.Count == 0) continue;
                var (index, check) = checks.Dequeue();
                try
                {
                    var added = _torrents.CommitAdd(await check.ConfigureAwait(false), startNow, torrents[index].Peers);
                    if (category is not null) _torrents.Labels.SetCategory(added, category);
                    await ApplyAsync(added, settings, ct).ConfigureAwait(false);
                    if (start && !startNow) await _torrents.StartAsync(added, ct).ConfigureAwait(false);
                    _options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash}) through the qBittorrent API");
                }
                catch (Exception e) when (IsRefusal(e))
                {
                    failed++;
                    LogRefused(e);
                }
            }
        }
        finally
        {
            // Stopped early (the request was cancelled): checks already made give their places back.
            while (checks.TryDequeue(out var left))
            {
                try { _torrents.Abandon(await left.Check.ConfigureAwait(false)); }
                catch (Exception e) when (IsRefusal(e) || e is OperationCanceledException) { }
            }
        }
        return failed;
    }

    /// <summary>What an add refuses one torrent for (the others of the request go on): a bad torrent or URL, a place
    /// taken, a file in the way.</summary>
    private static bool IsRefusal(Exception e) => e is WebApiException or TorrentLabException or IOException;

    private void LogRefused(Exception e) => _options.Log?.Invoke($"qBittorrent API: could not add a torrent: {e.Message}");

    private bool AlreadyAdded(string url) => RemoteLinks.MagnetHash(url) is { } hash && _torrents.Find(hash) is not null;

    private async Task ForEachAsync(HttpContext context, QBittorrentInput input, Func<ManagedTorrent, Task> action)
    {
        var hashes = input["hashes"] ?? input["hash"] ?? throw new WebApiException(400, "give 'hashes': info hashes separated by '|', or 'all'");
        foreach (var torrent in Selected(hashes) ?? []) await action(torrent).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    private Task DeleteAsync(HttpContext context, QBittorrentInput input)
    {
        var delete = input.Flag("deleteFiles");
        return ForEachAsync(context, input, async t =>
        {
            await _torrents.RemoveAsync(t, delete).ConfigureAwait(false);
            _options.Log?.Invoke($"removed '{t.Torrent.Name}'{(delete ? " and its data" : "")} through the qBittorrent API");
        });
    }

    /// <summary>torrents/setCategory: 409 for a category not created first, as qBittorrent; "" clears it.</summary>
    private Task SetCategoryAsync(HttpContext context, QBittorrentInput input)
    {
        var category = input["category"] ?? "";
        if (category.Length > 0 && !_torrents.Labels.Categories.Contains(category))
            throw new WebApiException(409, $"category '{UntrustedText.Clean(category, 40)}' does not exist");
        return ForEachAsync(context, input, t =>
        {
            _torrents.Labels.SetCategory(t, category);
            return Task.CompletedTask;
        });
    }

    /// <summary>torrents/createCategory: 400 without a name, 409 for one that exists or is not valid (qBittorrent's
    /// answers); a savePath other than the downloads folder is refused, as every torrent is downloaded there.</summary>
    private Task CreateCategoryAsync(HttpContext context, QBittorrentInput input)
    {
        var category = input["category"];
        if (string.IsNullOrEmpty(category)) throw new WebApiException(400, "give 'category'");
        if (input["savePath"] is { Length: > 0 } savePath
            && System.IO.Path.TrimEndingDirectorySeparator(savePath) != System.IO.Path.TrimEndingDirectorySeparator(_torrents.Downloads))
            throw new WebApiException(409, "savePath: every torrent of this server is downloaded to its downloads folder; a category cannot have another");
        if (_torrents.Labels.Categories.Contains(category)) throw new WebApiException(409, $"category '{UntrustedText.Clean(category, 40)}' exists already");
        try { _torrents.Labels.CreateCategory(category); }
        catch (WebApiException e) { throw new WebApiException(409, e.Message, e); }
        return TextAsync(context, "");
    }

    private void WriteCategories(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var category in _torrents.Labels.Categories) WriteCategory(w, category);
        w.WriteEndObject();
    }

    /// <summary>One category as qBittorrent gives it: <c>"name": {"name": ..., "savePath": ...}</c>.</summary>
    private void WriteCategory(Utf8JsonWriter w, string category)
    {
        w.WriteStartObject(category);
        w.WriteString("name", category);
        w.WriteString("savePath", _torrents.Downloads);
        w.WriteEndObject();
    }

    /// <summary>torrents/filePrio: <c>id</c> is file indexes from 0 separated by <c>|</c>; priority 0 skips, 1 normal,
    /// 6 and 7 high.</summary>
    private async Task FilePriorityAsync(HttpContext context, QBittorrentInput input)
    {
        var torrent = Torrent(input);
        var priority = input["priority"] switch
        {
            "0" => "skip", "1" => "normal", "6" or "7" => "high",
            var p => throw new WebApiException(400, $"priority must be 0, 1, 6 or 7, got '{UntrustedText.Clean(p, 10)}'"),
        };
        var ids = (input["id"] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        var changes = ids.Select(id => int.TryParse(id, out var i) ? new FilePriorityChange(i + 1, priority)
            : throw new WebApiException(400, $"id must be file indexes separated by '|', got '{UntrustedText.Clean(id, 10)}'")).ToList();
        if (changes.Count == 0) throw new WebApiException(400, "give 'id': file indexes separated by '|'");
        try { await _torrents.Adjust.SetPrioritiesAsync(torrent, changes, context.RequestAborted).ConfigureAwait(false); }
        catch (WebApiException e) when (e.StatusCode == 400) { throw new WebApiException(409, e.Message, e); } // qBittorrent: 409 for a bad file id
        await TextAsync(context, "").ConfigureAwait(false);
    }
}
