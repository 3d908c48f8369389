using System.Globalization;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.ApiParameter;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

/// <summary>qBittorrent's torrents/add: its parameters (qBittorrent WebUI API 2.9, as 4.5 and 4.6 take them), each
/// applied or refused (a request naming one missing here is a 400, never "Ok." with the parameter dropped), and the
/// adding of the torrents a request gives.</summary>
internal sealed class QBittorrentAdd
{
    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;

    public QBittorrentAdd(TorrentManager torrents, WebServerOptions options)
    {
        _torrents = torrents;
        _options = options;
    }

    /// <summary>torrents/add's parameters; the uploaded .torrent files come as file parts (<c>torrents</c>).</summary>
    internal static IReadOnlyDictionary<string, ApiParameter> Parameters => field ??= Table(
    [
        Applies("urls", "magnet links or http/https URLs, one per line"),
        Applies("savepath", "a folder inside the downloads folder"),
        Applies("category", "its category (created when new)"),
        Applies("paused", "added without starting"),
        Applies("stopped", "added without starting (API 2.11's name)"),
        Applies("skip_checking", "data there at full size is taken as complete without hashing"),
        Applies("upLimit", "its upload limit in bytes/s (0 or -1: none)"),
        Applies("dlLimit", "its download limit in bytes/s (0 or -1: none)"),
        Applies("ratioLimit", "the ratio at which it stops seeding (-2 the default, -1 none, 0 it does not seed)"),
        Applies("seedingTimeLimit", "minutes it seeds once complete (-2 the default, -1 no limit, 0 it does not seed)"),
        Applies("inactiveSeedingTimeLimit", "minutes without an upload after which it stops seeding (-2 the default, -1 no limit, 0 it does not seed)"),
        Applies("sequentialDownload", "pieces in order, lowest first"),
        Applies("addToTopOfQueue", "first in the queue"),
        Applies("tags", "its tags, separated by commas (created when new)"),
        Applies("rename", "the name it is shown with (its files keep the .torrent's names)"),
        Refuses("cookie", "URLs are fetched without cookies: only \"\" is taken"),
        Refuses("root_folder", "files are laid out as the .torrent gives them: only \"\" is taken (contentLayout Original)"),
        Refuses("contentLayout", "files are laid out as the .torrent gives them: only Original is taken"),
        Refuses("stopCondition", "no stop condition here: only None is taken"),
        Refuses("firstLastPiecePrio", "the first and last pieces get no priority of their own: only false is taken"),
        Refuses("downloadPath", "incomplete torrents are not kept elsewhere: only \"\" is taken"),
        Refuses("useDownloadPath", "incomplete torrents are not kept elsewhere: only false is taken"),
        Refuses("autoTMM", "automatic torrent management is not supported (a torrent stays in the folder it was given; a category has no save path of its own): only false is taken"),
        Refuses("useAutoTMM", "as autoTMM (the name @ctrl/qbittorrent sends, false unless asked): only false is taken"),
    ]);

    /// <summary>Torrents of one add request whose files are checked at the same time.</summary>
    private const int ChecksAtOnce = 2;

    /// <summary>torrents/add: <c>urls</c> (one per line: magnet links or http/https URLs) and uploaded .torrent files;
    /// <c>paused</c> (or v5's <c>stopped</c>), <c>category</c> (created when new), <c>skip_checking</c> (data there at
    /// full size is taken as complete without hashing), <c>savepath</c>, which must be inside the downloads folder, and
    /// the rest of <see cref="Parameters"/>, each applied or refused with a 400 before anything is fetched.
    /// Answers "Ok." when every one was added (or was there already, as qBittorrent), else 415 "Fails.".</summary>
    public async Task AddAsync(HttpContext context, QBittorrentInput input)
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

    /// <summary>What torrents/add sets on each torrent it adds, read and checked before anything is fetched.</summary>
    /// <param name="Download">Its download limit in bytes/s (0 none), or null.</param>
    /// <param name="Upload">Its upload limit, or null.</param>
    /// <param name="Seeding">Its seeding limits, or null for the defaults.</param>
    /// <param name="Sequential">Pieces in order.</param>
    /// <param name="Top">First in the queue.</param>
    /// <param name="Tags">Its tags.</param>
    /// <param name="Name">The name it is shown with, or null.</param>
    private sealed record AddSettings(long? Download, long? Upload, SeedPolicy? Seeding, bool Sequential, bool Top,
        IReadOnlyList<string> Tags, string? Name)
    {
        /// <summary>True when something must be set before the torrent starts (its run reads it once).</summary>
        public bool BeforeStart => Seeding is not null || Sequential;
    }

    /// <exception cref="WebApiException">400: a value that cannot be applied, naming the parameter.</exception>
    private static AddSettings ReadAddSettings(QBittorrentInput input)
    {
        static void OnlyEmpty(QBittorrentInput input, string name)
        {
            if (input[name] is { Length: > 0 }) throw new WebApiException(400, $"{name}: {Parameters[name].Meaning}");
        }
        static void Only(QBittorrentInput input, string name, string taken)
        {
            if (input[name] is { Length: > 0 } value && !string.Equals(value, taken, StringComparison.OrdinalIgnoreCase))
                throw new WebApiException(400, $"{name} '{UntrustedText.Clean(value, 20)}': {Parameters[name].Meaning}");
        }
        foreach (var name in (string[])["cookie", "root_folder", "downloadPath"]) OnlyEmpty(input, name);
        var tags = TorrentLabels.ParseTags(input["tags"]);
        var rename = input["rename"] is { Length: > 0 } given ? given : null;
        if (rename is not null && !TorrentAdjustments.ValidName(rename)) throw new WebApiException(400, "rename: a name is 1 to 1024 characters without control characters");
        Only(input, "contentLayout", "Original");
        Only(input, "stopCondition", "None");
        Only(input, "firstLastPiecePrio", "false");
        Only(input, "useDownloadPath", "false");
        // qBittorrent answers "Ok." to autoTMM true and saves where the category saves; here no category saves anywhere of
        // its own and torrents/info's auto_tmm is always false, so true is refused rather than taken and not applied.
        Only(input, "autoTMM", "false");
        Only(input, "useAutoTMM", "false");
        var seeding = ShareLimits(input);
        return new AddSettings(Bytes(input, "dlLimit"), Bytes(input, "upLimit"), seeding, input.Flag("sequentialDownload"), input.Flag("addToTopOfQueue"),
            tags, rename);
    }

    /// <summary>The share limits of a torrents/add or torrents/setShareLimits (<c>ratioLimit</c>, <c>seedingTimeLimit</c>,
    /// <c>inactiveSeedingTimeLimit</c>) as a torrent's own policy, or null when each is -2 or absent (the defaults).
    /// qBittorrent: -2 the default, -1 no limit, 0 the limit is reached at once (it does not seed).</summary>
    internal static SeedPolicy? ShareLimits(QBittorrentInput input)
    {
        var ratio = Number(input, "ratioLimit");
        var minutes = Number(input, "seedingTimeLimit");
        var idle = Number(input, "inactiveSeedingTimeLimit");
        if (ratio is null or -2 && minutes is null or -2 && idle is null or -2) return null;
        if (ratio == 0 || minutes == 0 || idle == 0) return new SeedPolicy(Seed: false);
        static double? Own(double? limit) => limit switch { null or -2 => null, -1 => 0, var l => l };
        return new SeedPolicy(Ratio: Own(ratio), Minutes: Own(minutes), IdleMinutes: Own(idle));
    }

    /// <summary>A share limit as torrents/add and torrents/setShareLimits take it: -2 the default, -1 none, else 0 or
    /// more; null when not given.</summary>
    internal static double? Number(QBittorrentInput input, string name)
    {
        if (input[name] is not { Length: > 0 } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || (value < 0 && value is not (-1 or -2)))
            throw new WebApiException(400, $"{name} must be -2 (the default), -1 (no limit) or 0 or more, got '{UntrustedText.Clean(text, 20)}'");
        return value;
    }

    private static long? Bytes(QBittorrentInput input, string name)
    {
        if (input[name] is not { Length: > 0 } text) return null;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < -1)
            throw new WebApiException(400, $"{name} must be bytes per second, 0 or -1 for none, got '{UntrustedText.Clean(text, 20)}'");
        return Math.Max(0, value);
    }

    /// <summary>Sets a new torrent's <see cref="AddSettings"/> (before it starts).</summary>
    private async Task ApplyAsync(ManagedTorrent added, AddSettings settings, CancellationToken ct)
    {
        if (settings.Download is { } down) _torrents.Adjust.SetLimit(added.DownloadLimit, down);
        if (settings.Upload is { } up) _torrents.Adjust.SetLimit(added.UploadLimit, up);
        if (settings.Seeding is { } seeding) await _torrents.Adjust.SetSeedingAsync(added, seeding).ConfigureAwait(false);
        if (settings.Sequential) await _torrents.Adjust.SetRunOptionsAsync(added, sequential: true, maxPeers: null, ct).ConfigureAwait(false);
        if (settings.Top) _torrents.Queue.Move([added], QueueMove.Top);
        if (settings.Tags.Count > 0) _torrents.Labels.AddTags(added, settings.Tags);
        if (settings.Name is { } name) _torrents.Adjust.Rename(added, name);
    }
}
