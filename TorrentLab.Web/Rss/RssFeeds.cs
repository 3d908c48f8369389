using System.Text.Json;
using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>One subscribed feed and what its last fetch found.</summary>
internal sealed class RssFeed(string name, string url, string uid)
{
    public string Name { get; set; } = name;
    public string Url { get; } = url;
    public string Uid { get; } = uid;
    public string Title { get; set; } = "";
    public IReadOnlyList<FeedArticle> Articles { get; set; } = [];
    public DateTimeOffset? LastFetch { get; set; }
    public bool IsLoading { get; set; }
    public string? Error { get; set; }

    /// <summary>One fetch of the feed at a time: a refresh asked while the poll's fetch is on its way waits for it and
    /// then fetches, so what it answers comes from a fetch started after it was asked, and an older answer never
    /// overwrites a newer one.</summary>
    public SemaphoreSlim Fetching { get; } = new(1, 1);
}

/// <summary>RSS auto-download in qBittorrent's model: feeds polled on a schedule (the server's clock), rules that pick
/// articles by title, and each article a rule takes added once, with the rule's category and folder; which articles
/// were added is kept across restarts (<c>&lt;downloads&gt;/.torrentlab/web/rss.json</c>, written atomically beside
/// the torrent list), so a rule never adds the same article twice, even after its torrent was removed.</summary>
/// <remarks>Feeds and the .torrent files their articles name are fetched by the rules of every URL the server fetches
/// (<see cref="TorrentSession.FetchAsync"/>, through the session's interface or proxy: http and https only, never an unspecified, broadcast, multicast
/// or link-local address, capped in size and time); a magnet link's metadata comes from peers.</remarks>
internal sealed partial class RssFeeds : IAsyncDisposable
{
    /// <summary>qBittorrent's default refresh interval.</summary>
    public const int DefaultRefreshMinutes = 30;

    /// <summary>Articles remembered as added, per feed: more than a feed holds at once.</summary>
    private const int MaxRemembered = 5000;

    private const long MaxFeedBytes = 10 * 1024 * 1024;
    private static readonly TimeSpan FeedLimit = TimeSpan.FromSeconds(30); // a feed fetched within this, as a .torrent

    private readonly TorrentManager _torrents;
    private readonly WebServerOptions _options;
    private readonly Lock _lock = new();
    private readonly List<RssFeed> _feeds = [];
    private readonly SortedDictionary<string, RssRuleDefinition> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _added = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failedOnce = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _processing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private CancellationTokenSource _wake = new();

    private RssFeeds(TorrentManager torrents, WebServerOptions options, string path)
    {
        _torrents = torrents;
        _options = options;
        StatePath = path;
    }

    /// <summary>Where feeds, rules and the articles added are kept.</summary>
    public string StatePath { get; }

    /// <summary>Minutes between two fetches of every feed.</summary>
    public int RefreshMinutes { get; private set; } = DefaultRefreshMinutes;

    private TimeProvider Clock => _options.Clock;

    /// <summary>Loads the kept state (a damaged file is kept aside and the server starts without it) and starts polling.</summary>
    public static RssFeeds Start(TorrentManager torrents, WebServerOptions options, string folder)
    {
        var feeds = new RssFeeds(torrents, options, Path.Combine(folder, "rss.json"));
        feeds.Load();
        feeds._loop = Task.Run(() => feeds.PollAsync(feeds._stop.Token));
        return feeds;
    }

    /// <summary>Fetches every feed, then sleeps for the refresh interval (or until woken by a change).</summary>
    private async Task PollAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            CancellationTokenSource wake;
            lock (_lock) wake = _wake;
            try
            {
                foreach (var feed in Snapshot()) await RefreshAsync(feed, ct).ConfigureAwait(false);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, wake.Token);
                await Task.Delay(TimeSpan.FromMinutes(RefreshMinutes), Clock, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (OperationCanceledException) { } // woken: a new interval or feed
            lock (_lock) if (_wake.IsCancellationRequested) { _wake.Dispose(); _wake = new(); }
        }
    }

    private void Wake()
    {
        lock (_lock) _wake.Cancel();
    }

    private List<RssFeed> Snapshot()
    {
        lock (_lock) return [.. _feeds];
    }

    /// <summary>Every feed, in the order added.</summary>
    public IReadOnlyList<RssFeed> Feeds => Snapshot();

    /// <summary>Every rule, by name.</summary>
    public IReadOnlyList<(string Name, RssRuleDefinition Rule)> Rules
    {
        get { lock (_lock) return [.. _rules.Select(r => (r.Key, r.Value))]; }
    }

    /// <summary>Subscribes to a feed; it is fetched at once (in the background) and then on the schedule.</summary>
    /// <exception cref="WebApiException">400: not an http(s) URL, or a name that is empty or has a control
    /// character; 409: the URL or the name is taken.</exception>
    public async Task AddFeedAsync(string url, string? name)
    {
        url = url.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new WebApiException(400, $"a feed is an http or https URL, got '{UntrustedText.Clean(url, 120)}'");
        name = string.IsNullOrWhiteSpace(name) ? url : name.Trim();
        if (name.Any(char.IsControl) || name.Length > 200) throw new WebApiException(400, "a feed's name has no control characters and at most 200 characters");
        lock (_lock)
        {
            if (_feeds.Any(f => f.Url == url)) throw new WebApiException(409, $"feed {UntrustedText.Clean(url, 120)} is added already");
            if (_feeds.Any(f => f.Name == name)) throw new WebApiException(409, $"a feed is named '{UntrustedText.Clean(name, 120)}' already");
            _feeds.Add(new RssFeed(name, url, Guid.NewGuid().ToString("B")));
        }
        await SaveAsync().ConfigureAwait(false);
        Wake();
    }

    /// <summary>Unsubscribes from the feed of that name (or URL); its rules keep naming it.</summary>
    /// <exception cref="WebApiException">409: no such feed (qbittorrent-nox 4.5.2 answers 409 "Item doesn't exist").</exception>
    public async Task RemoveFeedAsync(string nameOrUrl)
    {
        lock (_lock)
        {
            var feed = Find(nameOrUrl) ?? throw new WebApiException(409, $"no feed named '{UntrustedText.Clean(nameOrUrl, 120)}'");
            _feeds.Remove(feed);
            _added.Remove(feed.Url);
        }
        await SaveAsync().ConfigureAwait(false);
    }

    /// <summary>Fetches the feed of that name now (every feed for null or "").</summary>
    /// <exception cref="WebApiException">404: no such feed.</exception>
    public async Task RefreshAsync(string? nameOrUrl, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(nameOrUrl))
        {
            foreach (var each in Snapshot()) await RefreshAsync(each, ct).ConfigureAwait(false);
            return;
        }
        RssFeed feed;
        lock (_lock) feed = Find(nameOrUrl) ?? throw new WebApiException(404, $"no feed named '{UntrustedText.Clean(nameOrUrl, 120)}'");
        await RefreshAsync(feed, ct).ConfigureAwait(false);
    }

    private RssFeed? Find(string nameOrUrl) => _feeds.FirstOrDefault(f => f.Name == nameOrUrl) ?? _feeds.FirstOrDefault(f => f.Url == nameOrUrl);

    /// <summary>Sets (adds or replaces) a rule and applies it at once to the articles the feeds hold.</summary>
    /// <exception cref="WebApiException">400: an empty name, a definition that is not one, a regular expression that
    /// does not compile, an episode filter out of its syntax, a save folder outside the downloads folder, a bad category.</exception>
    public async Task SetRuleAsync(string name, RssRuleDefinition rule, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsControl)) throw new WebApiException(400, "a rule needs a name without control characters");
        try { RssRule.From(rule); }
        catch (FormatException e) { throw new WebApiException(400, $"rule '{UntrustedText.Clean(name, 60)}': {e.Message}"); }
        if (rule.SavePath.Length > 0) _torrents.SaveFolderOf(rule.SavePath);
        if (rule.AssignedCategory.Length > 0 && !TorrentLabels.ValidCategory(rule.AssignedCategory))
            throw new WebApiException(400, $"'{UntrustedText.Clean(rule.AssignedCategory, 60)}' is not a category name");
        lock (_lock) _rules[name] = rule;
        await SaveAsync().ConfigureAwait(false);
        foreach (var feed in Snapshot()) await ProcessAsync(feed, ct).ConfigureAwait(false);
    }

    /// <summary>Removes a rule; none of that name is not an error (as qbittorrent-nox 4.5.2 answers).</summary>
    public async Task RemoveRuleAsync(string name)
    {
        lock (_lock)
            if (!_rules.Remove(name)) return;
        await SaveAsync().ConfigureAwait(false);
    }

    /// <summary>The titles of the articles, per feed name, that the rule takes now (qBittorrent's rss/matchingArticles);
    /// none for a rule that does not exist, as qbittorrent-nox 4.5.2 answers.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> MatchingArticles(string name)
    {
        RssRuleDefinition? definition;
        lock (_lock) definition = _rules.GetValueOrDefault(name);
        if (definition is null) return new Dictionary<string, IReadOnlyList<string>>();
        var rule = RssRule.From(definition);
        return Snapshot().Where(f => definition.AffectedFeeds.Contains(f.Url))
            .ToDictionary(f => f.Name, f => (IReadOnlyList<string>)[.. f.Articles.Where(rule.Matches).Select(a => a.Title)]);
    }

    /// <summary>Sets the minutes between fetches (qBittorrent's rss_refresh_interval).</summary>
    /// <exception cref="WebApiException">400: under 1 or over a week.</exception>
    public async Task SetRefreshMinutesAsync(int minutes)
    {
        if (minutes is < 1 or > 7 * 24 * 60) throw new WebApiException(400, $"rss_refresh_interval must be 1..10080 minutes, got {minutes}");
        RefreshMinutes = minutes;
        await SaveAsync().ConfigureAwait(false);
        Wake();
    }

    /// <summary>True when an article of the feed was added by a rule already (kept across restarts).</summary>
    public bool WasAdded(string feedUrl, string articleId)
    {
        lock (_lock) return _added.TryGetValue(feedUrl, out var ids) && ids.Contains(articleId);
    }

    /// <summary>Fetches and reads one feed, then applies the rules to its articles.</summary>
    private async Task RefreshAsync(RssFeed feed, CancellationToken ct)
    {
        await feed.Fetching.WaitAsync(ct).ConfigureAwait(false);
        lock (_lock) feed.IsLoading = true;
        try
        {
            var bytes = await _torrents.Session.FetchAsync(feed.Url, MaxFeedBytes, FeedLimit, ct).ConfigureAwait(false);
            var content = FeedReader.Read(bytes);
            lock (_lock) (feed.Title, feed.Articles, feed.Error, feed.LastFetch) = (content.Title, content.Articles, null, Clock.GetUtcNow());
        }
        catch (Exception e) when (e is TorrentLabException or FormatException)
        {
            bool first;
            lock (_lock) (first, feed.Error) = (feed.Error != e.Message, e.Message);
            if (first) _options.Log?.Invoke($"warning: rss: feed {UntrustedText.Clean(feed.Name, 120)}: {e.Message}");
            return;
        }
        finally
        {
            lock (_lock) feed.IsLoading = false;
            feed.Fetching.Release();
        }
        await ProcessAsync(feed, ct).ConfigureAwait(false);
    }
}
