using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class SelectiveAckTests
{
    [Theory]
    [InlineData(0, 12)]       // bit 0 = ack_nr + 2
    [InlineData(7, 19)]       // bit 7, the high bit of byte 0 = ack_nr + 9
    [InlineData(8, 20)]       // bit 8, the low bit of byte 1 = ack_nr + 10
    public void SequenceOf_BitIndex_IsAckNrPlusTwoPlusIndex(int index, int expected) =>
        Assert.Equal((ushort)expected, SelectiveAck.SequenceOf(10, index));

    [Fact]
    public void Write_PacketsPastTheGap_SetsBitsLeastSignificantFirst()
    {
        // ack_nr = 10, 11 missing; received 12 (bit 0), 14 (bit 2), 19 (bit 7) and 20 (bit 8)
        var held = new HashSet<ushort> { 12, 14, 19, 20 };
        var mask = new byte[SelectiveAck.MaxBytes];

        var length = SelectiveAck.Write(10, 20, held.Contains, mask);

        Assert.Equal("85010000", Convert.ToHexStringLower(mask.AsSpan(0, length)));   // 0x85 = bits 0, 2, 7; 0x01 = bit 8
    }

    [Fact]
    public void Write_AcrossTheWrap_CountsFromAckNrPlusTwo()
    {
        // ack_nr = 65534: bit 0 is 0, bit 1 is 1 (65535 + 2 wraps)
        var held = new HashSet<ushort> { 0, 1 };
        var mask = new byte[SelectiveAck.MaxBytes];

        var length = SelectiveAck.Write(65534, 1, held.Contains, mask);

        Assert.Equal("03000000", Convert.ToHexStringLower(mask.AsSpan(0, length)));
    }

    [Fact]
    public void Write_FarAhead_IsCappedAtMaxBytes()
    {
        var mask = new byte[SelectiveAck.MaxBytes];

        var length = SelectiveAck.Write(0, 1000, s => s == 1000 || s == 2, mask);

        Assert.Equal(SelectiveAck.MaxBytes, length);
        Assert.True(SelectiveAck.IsSet(mask, 0));
    }

    [Theory]
    [InlineData("85010000", 0, true)]
    [InlineData("85010000", 1, false)]
    [InlineData("85010000", 7, true)]
    [InlineData("85010000", 8, true)]
    [InlineData("85010000", 32, false)]   // beyond the mask: not acked
    public void IsSet_ReadsTheBitmask(string hex, int index, bool expected) =>
        Assert.Equal(expected, SelectiveAck.IsSet(Convert.FromHexString(hex), index));
}
