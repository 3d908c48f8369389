using System.Text;
using TorrentLab.Tracker;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

public class HttpTrackerResponseTests
{
    private static byte[] B(string text) => Encoding.Latin1.GetBytes(text); // Latin-1 keeps \xNN as one byte

    [Fact]
    public void ParseAnnounce_CompactPeersAndEveryOptionalKey()
    {
        var body = B("d8:completei3e10:incompletei4e8:intervali900e12:min intervali60e5:peers12:\u007F\u0000\u0000\u0001\u001A\u00E1\u00C0\u00A8\u0018\u0034\u0007\u00D1" +
            "10:tracker id3:abc15:warning message4:slowe");
        var response = HttpTrackerResponse.ParseAnnounce(body);
        Assert.Equal("127.0.0.1:6881,192.168.24.52:2001", string.Join(',', response.Peers));
        Assert.Equal(TimeSpan.FromSeconds(900), response.Interval);
        Assert.Equal(TimeSpan.FromSeconds(60), response.MinInterval);
        Assert.Equal(3, response.Complete);
        Assert.Equal(4, response.Incomplete);
        Assert.Equal("abc", response.TrackerId);
        Assert.Equal("slow", response.WarningMessage);
    }

    [Fact]
    public void ParseAnnounce_DictionaryPeers_UnsortedKeysAccepted()
    {
        // Keys out of order, as real trackers send them: the lenient decoder accepts them.
        var body = B("d8:intervali60e5:peersld4:porti6881e2:ip9:127.0.0.17:peer id20:-TZ0100-aaaaaaaaaaaaed2:ip3:::14:porti1eeee");
        var response = HttpTrackerResponse.ParseAnnounce(body);
        Assert.Equal("127.0.0.1:6881,[::1]:1", string.Join(',', response.Peers));
        Assert.Null(response.MinInterval);
        Assert.Null(response.Complete);
    }

    [Fact]
    public void ParseAnnounce_Peers6_AddsIPv6Peers()
    {
        var body = B("d8:intervali60e5:peers0:6:peers618:" + new string('\0', 15) + "\u0001\u001A\u00E1e");
        Assert.Equal("[::1]:6881", Assert.Single(HttpTrackerResponse.ParseAnnounce(body).Peers).ToString());
    }

    [Fact]
    public void ParseAnnounce_FailureReason_CarriesTheTrackersOwnText()
    {
        var error = Assert.Throws<TrackerException>(() => HttpTrackerResponse.ParseAnnounce(B("d14:failure reason17:torrent not founde")));
        Assert.Equal("torrent not found", error.FailureReason);
        Assert.Contains("torrent not found", error.Message);
    }

    [Theory]
    [InlineData("d8:intervali60e5:peers5:\u007F\u0000\u0000\u0001\u001Ae", "not a multiple of 6")]        // truncated compact list
    [InlineData("d8:intervali60e5:peers0:6:peers66:\u0000\u0000\u0000\u0000\u0000\u0001e", "not a multiple of 18")]
    [InlineData("<html>oops</html>", "not valid bencode")]
    [InlineData("d8:intervali60e5:pee", "not valid bencode")]                                      // cut in the middle
    [InlineData("d8:intervali60ee", "neither 'peers'")]
    [InlineData("d8:intervali-5e5:peers0:e", "'interval' must be")]
    [InlineData("d8:intervali60e5:peersi1ee", "'peers' must be")]
    [InlineData("d8:intervali60e5:peersld2:ip9:127.0.0.14:porti70000eeee", "out of range")]
    public void ParseAnnounce_MalformedAnswer_IsATrackerException(string body, string expected)
    {
        var error = Assert.Throws<TrackerException>(() => HttpTrackerResponse.ParseAnnounce(B(body)));
        Assert.Contains(expected, error.Message);
        Assert.Null(error.FailureReason);
    }

    [Fact]
    public void ParseScrape_PicksTheEntryOfTheInfoHash()
    {
        var key = Encoding.Latin1.GetString(BinaryHash.Bytes);
        var body = B($"d5:filesd20:{key}d8:completei5e10:downloadedi50e10:incompletei10eeee");
        Assert.Equal(new ScrapeResult(Seeders: 5, Leechers: 10, Completed: 50), HttpTrackerResponse.ParseScrape(body, BinaryHash));
    }

    [Fact]
    public void ParseScrape_Bep21Downloaders_AreRead()
    {
        var key = Encoding.Latin1.GetString(BinaryHash.Bytes);
        var body = B($"d5:filesd20:{key}d8:completei5e10:downloadedi50e11:downloadersi7e10:incompletei10eeee");
        Assert.Equal(new ScrapeResult(Seeders: 5, Leechers: 10, Completed: 50, Downloaders: 7), HttpTrackerResponse.ParseScrape(body, BinaryHash));
    }

    [Fact]
    public void ParseScrape_OtherInfoHashOnly_IsATrackerException()
    {
        var body = B($"d5:filesd20:{new string('x', 20)}d8:completei5eeee");
        Assert.Contains("does not mention", Assert.Throws<TrackerException>(() => HttpTrackerResponse.ParseScrape(body, BinaryHash)).Message);
    }
}
