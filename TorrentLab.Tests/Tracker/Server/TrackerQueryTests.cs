using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

public class TrackerQueryTests
{
    [Fact]
    public void Parse_PercentEncodedBinary_DecodesToTheExactBytes() =>
        Assert.Equal(BinaryHash.Bytes.ToArray(), TrackerQuery.Parse("?info_hash=" + BinaryHashEncoded + "&x=1").Bytes("info_hash"));

    [Theory]
    [InlineData("info_hash=a+b", "612062")]     // '+' is a space byte, as HTML forms (and Python's urlencode) write it
    [InlineData("info_hash=a%2Bb", "612b62")]   // a plus sign itself arrives percent-encoded
    [InlineData("info_hash=a%20b", "612062")]   // the same space byte, percent-encoded
    public void Parse_PlusIsASpaceByteAndPercent2BIsAPlus(string query, string hex) =>
        Assert.Equal(hex, Convert.ToHexStringLower(TrackerQuery.Parse(query).Bytes("info_hash")!));

    [Fact]
    public void Parse_InfoHashWrittenByPythonUrlencode_DecodesToTheExactBytes() =>
        // urllib.parse.quote_plus writes 0x20 as '+' and leaves '-', '.', '_', '~' and alphanumerics raw.
        Assert.Equal(BinaryHash.Bytes.ToArray(),
            TrackerQuery.Parse("info_hash=%00A-~%26%3D%25%2B%2F%FF%80+%3F%23az09._").Bytes("info_hash"));

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
