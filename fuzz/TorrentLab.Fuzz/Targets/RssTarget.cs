using System.Text;
using TorrentLab.Web;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A feed fetched for RSS auto-download (RSS 2.0, RDF or Atom): read, then each article given to a rule with
/// words, an exclusion, an episode filter and a day limit, as a refresh does. Either that, or a
/// <see cref="FormatException"/> saying why it is no feed.</summary>
/// <remarks>What must hold: at most <see cref="FeedReader.MaxArticles"/> articles, each with an id and a title (an
/// empty title at worst); an article's torrent and link are trimmed and never blank.</remarks>
internal static class RssTarget
{
    public static FuzzTarget Target { get; } = new("rss", "an RSS or Atom feed, its articles matched by a rule", Run, Seeds);

    private static readonly RssRule Rule = RssRule.From(new RssRuleDefinition
    {
        MustContain = "show* 720p|film", MustNotContain = "cam", EpisodeFilter = "1x2-4;2x-;", IgnoreDays = 2,
        LastMatch = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000),
    });

    private static void Run(byte[] input)
    {
        FeedContent feed;
        try
        {
            feed = FeedReader.Read(input);
        }
        catch (FormatException)
        {
            return;
        }
        if (feed.Title is null || feed.Articles.Count > FeedReader.MaxArticles)
            throw new InvalidOperationException($"a feed of {feed.Articles.Count} articles, titled '{feed.Title}'");
        foreach (var article in feed.Articles)
        {
            if (article.Id is null || article.Title is null) throw new InvalidOperationException($"an article without an id or a title: {article}");
            foreach (var url in new[] { article.TorrentUrl, article.Link })
                if (url is not null && (url.Length == 0 || url != url.Trim())) throw new InvalidOperationException($"an untrimmed url '{url}'");
            _ = Rule.Matches(article);
        }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("rss.xml", Utf8("""<?xml version="1.0"?><rss version="2.0" xmlns:torrent="http://xmlns.ezrss.it/0.1/"><channel><title>Site</title><item><title>Show S01E03 720p</title><link>https://site.example/view/1</link><guid isPermaLink="false">id-1</guid><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><enclosure url="https://site.example/1.torrent" length="1000" type="application/x-bittorrent"/></item><item><title>Show 1x03 cam</title><torrent:magnetURI><![CDATA[magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567]]></torrent:magnetURI><pubDate>Tue, 24 Nov 2026 08:00:00 EST</pubDate><description>&lt;b&gt;a&lt;/b&gt; show</description></item><item><title>Link only</title><link>https://site.example/3.torrent</link></item></channel></rss>"""));
        yield return ("atom.xml", Utf8("""<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom site</title><entry><title type="text">Film 2026 1080p</title><id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id><updated>2026-11-25T09:30:00Z</updated><link rel="alternate" href="https://atom.example/film"/><link rel="enclosure" type="application/x-bittorrent" href="https://atom.example/film.torrent"/><summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>good</b> film</div></summary></entry></feed>"""));
        yield return ("rdf.xml", Utf8("""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>RDF site</title></channel><item><title>Show S02E07</title><link>magnet:?xt=urn:btih:89abcdef0123456789abcdef0123456789abcdef</link><dc:date>2026-11-20T12:00:00+01:00</dc:date></item></rdf:RDF>"""));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
