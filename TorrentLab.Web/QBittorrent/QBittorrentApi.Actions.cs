using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

// The torrents/* routes that change something: the actions on torrents, file priorities and categories.
internal sealed partial class QBittorrentApi
{
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
