using System.Globalization;
using static TorrentLab.Web.ApiParameter;

namespace TorrentLab.Web;

// torrents/add's parameters (qBittorrent WebUI API 2.9, as 4.5 and 4.6 take them), each applied or refused: a request
// naming one missing here is a 400, never "Ok." with the parameter dropped.
internal sealed partial class QBittorrentApi
{
    /// <summary>torrents/add's parameters; the uploaded .torrent files come as file parts (<c>torrents</c>).</summary>
    internal static IReadOnlyDictionary<string, ApiParameter> AddParameters => field ??= Table(
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
        Refuses("inactiveSeedingTimeLimit", "seeding does not stop by idleness here: only -2 (the default, which is off) is taken"),
    ]);

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
            if (input[name] is { Length: > 0 }) throw new WebApiException(400, $"{name}: {AddParameters[name].Meaning}");
        }
        static void Only(QBittorrentInput input, string name, string taken)
        {
            if (input[name] is { Length: > 0 } value && !string.Equals(value, taken, StringComparison.OrdinalIgnoreCase))
                throw new WebApiException(400, $"{name} '{UntrustedText.Clean(value, 20)}': {AddParameters[name].Meaning}");
        }
        foreach (var name in (string[])["cookie", "root_folder", "downloadPath"]) OnlyEmpty(input, name);
        var tags = TorrentLabels.ParseTags(input["tags"]);
        var rename = input["rename"] is { Length: > 0 } given ? given : null;
        if (rename is not null && !TorrentAdjustments.ValidName(rename)) throw new WebApiException(400, "rename: a name is 1 to 1024 characters without control characters");
        Only(input, "contentLayout", "Original");
        Only(input, "stopCondition", "None");
        Only(input, "firstLastPiecePrio", "false");
        Only(input, "useDownloadPath", "false");
        Only(input, "inactiveSeedingTimeLimit", "-2");
        // qBittorrent answers "Ok." to autoTMM true and saves where the category saves; here no category saves anywhere of
        // its own and torrents/info's auto_tmm is always false, so true is refused rather than taken and not applied.
        Only(input, "autoTMM", "false");
        Only(input, "useAutoTMM", "false");
        var ratio = Number(input, "ratioLimit");
        var minutes = Number(input, "seedingTimeLimit");
        SeedPolicy? seeding = null;
        if (ratio is not (null or -2) || minutes is not (null or -2))
        {
            // qBittorrent: -2 the defaults, -1 no limit, 0 the limit is reached at once (it does not seed).
            seeding = ratio == 0 || minutes == 0 ? new SeedPolicy(Seed: false)
                : new SeedPolicy(Ratio: ratio switch { null or -2 => null, -1 => 0, var r => r }, Minutes: minutes switch { null or -2 => null, -1 => 0, var m => m });
        }
        return new AddSettings(Bytes(input, "dlLimit"), Bytes(input, "upLimit"), seeding, input.Flag("sequentialDownload"), input.Flag("addToTopOfQueue"),
            tags, rename);
    }

    private static double? Number(QBittorrentInput input, string name)
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
        if (settings.Seeding is { } seeding) _torrents.Adjust.SetSeeding(added, seeding);
        if (settings.Sequential) await _torrents.Adjust.SetRunOptionsAsync(added, sequential: true, maxPeers: null, ct).ConfigureAwait(false);
        if (settings.Top) _torrents.Queue.Move([added], QueueMove.Top);
        if (settings.Tags.Count > 0) _torrents.Labels.AddTags(added, settings.Tags);
        if (settings.Name is { } name) _torrents.Adjust.Rename(added, name);
    }
}
