using System.Text.Json;
using TorrentLab.Client;

namespace TorrentLab.Web;

// The rules applied to a feed's articles, and the state kept in rss.json.
internal sealed partial class RssFeeds
{
    /// <summary>Adds each article of the feed that an enabled rule reading the feed takes and that was not added
    /// before; one at a time over all feeds.</summary>
    private async Task ProcessAsync(RssFeed feed, CancellationToken ct)
    {
        await _processing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            IReadOnlyList<FeedArticle> articles;
            List<(string Name, RssRuleDefinition Definition)> rules;
            lock (_lock)
            {
                articles = feed.Articles;
                rules = [.. _rules.Where(r => r.Value.Enabled && r.Value.AffectedFeeds.Contains(feed.Url)).Select(r => (r.Key, r.Value))];
            }
            foreach (var (name, first) in rules)
            {
                var definition = first;
                var rule = RssRule.From(definition);
                foreach (var article in articles)
                {
                    if (WasAdded(feed.Url, article.Id) || !rule.Matches(article)) continue;
                    if (!await AddAsync(feed, name, definition, article, ct).ConfigureAwait(false)) continue;
                    lock (_lock)
                    {
                        if (!_rules.TryGetValue(name, out var now) || now != definition) break; // changed meanwhile: its own pass follows
                        _rules[name] = definition = definition with { LastMatch = article.Date ?? Clock.GetUtcNow() };
                    }
                    await SaveAsync().ConfigureAwait(false);
                    rule = RssRule.From(definition); // ignoreDays counts from the match just made
                }
            }
        }
        finally
        {
            _processing.Release();
        }
    }

    /// <summary>Adds the article's torrent as the rule says; true when it was added (or was added already), which is
    /// remembered at once. A failure is logged once and tried again at the next fetch.</summary>
    private async Task<bool> AddAsync(RssFeed feed, string ruleName, RssRuleDefinition rule, FeedArticle article, CancellationToken ct)
    {
        var what = $"rss: rule '{UntrustedText.Clean(ruleName, 60)}' took '{UntrustedText.Clean(article.Title, 120)}'";
        try
        {
            if (article.TorrentUrl is not { } link) throw new WebApiException(400, "the article names no torrent");
            if (RemoteLinks.MagnetHash(link) is { } hash && _torrents.Find(hash) is not null)
                throw new WebApiException(409, "already added");
            var (bytes, peers) = await RemoteLinks.FetchAsync(_torrents, _options, link, ct, serverPaths: false).ConfigureAwait(false);
            var added = await _torrents.AddAsync(bytes, rule.AddPaused != true, peers, rule.SavePath.Length == 0 ? null : rule.SavePath, ct).ConfigureAwait(false);
            if (rule.AssignedCategory.Length > 0) _torrents.Labels.SetCategory(added, rule.AssignedCategory);
            _options.Log?.Invoke($"{what}: added {added.Torrent.Name}" + (rule.AssignedCategory.Length > 0 ? $" in {rule.AssignedCategory}" : ""));
        }
        catch (WebApiException e) when (e.StatusCode == 409 && e.Message.Contains("already added", StringComparison.Ordinal))
        {
            _options.Log?.Invoke($"{what}: its torrent is added already");
        }
        catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
        {
            if (_failedOnce.Add(feed.Url + "\n" + article.Id)) _options.Log?.Invoke($"warning: {what}, but it could not be added: {e.Message}; tried again at the next fetch");
            return false;
        }
        lock (_lock)
        {
            if (!_added.TryGetValue(feed.Url, out var ids)) _added[feed.Url] = ids = [];
            ids.Add(article.Id);
            if (ids.Count > MaxRemembered) ids.RemoveRange(0, ids.Count - MaxRemembered);
        }
        await SaveAsync().ConfigureAwait(false);
        return true;
    }

    private readonly SemaphoreSlim _saving = new(1, 1);

    /// <summary>Writes feeds, rules and the articles added, atomically (the old file or the new, never half of one).</summary>
    private async Task SaveAsync()
    {
        await _saving.WaitAsync().ConfigureAwait(false);
        try
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                lock (_lock)
                {
                    w.WriteStartObject();
                    w.WriteNumber("version", 1);
                    w.WriteNumber("refreshMinutes", RefreshMinutes);
                    w.WriteStartArray("feeds");
                    foreach (var feed in _feeds)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", feed.Name);
                        w.WriteString("url", feed.Url);
                        w.WriteString("uid", feed.Uid);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteStartObject("rules");
                    foreach (var (name, rule) in _rules)
                    {
                        w.WritePropertyName(name);
                        rule.Write(w);
                    }
                    w.WriteEndObject();
                    w.WriteStartObject("added");
                    foreach (var (url, ids) in _added)
                    {
                        w.WriteStartArray(url);
                        foreach (var id in ids) w.WriteStringValue(id);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }
            await AtomicFile.WriteAsync(StatePath, buffer.WrittenSpan.ToArray(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.Log?.Invoke($"warning: rss: could not save {StatePath} ({e.Message}); it is written again at the next change");
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>Reads rss.json; one that cannot be read is kept aside as rss.json.damaged, with a warning.</summary>
    private void Load()
    {
        if (!File.Exists(StatePath)) return;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(StatePath));
            var root = document.RootElement;
            if (root.TryGetProperty("refreshMinutes", out var minutes) && minutes.TryGetInt32(out var m) && m is >= 1 and <= 7 * 24 * 60) RefreshMinutes = m;
            if (root.TryGetProperty("feeds", out var feeds))
                foreach (var feed in feeds.EnumerateArray())
                    _feeds.Add(new RssFeed(feed.GetProperty("name").GetString()!, feed.GetProperty("url").GetString()!, feed.GetProperty("uid").GetString()!));
            if (root.TryGetProperty("rules", out var rules))
                foreach (var rule in rules.EnumerateObject()) _rules[rule.Name] = RssRuleDefinition.Parse(rule.Value);
            if (root.TryGetProperty("added", out var added))
                foreach (var feed in added.EnumerateObject()) _added[feed.Name] = [.. feed.Value.EnumerateArray().Select(id => id.GetString()!)];
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or IOException)
        {
            _feeds.Clear();
            _rules.Clear();
            _added.Clear();
            try { File.Copy(StatePath, StatePath + ".damaged", overwrite: true); } catch (IOException) { }
            _options.Log?.Invoke($"warning: rss: {StatePath} cannot be read ({e.Message}); kept as rss.json.damaged, RSS starts empty");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _processing.WaitAsync().ConfigureAwait(false); // an add under way ends first
        _stop.Dispose();
    }
}
