using System.Text;
using TorrentLab.Lsd;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Lsd;

public class LsdAnnounceTests
{
    private static readonly InfoHash First = InfoHash.FromHex("2933821ad3ec96ade472730a909eea29b75103bd");
    private static readonly InfoHash Second = InfoHash.FromHex("d1ecc40d3fa899d26e5507cdd48d28f17bf7e037");

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Format_OneHash_IsByteExact()
    {
        var datagram = LsdAnnounce.Format(LsdAnnounce.GroupV4, 6881, [First], "6222e1be");

        Assert.Equal("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
            + "Infohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\ncookie: 6222e1be\r\n\r\n\r\n", Encoding.ASCII.GetString(datagram));
    }

    [Fact]
    public void Format_IPv6Group_BracketsTheHostAndListsEveryHashWithoutACookie()
    {
        var text = Encoding.ASCII.GetString(LsdAnnounce.Format(LsdAnnounce.GroupV6, 51413, [First, Second], cookie: null));

        Assert.Equal("BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 51413\r\n"
            + "Infohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\nInfohash: d1ecc40d3fa899d26e5507cdd48d28f17bf7e037\r\n\r\n\r\n", text);
    }

    [Fact]
    public void Parse_WhatFormatWrote_RoundTrips()
    {
        var announce = LsdAnnounce.Parse(LsdAnnounce.Format(LsdAnnounce.GroupV4, 6881, [First, Second], "abc123"));

        Assert.Equal(6881, announce.Port);
        Assert.Equal([First, Second], announce.InfoHashes);
        Assert.Equal("abc123", announce.Cookie);
    }

    [Fact]
    public void Parse_LibtorrentsAnnounce_AsCapturedInANamespace()
    {
        // Sent by libtorrent 2.0.8 for a hybrid torrent (one datagram per hash), captured in this project's LSD test rig.
        var announce = LsdAnnounce.Parse(Ascii("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
            + "Infohash: d1ecc40d3fa899d26e5507cdd48d28f17bf7e037\r\ncookie: 6222e1be\r\n\r\n\r\n"));

        Assert.Equal(new LsdAnnounce(6881, announce.InfoHashes, "6222e1be"), announce);
        Assert.Equal([Second], announce.InfoHashes);
    }

    [Fact]
    public void Parse_HeaderNamesInAnyCase_UnknownHeadersIgnored_UpperCaseHex()
    {
        var announce = LsdAnnounce.Parse(Ascii("BT-SEARCH * HTTP/1.1\r\nHOST: 239.192.152.143:6771\r\nX-Extra: whatever\r\nport:  80 \r\n"
            + "INFOHASH: 2933821AD3EC96ADE472730A909EEA29B75103BD\r\n\r\n\r\n"));

        Assert.Equal(80, announce.Port);
        Assert.Equal([First], announce.InfoHashes);
        Assert.Null(announce.Cookie);
    }

    [Theory]
    [InlineData("M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 0)] // SSDP, not BEP 14
    [InlineData("", 0)] // nothing at all
    [InlineData("\u0001\u00ff garbage \r\n\r\n", 0)] // not text
    [InlineData("BT-SEARCH * HTTP/1.1\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 74)] // no Port
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\n\r\n", 34)] // no Infohash
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 22)] // port 0
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 22)] // above 65535
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: -1\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 22)] // negative
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 0x1AE1\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 22)] // not base 10
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: 2933821ad3ec96ade472730a909eea29b75103\r\n\r\n", 34)] // 38 digits
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: zz33821ad3ec96ade472730a909eea29b75103bd\r\n\r\n", 34)] // not hex
    [InlineData("BT-SEARCH * HTTP/1.1\r\nPort 6881\r\n\r\n", 22)] // no colon
    public void Parse_Malformed_ThrowsWithTheOffset(string datagram, int offset)
    {
        var e = Assert.Throws<LsdException>(() => LsdAnnounce.Parse(Encoding.Latin1.GetBytes(datagram)));
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void Parse_LongerThan1400Bytes_IsRefusedBeforeReading()
    {
        var padding = new string('x', LsdAnnounce.MaxLength);
        var datagram = Ascii($"BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: {First.Hex}\r\nX-Pad: {padding}\r\n\r\n\r\n");

        var e = Assert.Throws<LsdException>(() => LsdAnnounce.Parse(datagram));
        Assert.Contains("at most 1400 bytes", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public void Format_PortOutOfRange_IsCallerMisuse(int port) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LsdAnnounce.Format(LsdAnnounce.GroupV4, port, [First], null));

    [Fact]
    public void Capacity_FillsButNeverExceeds1400Bytes()
    {
        foreach (var group in new[] { LsdAnnounce.GroupV4, LsdAnnounce.GroupV6 })
        {
            var capacity = LsdAnnounce.Capacity(group, "6222e1be");
            var full = Enumerable.Repeat(First, capacity).ToList();

            Assert.True(LsdAnnounce.Format(group, 65535, full, "6222e1be").Length <= LsdAnnounce.MaxLength);
            Assert.True(LsdAnnounce.Format(group, 65535, [.. full, First], "6222e1be").Length > LsdAnnounce.MaxLength);
        }
    }
}
