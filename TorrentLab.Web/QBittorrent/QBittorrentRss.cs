using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

/// <summary>qBittorrent's rss/* routes (WebUI API v2), over the server's feeds and auto-download rules
/// (<see cref="RssFeeds"/>). A feed's "path" is its name: folders of feeds are not kept, so a path with '\' is
/// refused.</summary>
internal sealed class QBittorrentRss(TorrentManager torrents)
{
    private RssFeeds Rss => torrents.Rss;

    /// <summary>rss/addFeed: url, and path (its name; the URL when none).</summary>
    public async Task AddFeedAsync(HttpContext context, QBittorrentInput input)
    {
        var url = input["url"] ?? throw new WebApiException(400, "give 'url': the feed's http or https URL");
        await Rss.AddFeedAsync(url, FeedPath(input["path"])).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>rss/removeItem: path, a feed's name.</summary>
    public async Task RemoveFeedAsync(HttpContext context, QBittorrentInput input)
    {
        var path = FeedPath(input["path"]) ?? throw new WebApiException(400, "give 'path': the feed's name");
        await Rss.RemoveFeedAsync(path).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>rss/refreshItem: itemPath, a feed's name ("" every feed); answers once it is fetched.</summary>
    public async Task RefreshFeedAsync(HttpContext context, QBittorrentInput input)
    {
        await Rss.RefreshAsync(FeedPath(input["itemPath"]), context.RequestAborted).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    private static string? FeedPath(string? path) =>
        path is not null && path.Contains('\\') ? throw new WebApiException(400, "folders of feeds are not supported: give a feed's name without '\\'") : path;

    /// <summary>rss/items: every feed by name; with withData=true, its title, state and articles too.</summary>
    public void WriteFeeds(Utf8JsonWriter w, QBittorrentInput input)
    {
        var withData = input.Flag("withData");
        w.WriteStartObject();
        foreach (var feed in Rss.Feeds)
        {
            w.WriteStartObject(feed.Name);
            w.WriteString("uid", feed.Uid);
            w.WriteString("url", feed.Url);
            if (withData)
            {
                w.WriteString("title", feed.Title);
                w.WriteString("lastBuildDate", feed.LastFetch?.ToString("r", System.Globalization.CultureInfo.InvariantCulture) ?? "");
                w.WriteBoolean("isLoading", feed.IsLoading);
                w.WriteBoolean("hasError", feed.Error is not null);
                w.WriteStartArray("articles");
                foreach (var article in feed.Articles)
                {
                    w.WriteStartObject();
                    w.WriteString("id", article.Id);
                    w.WriteString("date", article.Date?.ToString("r", System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    w.WriteString("title", article.Title);
                    if (article.TorrentUrl is { } torrent) w.WriteString("torrentURL", torrent);
                    if (article.Link is { } link) w.WriteString("link", link);
                    if (article.Description is { } description) w.WriteString("description", description);
                    w.WriteBoolean("isRead", Rss.WasAdded(feed.Url, article.Id)); // read: a rule added it
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>rss/setRule: ruleName and ruleDef (JSON); every key of ruleDef is applied or the rule refused.</summary>
    public async Task SetRuleAsync(HttpContext context, QBittorrentInput input)
    {
        var name = input["ruleName"] ?? throw new WebApiException(400, "give 'ruleName'");
        var text = input["ruleDef"] ?? throw new WebApiException(400, "give 'ruleDef': the rule as a JSON object");
        RssRuleDefinition rule;
        try
        {
            using var json = JsonDocument.Parse(text);
            rule = RssRuleDefinition.Parse(json.RootElement);
        }
        catch (JsonException e) { throw new WebApiException(400, $"ruleDef is not JSON: {e.Message}"); }
        catch (FormatException e) { throw new WebApiException(400, e.Message); }
        await Rss.SetRuleAsync(name, rule, context.RequestAborted).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>rss/removeRule: ruleName.</summary>
    public async Task RemoveRuleAsync(HttpContext context, QBittorrentInput input)
    {
        await Rss.RemoveRuleAsync(input["ruleName"] ?? throw new WebApiException(400, "give 'ruleName'")).ConfigureAwait(false);
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>rss/rules: every rule by name, as qBittorrent writes a ruleDef.</summary>
    public void WriteRules(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var (name, rule) in Rss.Rules)
        {
            w.WritePropertyName(name);
            rule.Write(w);
        }
        w.WriteEndObject();
    }

    /// <summary>rss/matchingArticles: ruleName; the titles it takes now, by feed name.</summary>
    public void WriteMatching(Utf8JsonWriter w, QBittorrentInput input)
    {
        var matching = Rss.MatchingArticles(input["ruleName"] ?? throw new WebApiException(400, "give 'ruleName'"));
        w.WriteStartObject();
        foreach (var (feed, titles) in matching)
        {
            w.WriteStartArray(feed);
            foreach (var title in titles) w.WriteStringValue(title);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
