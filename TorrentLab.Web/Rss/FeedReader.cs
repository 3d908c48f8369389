using System.Globalization;
using System.Xml;

namespace TorrentLab.Web;

/// <summary>One item of a feed.</summary>
/// <param name="Id">What names it for good: RSS's guid, Atom's id, else its link, else its title.</param>
/// <param name="Title">Its title, which the rules match.</param>
/// <param name="TorrentUrl">Where its torrent is: an http(s) URL of a .torrent or a magnet link; null when it has none.</param>
/// <param name="Link">Its page, when it names one besides the torrent.</param>
/// <param name="Date">When it was published, when it says.</param>
/// <param name="Description">Its description or summary, as text.</param>
internal sealed record FeedArticle(string Id, string Title, string? TorrentUrl, string? Link, DateTimeOffset? Date, string? Description);

/// <summary>What a feed holds: its title and items.</summary>
internal sealed record FeedContent(string Title, IReadOnlyList<FeedArticle> Articles);

/// <summary>Reads RSS 2.0 and Atom 1.0 feeds, as torrent sites write them, with one forward pass of an
/// <see cref="XmlReader"/> (no DTD, no external entity: a feed from the network reaches nothing else).</summary>
/// <remarks>
/// <code>
/// RSS 2.0:  &lt;rss&gt;&lt;channel&gt;&lt;title/&gt;&lt;item&gt;&lt;title/&gt;&lt;link/&gt;&lt;guid/&gt;&lt;pubDate/&gt;
///               &lt;enclosure url=".../x.torrent" type="application/x-bittorrent"/&gt;&lt;torrent:magnetURI/&gt;&lt;/item&gt;...
/// Atom:     &lt;feed&gt;&lt;title/&gt;&lt;entry&gt;&lt;title/&gt;&lt;id/&gt;&lt;updated/&gt;&lt;link rel="enclosure" href=".../x.torrent"/&gt;
///               &lt;link href="page"/&gt;&lt;/entry&gt;...
/// </code>
/// The torrent of an item, as qBittorrent picks it: an enclosure of type application/x-bittorrent (or whose URL ends in
/// .torrent or is a magnet link), else a link that is a magnet link or ends in .torrent, else a <c>magnetURI</c>
/// element (the ezRSS torrent namespace), else the link. Written by hand rather than with
/// System.ServiceModel.Syndication: that package is not trimmable as the web assembly must be (it is AOT-compatible),
/// and it refuses a whole feed for one date it cannot read, which torrent sites write in many forms.
/// </remarks>
internal static class FeedReader
{
    /// <summary>Items read from one feed at most: a bound on memory against an endless feed.</summary>
    public const int MaxArticles = 1000;

    /// <exception cref="FormatException">Not XML, or neither an RSS nor an Atom feed (the message says which).</exception>
    public static FeedContent Read(byte[] xml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, IgnoreComments = true, IgnoreProcessingInstructions = true,
            MaxCharactersInDocument = 64L * 1024 * 1024,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml, writable: false), settings);
            reader.MoveToContent();
            return reader.LocalName switch
            {
                "rss" or "RDF" => ReadRss(reader),
                "feed" => ReadAtom(reader),
                var other => throw new FormatException($"not an RSS or Atom feed: its root element is <{other}>"),
            };
        }
        catch (XmlException e)
        {
            throw new FormatException($"not a feed: invalid XML at line {e.LineNumber}, column {e.LinePosition}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            // .NET's XML reader throws some malformed declarations at us as an argument error of its own (a version of a
            // kilobyte of non-ASCII bytes: ArgumentOutOfRangeException from its switch of encoding, found by fuzzing).
            // Our arguments are fixed above, so it can only be the feed's bytes.
            throw new FormatException($"not a feed: its XML declaration could not be read ({e.GetType().Name})", e);
        }
    }

    private static FeedContent ReadRss(XmlReader reader) => ReadItems(reader, "item", titleDepth: 2, atom: false);

    private static FeedContent ReadAtom(XmlReader reader) => ReadItems(reader, "entry", titleDepth: 1, atom: true);

    /// <summary>The feed's title and its items. A read of an element's content leaves the reader on the next node, so
    /// the loop reads on only when nothing moved it.</summary>
    private static FeedContent ReadItems(XmlReader reader, string itemName, int titleDepth, bool atom)
    {
        var title = "";
        var articles = new List<FeedArticle>();
        var more = reader.Read();
        while (more)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == itemName && articles.Count < MaxArticles)
            {
                articles.Add(ReadItem(reader.ReadSubtree(), atom)); // leaves the reader on the item's end
            }
            else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "title" && title.Length == 0 && reader.Depth <= titleDepth)
            {
                title = Text(reader, out more).Trim();
                continue;
            }
            more = reader.Read();
        }
        return new FeedContent(title, articles);
    }

    /// <summary>One item (RSS) or entry (Atom), read from its own subtree.</summary>
    private static FeedArticle ReadItem(XmlReader item, bool atom)
    {
        string? title = null, id = null, link = null, date = null, description = null, enclosure = null, magnet = null;
        using (item)
        {
            item.Read();
            var depth = item.Depth;
            var more = item.Read();
            while (more)
            {
                if (item.NodeType == XmlNodeType.Element && item.Depth == depth + 1)
                {
                    // A case that reads an element's content leaves the reader on the next node: it goes round at once.
                    // So it reads the content even when the first element of its kind was kept (an Atom entry's
                    // <published> and <updated>): a `??=` would skip the read, and the loop would go round in place.
                    switch (item.LocalName)
                    {
                        case "title": title = Text(item, out more); continue;
                        case "guid" or "id": id = Text(item, out more); continue;
                        case "pubDate" or "updated" or "published" or "date": date = First(date, Text(item, out more)); continue;
                        case "description" or "summary" or "content": description = First(description, Text(item, out more)); continue;
                        case "magnetURI": magnet = Text(item, out more); continue;
                        case "link" when !atom: link = First(link, Text(item, out more)); continue;
                        case "enclosure":
                            if (IsTorrent(item.GetAttribute("url"), item.GetAttribute("type"))) enclosure ??= item.GetAttribute("url");
                            break;
                        case "link":
                            var href = item.GetAttribute("href");
                            if (item.GetAttribute("rel") == "enclosure" && IsTorrent(href, item.GetAttribute("type"))) enclosure ??= href;
                            else if (item.GetAttribute("rel") is null or "alternate") link ??= href;
                            break;
                    }
                }
                more = item.Read();
            }
        }
        link = Clean(link);
        var torrent = Clean(enclosure) ?? (IsTorrent(link, null) ? link : null) ?? Clean(magnet) ?? link;
        var name = Clean(title) ?? "";
        return new FeedArticle(Clean(id) ?? link ?? name, name, torrent, link == torrent ? null : link, ParseDate(date), Clean(description));
    }

    /// <summary>The text inside the element the reader is on (markup inside, as an Atom xhtml summary, dropped), then
    /// on to the next node.</summary>
    private static string Text(XmlReader reader, out bool more)
    {
        var text = new System.Text.StringBuilder();
        using (var inside = reader.ReadSubtree())
            while (inside.Read())
                if (inside.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
                    text.Append(inside.Value);
        more = reader.Read(); // from the element's end (or the empty element) to the next node
        return text.ToString();
    }

    private static string First(string? kept, string read) => kept ?? read;

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static bool IsTorrent(string? url, string? type) =>
        url is not null && (type == "application/x-bittorrent" || url.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)
            || Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.AbsolutePath.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase));

    /// <summary>RSS's RFC 822 dates ("Wed, 25 Nov 2026 10:00:00 GMT", "+0000" zones too) and Atom's RFC 3339 ones; null
    /// for a date in no form known (the item is kept).</summary>
    public static DateTimeOffset? ParseDate(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return parsed;
        // RFC 822 named zones .NET does not read: "EST", "PDT"... replaced by their offsets.
        foreach (var (zone, offset) in Zones)
            if (text.EndsWith(" " + zone, StringComparison.Ordinal)
                && DateTimeOffset.TryParse(text[..^zone.Length] + offset, CultureInfo.InvariantCulture, DateTimeStyles.None, out parsed))
                return parsed;
        return null;
    }

    private static readonly (string Zone, string Offset)[] Zones =
        [("UT", "+0000"), ("EST", "-0500"), ("EDT", "-0400"), ("CST", "-0600"), ("CDT", "-0500"), ("MST", "-0700"), ("MDT", "-0600"), ("PST", "-0800"), ("PDT", "-0700")];
}
