using System.Net;
using System.Text;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

/// <summary>The public blocklist: a load reports what it read and replaces the ranges whole; a list that is not one is
/// refused and leaves the ranges held as they were.</summary>
public class IpBlocklistTests
{
    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Load_ReportsRangesAndSkippedLines_AndReplacesTheRangesHeld()
    {
        var list = new IpBlocklist();
        list.Load(Text("old:9.9.9.0-9.9.9.255\n"));

        var read = list.Load(Text("a:1.1.1.1-1.1.1.5\nb:1.1.1.3-1.1.1.9\nnonsense\nc:2.2.2.2-2.2.2.2\nmore nonsense\n"));

        Assert.Equal(new BlocklistLoad(2, 3, 2, 3), read);
        Assert.Equal("2 ranges (3 read); 2 malformed lines skipped, the first is line 3", read.ToString());
        Assert.Equal(2, list.RangeCount);
        Assert.True(list.Contains(IPAddress.Parse("1.1.1.7")));
        Assert.False(list.Contains(IPAddress.Parse("9.9.9.9"))); // the old list is gone
    }

    [Fact]
    public void Load_TextWithNoRangeAtAll_IsRefused_AndTheRangesHeldStay()
    {
        var list = new IpBlocklist();
        list.Load(Text("old:9.9.9.0-9.9.9.255\n"));

        var e = Assert.Throws<BlocklistException>(() => list.Load(Text("<html>\n<body>Not found</body>\n</html>\n")));

        Assert.Contains("not a blocklist", e.Message);
        Assert.Contains("line 1", e.Message);
        Assert.True(list.Contains(IPAddress.Parse("9.9.9.9")));
    }

    [Fact]
    public void Load_DamagedGzip_IsABlocklistException()
    {
        var list = new IpBlocklist();

        var e = Assert.Throws<BlocklistException>(() => list.Load(new MemoryStream([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])));

        Assert.Contains("gzip", e.Message);
    }

    [Theory]
    [InlineData("", "no line at all")]                                           // an empty file
    [InlineData("\n\n   \r\n\t\n", "its 4 lines are all blank or comments")]
    [InlineData("# level1, updated today\n// nothing yet\n\n", "its 3 lines are all blank or comments")]
    [InlineData("001.002.003.000 - 001.002.003.255 , 200 , allowed\n", "eMule ranges whose access level allows them (1)")]
    public void Load_AListWithNoRangeToBlock_IsRefusedSayingWhy_AndTheRangesHeldStay(string text, string why)
    {
        var list = new IpBlocklist();
        list.Load(Text("old:9.9.9.0-9.9.9.255\n"));

        var e = Assert.Throws<BlocklistException>(() => list.Load(Text(text)));

        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.True(list.Contains(IPAddress.Parse("9.9.9.9")));
    }

    [Fact]
    public void Clear_ForgetsEveryRange()
    {
        var list = new IpBlocklist();
        list.Load(Text("a:127.0.0.5-127.0.0.5\n"));

        list.Clear();

        Assert.Equal(0, list.RangeCount);
        Assert.False(list.Contains(IPAddress.Parse("127.0.0.5")));
    }
}
