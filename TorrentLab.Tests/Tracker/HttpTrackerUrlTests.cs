using TorrentLab.Tracker;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

public class HttpTrackerUrlTests
{
    private static AnnounceRequest Request(AnnounceEvent evt = AnnounceEvent.Started) =>
        new(BinaryHash, Peer('a'), 6881, Uploaded: 1, Downloaded: 2, Left: 3, evt, NumWant: 40) { Key = 0xBEEF };

    [Fact]
    public void Announce_BinaryInfoHash_IsPercentEncodedRawBytesNeverHex()
    {
        var url = HttpTrackerUrl.Announce("http://127.0.0.1:6969/announce", Request());
        Assert.Equal("http://127.0.0.1:6969/announce?info_hash=" + BinaryHashEncoded +
            "&peer_id=-TZ0100-aaaaaaaaaaaa&port=6881&uploaded=1&downloaded=2&left=3&compact=1&event=started&numwant=40&key=0000beef", url);
    }

    [Fact]
    public void Announce_UrlWithQuery_KeepsItAndAppendsWithAmpersand()
    {
        var url = HttpTrackerUrl.Announce("http://127.0.0.1/announce.php?passkey=abc", Request());
        Assert.StartsWith("http://127.0.0.1/announce.php?passkey=abc&info_hash=%00A-~", url);
    }

    [Theory]
    [InlineData(AnnounceEvent.None, null)]            // a regular announce has no event parameter
    [InlineData(AnnounceEvent.Started, "started")]
    [InlineData(AnnounceEvent.Completed, "completed")]
    [InlineData(AnnounceEvent.Stopped, "stopped")]
    public void Announce_Event_IsNamedOrOmitted(AnnounceEvent evt, string? expected)
    {
        var url = HttpTrackerUrl.Announce("http://t/announce", Request(evt));
        if (expected is null) Assert.DoesNotContain("event=", url);
        else Assert.Contains("&event=" + expected + "&", url);
    }

    [Fact]
    public void Announce_TrackerId_IsEchoedPercentEncoded()
    {
        var url = HttpTrackerUrl.Announce("http://t/announce", Request() with { TrackerId = "id 1&2" });
        Assert.EndsWith("&trackerid=id%201%262", url);
    }

    [Theory]
    [InlineData("http://t/announce", "http://t/scrape")]
    [InlineData("http://t/x/announce", "http://t/x/scrape")]
    [InlineData("http://t/announce.php", "http://t/scrape.php")]
    [InlineData("http://t/announce?passkey=1", "http://t/scrape?passkey=1")]
    [InlineData("http://t/a", null)]                   // BEP 48: no 'announce' in the last segment, no scrape
    [InlineData("http://t/announce/x", null)]
    [InlineData("http://t/x%064announce", null)]
    public void Scrape_ReplacesAnnounceInTheLastPathSegment(string announce, string? expected) =>
        Assert.Equal(expected, HttpTrackerUrl.Scrape(announce));

    [Fact]
    public void ScrapeRequest_AppendsTheBinaryInfoHash() =>
        Assert.Equal("http://t/scrape?k=1&info_hash=" + BinaryHashEncoded, HttpTrackerUrl.ScrapeRequest("http://t/scrape?k=1", BinaryHash));
}
