using System.IO.Compression;
using System.Net;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

/// <summary>The blocklist formats, one row per kind of line: what is blocked, what is not, and what is skipped.</summary>
public class BlocklistReaderTests
{
    private static BlocklistContent Read(string text) => BlocklistReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    [Theory]
    // P2P (PeerGuardian): name:first-last
    [InlineData("Some organization:1.2.3.0-1.2.3.255", "1.2.3.0", "1.2.3.255", "1.2.2.255", "1.2.4.0")]
    [InlineData("Name: with: colons:10.0.0.1-10.0.0.9", "10.0.0.1", "10.0.0.9", "10.0.0.0", "10.0.0.10")]   // the range follows the last ':'
    [InlineData("  spaced : 8.8.8.8 - 8.8.8.8  \r", "8.8.8.8", "8.8.8.8", "8.8.8.7", "8.8.8.9")]
    [InlineData(":5.5.5.5-5.5.5.6", "5.5.5.5", "5.5.5.6", "5.5.5.4", "5.5.5.7")]                           // an empty name
    [InlineData("v6 org:2001:db8::-2001:db8::ffff", "2001:db8::", "2001:db8::ffff", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1:0")] // IPv6 after the first ':'
    // eMule .dat: first - last , level , name (zero-padded decimal octets)
    [InlineData("001.002.003.000 - 001.002.003.255 , 000 , Some org", "1.2.3.0", "1.2.3.255", "1.2.2.255", "1.2.4.0")]
    [InlineData("010.000.000.008 - 010.000.000.009 , 127 , edge of blocking", "10.0.0.8", "10.0.0.9", "10.0.0.7", "10.0.0.10")] // 010 is ten, not octal eight
    [InlineData("2001:db8::1 - 2001:db8::2 , 0 , v6 dat", "2001:db8::1", "2001:db8::2", "2001:db8::", "2001:db8::3")]
    // CIDR (Transmission 4) and a bare range
    [InlineData("192.168.0.0/16", "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0")]
    [InlineData("192.168.7.9/24", "192.168.7.0", "192.168.7.255", "192.168.6.255", "192.168.8.0")]        // host bits dropped
    [InlineData("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::")]
    [InlineData("7.7.7.7-7.7.7.8", "7.7.7.7", "7.7.7.8", "7.7.7.6", "7.7.7.9")]
    public void Read_OneLine_BlocksItsRangeInclusive_AndNotTheAddressesJustOutside(string line, string first, string last, string before, string after)
    {
        var content = Read(line);

        Assert.Equal((1, 0), (content.Read, content.Skipped));
        Assert.True(content.Ranges.Contains(IPAddress.Parse(first)), first);
        Assert.True(content.Ranges.Contains(IPAddress.Parse(last)), last);
        Assert.False(content.Ranges.Contains(IPAddress.Parse(before)), before);
        Assert.False(content.Ranges.Contains(IPAddress.Parse(after)), after);
    }

    [Theory]
    [InlineData("")]                      // blank
    [InlineData("   \t")]                 // blank
    [InlineData("# a comment: 1.2.3.4-1.2.3.5")]
    [InlineData("// another comment")]
    [InlineData("1.2.3.0 - 1.2.3.255 , 128 , allowed by eMule's rule")] // access level above 127 allows
    public void Read_CommentsBlankLinesAndAllowedDatRanges_AreNeitherReadNorSkipped(string line)
    {
        var content = Read(line);

        Assert.Equal((0, 0, 0), (content.Read, content.Skipped, content.Ranges.Count));
    }

    [Theory]
    [InlineData("no range here")]
    [InlineData("name:1.2.3")]                        // three octets
    [InlineData("name:1.2.3.256-1.2.3.300")]          // an octet over 255
    [InlineData("name:1.2.3.9-1.2.3.1")]              // starts after it ends
    [InlineData("name:1.2.3.4-2001:db8::1")]          // two families
    [InlineData("name:1.2.3.4")]                      // one address, no range
    [InlineData("1.2.3.0 - 1.2.3.255 , high , name")] // a level that is no number
    [InlineData("1.2.3.0/33")]                        // prefix too long
    [InlineData("name:0x01.2.3.4-1.2.3.5")]           // hex is not decimal
    [InlineData("name:fe80::1%eth0-fe80::2")]         // a zone is not an address of a range
    public void Read_MalformedLine_IsCountedAndSkipped_NotFatal(string line)
    {
        var content = Read("good:9.9.9.9-9.9.9.9\n" + line + "\n");

        Assert.Equal((1, 1, 2), (content.Read, content.Skipped, content.FirstSkipped));
        Assert.True(content.Ranges.Contains(IPAddress.Parse("9.9.9.9")));
    }

    [Fact]
    public void Read_OverlappingAndTouchingRanges_AreMergedIntoOne()
    {
        var content = Read("""
            a:1.0.0.0-1.0.0.50
            b:1.0.0.20-1.0.0.30
            c:1.0.0.51-1.0.0.60
            d:1.0.0.40-1.0.0.70
            e:1.0.0.72-1.0.0.80
            f:2001:db8::10-2001:db8::20
            g:2001:db8::21-2001:db8::30
            """);

        Assert.Equal(7, content.Read);
        Assert.Equal(3, content.Ranges.Count); // 1.0.0.0-1.0.0.70, 1.0.0.72-1.0.0.80, 2001:db8::10-2001:db8::30
        Assert.True(content.Ranges.Contains(IPAddress.Parse("1.0.0.65")));
        Assert.False(content.Ranges.Contains(IPAddress.Parse("1.0.0.71"))); // the gap stays open
        Assert.True(content.Ranges.Contains(IPAddress.Parse("1.0.0.72")));
        Assert.True(content.Ranges.Contains(IPAddress.Parse("2001:db8::21")));
    }

    [Fact]
    public void Read_Gzip_IsReadAsThePlainText()
    {
        var plain = "a:1.2.3.4-1.2.3.4\r\nb:5.6.7.0-5.6.7.255\r\nbroken line\r\n"u8.ToArray();
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(plain);

        var content = BlocklistReader.Read(new MemoryStream(packed.ToArray()));

        Assert.Equal((2, 1, 3), (content.Read, content.Skipped, content.FirstSkipped));
        Assert.True(content.Ranges.Contains(IPAddress.Parse("5.6.7.128")));
    }

    [Fact]
    public void Read_DamagedGzip_Throws()
    {
        byte[] damaged = [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0xff, 0xff, 0xff];

        Assert.ThrowsAny<InvalidDataException>(() => BlocklistReader.Read(new MemoryStream(damaged)));
    }

    [Fact]
    public void Read_ALineLongerThanAnyBlocklistLine_IsSkippedWhole_AndTheNextLineIsRead()
    {
        var content = Read(new string('x', 100_000) + ":1.1.1.1-1.1.1.1\nok:2.2.2.2-2.2.2.2\n");

        Assert.Equal((1, 1, 1), (content.Read, content.Skipped, content.FirstSkipped));
        Assert.False(content.Ranges.Contains(IPAddress.Parse("1.1.1.1")));
        Assert.True(content.Ranges.Contains(IPAddress.Parse("2.2.2.2")));
    }

    [Fact]
    public void Read_LastLineWithoutALineEnd_IsRead()
    {
        var content = Read("a:1.1.1.1-1.1.1.1\nb:3.3.3.3-3.3.3.3");

        Assert.True(content.Ranges.Contains(IPAddress.Parse("3.3.3.3")));
    }

    [Fact]
    public void Read_AGzipOfEndlessBlankLines_StopsAtTheLineBound_HavingReadLittleOfIt()
    {
        var bomb = new GzipBomb((byte)'\n', mebibytes: 2048); // 2 GiB of blank lines from about 2 MiB of gzip
        using var data = bomb.Open();

        var e = Assert.Throws<BlocklistException>(() => BlocklistReader.Read(data));

        Assert.Contains($"more than {BlocklistReader.MaxLines:N0} lines", e.Message, StringComparison.Ordinal);
        Assert.Contains("reading stopped", e.Message, StringComparison.Ordinal);
        Assert.True(data.Position < bomb.Length / 100, $"read {data.Position} of the bomb's {bomb.Length} bytes");
    }

    [Fact]
    public void Read_AGzipOfOneEndlessLine_StopsAtTheByteBound_HavingReadLittleOfIt()
    {
        var bomb = new GzipBomb((byte)'x', mebibytes: 2048); // one line of 2 GiB: the line bound never comes
        using var data = bomb.Open();

        var e = Assert.Throws<BlocklistException>(() => BlocklistReader.Read(data));

        Assert.Contains($"more than {BlocklistReader.MaxTextBytes / (1024 * 1024)} MiB of text", e.Message, StringComparison.Ordinal);
        Assert.True(data.Position < bomb.Length / 4, $"read {data.Position} of the bomb's {bomb.Length} bytes");
    }
}
