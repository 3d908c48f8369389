using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

public class TrackerQueryTests
{
    [Fact]
    public void Parse_PercentEncodedBinary_DecodesToTheExactBytes() =>
        Assert.Equal(BinaryHash.Bytes.ToArray(), TrackerQuery.Parse("?info_hash=" + BinaryHashEncoded + "&x=1").Bytes("info_hash"));

    [Fact]
    public void Parse_RepeatedKey_KeepsEveryValue() =>
        Assert.Equal(["a"u8.ToArray(), "b"u8.ToArray()], TrackerQuery.Parse("info_hash=a&info_hash=b").All("info_hash"));

    [Theory]
    [InlineData("a=%4")]    // truncated escape
    [InlineData("a=%G1")]   // not hex
    public void Parse_MalformedEscape_IsATrackerException(string query) =>
        Assert.Contains("malformed percent-encoding", Assert.Throws<TrackerException>(() => TrackerQuery.Parse(query)).Message);

    [Theory]
    [InlineData("left=12", 12L)]
    [InlineData("left=-1", null)]
    [InlineData("left=1e3", null)]
    [InlineData("left=", null)]
    [InlineData("", null)]
    public void RequireNumber_AcceptsOnlyWholeNonNegativeNumbers(string query, long? expected)
    {
        var parsed = TrackerQuery.Parse(query);
        if (expected is { } value) Assert.Equal(value, parsed.RequireNumber("left"));
        else Assert.Throws<TrackerException>(() => parsed.RequireNumber("left"));
    }
}
