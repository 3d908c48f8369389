using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Rss;

/// <summary>RSS 2.0 and Atom as torrent sites write them: which URL is an item's torrent, its id and date.</summary>
public class FeedReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static FeedContent Read(string xml) => FeedReader.Read(Encoding.UTF8.GetBytes(xml));

    [Fact]
    public void Rss_ItemsWithAnEnclosureAMagnetOrALink_GiveTheirTorrentIdAndDate()
    {
        // No whitespace between elements: a read of one element's text must not skip the next.
        var feed = Read("""<?xml version="1.0"?><rss version="2.0" xmlns:torrent="http://xmlns.ezrss.it/0.1/"><channel><title>Site</title><item><title>Show S01E03 720p</title><link>https://site.example/view/1</link><guid isPermaLink="false">id-1</guid><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><enclosure url="https://site.example/1.torrent" length="1000" type="application/x-bittorrent"/></item><item><title>By magnet</title><link>https://site.example/view/2</link><torrent:magnetURI><![CDATA[magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567]]></torrent:magnetURI><pubDate>Tue, 24 Nov 2026 08:00:00 EST</pubDate></item><item><title>Link only</title><link>https://site.example/3.torrent</link></item></channel></rss>""");

        Assert.Equal("Site", feed.Title);
        Assert.Equal(3, feed.Articles.Count);
        var (first, second, third) = (feed.Articles[0], feed.Articles[1], feed.Articles[2]);
        Assert.Equal(("id-1", "Show S01E03 720p", "https://site.example/1.torrent", "https://site.example/view/1"), (first.Id, first.Title, first.TorrentUrl, first.Link));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero), first.Date);
        Assert.Equal("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", second.TorrentUrl);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.FromHours(-5)), second.Date);
        Assert.Equal("https://site.example/view/2", second.Id); // no guid: its link
        Assert.Equal(("https://site.example/3.torrent", null), (third.TorrentUrl, third.Link));
    }

    [Fact]
    public void Atom_EntryWithAnEnclosureLink_AndMarkupInItsSummary()
    {
        var feed = Read("""
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>Atom site</title>
              <entry>
                <title type="text">Film 2026 1080p</title>
                <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
                <updated>2026-11-25T09:30:00Z</updated>
                <link rel="alternate" href="https://atom.example/film"/>
                <link rel="enclosure" type="application/x-bittorrent" href="https://atom.example/film.torrent"/>
                <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>good</b> film</div></summary>
              </entry>
            </feed>
            """);

        var entry = Assert.Single(feed.Articles);
        Assert.Equal("Atom site", feed.Title);
        Assert.Equal(("urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6", "Film 2026 1080p", "https://atom.example/film.torrent", "https://atom.example/film"),
            (entry.Id, entry.Title, entry.TorrentUrl, entry.Link));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 30, 0, TimeSpan.Zero), entry.Date);
        Assert.Equal("A good film", entry.Description);
    }

    [Theory]
    [InlineData("<html><body>not a feed</body></html>", "root element is <html>")]
    [InlineData("<rss><channel><item><title>cut", "invalid XML")]
    [InlineData("not xml at all", "invalid XML")]
    [InlineData("<!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss><channel><item><title>&x;</title></item></channel></rss>", "invalid XML")] // no entity reaches a file
    public void NotAFeed_IsAFormatExceptionSayingWhy(string xml, string why)
    {
        var e = Assert.Throws<FormatException>(() => Read(xml));

        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void XmlDeclarationWithAKilobyteOfNonAsciiInItsVersion_IsAFormatException()
    {
        // Found by the rss fuzz target (fuzz/regressions/rss/long-version): .NET's XML reader threw
        // ArgumentOutOfRangeException from its encoding switch, not an XmlException, and it escaped the feed's refresh.
        var xml = Encoding.ASCII.GetBytes("<?xml version=\"1.0").Concat(Enumerable.Repeat((byte)0xf8, 1030))
            .Concat(Encoding.ASCII.GetBytes("\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>")).ToArray();

        var e = Assert.Throws<FormatException>(() => FeedReader.Read(xml));

        Assert.StartsWith("not a feed: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnItemWithADateInNoKnownForm_IsKeptWithoutADate()
    {
        var article = Assert.Single(Read("<rss><channel><item><title>x</title><guid>1</guid><pubDate>yesterday-ish</pubDate></item></channel></rss>").Articles);

        Assert.Null(article.Date);
    }

    /// <summary>Found by the <c>rss</c> fuzz target: an element of a kind whose first was kept already (an Atom entry's
    /// <c>published</c> and <c>updated</c>, or <c>summary</c> and <c>content</c>) was never read, so the reader went round
    /// in place for ever. Each read runs off the test's thread, with a generous bound.</summary>
    [Fact]
    public async Task AtomEntryWithPublishedAndUpdated_AndSummaryAndContent_IsReadWithTheFirstOfEach()
    {
        var read = Task.Run(() => Read("""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Film</title><id>1</id><published>2026-11-24T08:00:00Z</published><updated>2026-11-25T09:30:00Z</updated><summary>short</summary><content>long</content></entry></feed>"""), Ct);

        Assert.True(await Wait.ForAsync(read, TimeSpan.FromSeconds(60), Ct), "the feed was still being read after 60 s");
        var entry = Assert.Single((await read).Articles);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero), entry.Date);
        Assert.Equal("short", entry.Description);
    }

    [Fact]
    public async Task RssItemWithTwoLinksAndTwoDates_IsReadWithTheFirstOfEach()
    {
        var read = Task.Run(() => Read("<rss><channel><item><title>x</title><guid>1</guid><link>https://site.example/1.torrent</link><link>https://site.example/2.torrent</link><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><pubDate>Thu, 26 Nov 2026 10:00:00 GMT</pubDate><title>y</title></item></channel></rss>"), Ct);

        Assert.True(await Wait.ForAsync(read, TimeSpan.FromSeconds(60), Ct), "the feed was still being read after 60 s");
        var item = Assert.Single((await read).Articles);
        Assert.Equal("https://site.example/1.torrent", item.TorrentUrl);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero), item.Date);
        Assert.Equal("y", item.Title); // the elements after them were read too
    }
}
