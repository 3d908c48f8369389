namespace TorrentLab.Web;

/// <summary>RSS auto-download (<see cref="RssFeeds"/>), started with the server and stopped first when it stops.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The feeds and rules of the server.</summary>
    public RssFeeds Rss { get; private set; } = null!;

    private void StartRss() => Rss = RssFeeds.Start(this, _options, _store.Folder);

    private async Task StopRssAsync()
    {
        if (Rss is not null) await Rss.DisposeAsync().ConfigureAwait(false);
    }
}
