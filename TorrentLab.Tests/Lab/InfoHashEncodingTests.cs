using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

public class InfoHashEncodingTests
{
    // 20 bytes: a '+' (0x2b) at 2, '&' (0x26) at 5, '#' (0x23) at 10, and two bytes from 0x80 up (0xc3 at 13, 0xff at 19).
    private static readonly byte[] Sent = Convert.FromHexString("00412b7e612641424344236162c36465666768ff");

    [Theory]
    [InlineData("00412b7e612641424344236162c36465666768ff", null)]              // unchanged: no slip
    [InlineData("0041207e612641424344236162c36465666768ff", "byte 2 of the info hash is 0x2b, the character '+'")]   // '+' read as a space
    [InlineData("0041207e612641424344236162c36465666768fe", null)]              // another byte differs too: not an encoding slip
    [InlineData("00412b7e612641424344232b62c36465666768ff", null)]              // 'a' became '+': not an encoding slip
    [InlineData("00412b7e612641424344236162c36465666768", null)]                 // another length
    public void ExplainSlip_NamesOnlyAPlusReadAsASpace(string receivedHex, string? expected)
    {
        var hint = InfoHashEncoding.ExplainSlip(Sent, Convert.FromHexString(receivedHex));

        if (expected is null) Assert.Null(hint);
        else Assert.StartsWith(expected, hint);
    }

    [Fact]
    public void ExplainSlip_NamesASpaceSentAsPercent2B()
    {
        var withSpace = Convert.FromHexString("20412b7e612641424344236162c36465666768ff");
        var received = Convert.FromHexString("2b412b7e612641424344236162c36465666768ff");

        Assert.StartsWith("byte 0 of the info hash is 0x20, a space, and the tracker got '+'", InfoHashEncoding.ExplainSlip(withSpace, received));
    }

    [Theory]
    [InlineData("'info_hash' must be 20 raw bytes, got 22", "each of the 2 info-hash bytes from 0x80 up became two")]   // UTF-8 text
    [InlineData("'info_hash' must be 20 raw bytes, got 5", "byte 5 of the info hash is 0x26, the character '&'")]        // cut at '&'
    [InlineData("'info_hash' must be 20 raw bytes, got 10", "byte 10 of the info hash is 0x23, the character '#'")]        // cut at '#'
    [InlineData("'info_hash' must be 20 raw bytes, got 7", null)]              // byte 7 is 'B': nothing explains the cut
    [InlineData("missing 'info_hash'", null)]
    public void ExplainLength_NamesUtf8TextAndUnescapedSeparators(string reason, string? expected)
    {
        var hint = InfoHashEncoding.ExplainLength(Sent, reason);

        if (expected is null) Assert.Null(hint);
        else Assert.Contains(expected, hint);
    }
}
