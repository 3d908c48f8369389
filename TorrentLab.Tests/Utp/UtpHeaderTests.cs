using TorrentLab.Tests.Wire;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class UtpHeaderTests
{
    // Each row: <type<<4|ver 1><extension 1><connection_id 2><timestamp 4><timestamp_difference 4><wnd_size 4><seq_nr 2><ack_nr 2>
    [Theory]
    [InlineData(4, 0x1234, 0x01020304u, 0u, 0u, 1, 0, "41 00 1234 01020304 00000000 00000000 0001 0000")]        // ST_SYN = 4
    [InlineData(2, 0x1234, 0xa0b0c0d0u, 0x11u, 0x00100000u, 0x7fff, 1, "21 00 1234 a0b0c0d0 00000011 00100000 7fff 0001")] // ST_STATE = 2
    [InlineData(0, 0xffff, 0xffffffffu, 0xfffffffeu, 1u, 0xffff, 0xfffe, "01 00 ffff ffffffff fffffffe 00000001 ffff fffe")] // ST_DATA = 0
    [InlineData(1, 0x0001, 1u, 2u, 3u, 4, 5, "11 00 0001 00000001 00000002 00000003 0004 0005")]                 // ST_FIN = 1
    [InlineData(3, 0x0000, 0u, 0u, 0u, 0, 0, "31 00 0000 00000000 00000000 00000000 0000 0000")]               // ST_RESET = 3
    public void WriteTo_EachType_IsByteExactAndReadsBack(int type, int id, uint timestamp, uint difference, uint window,
        int seq, int ack, string hex)
    {
        var header = new UtpHeader((UtpPacketType)type, (ushort)id, timestamp, difference, window, (ushort)seq, (ushort)ack);
        var bytes = new byte[UtpHeader.Length];

        header.WriteTo(bytes);

        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexStringLower(bytes));
        Assert.Equal(header, UtpHeader.Read(bytes));
    }

    [Theory]
    [InlineData("41 00 1234 01020304 00000000 00000000 0001", "expected a 20-byte header, got 18 bytes")]
    [InlineData("42 00 1234 01020304 00000000 00000000 0001 0000", "expected version 1 in the low nibble of byte 0, got 2")]
    [InlineData("51 00 1234 01020304 00000000 00000000 0001 0000", "expected a type 0..4 in the high nibble of byte 0, got 5")]
    public void Read_BrokenHeader_ThrowsSayingWhereAndWhat(string hex, string message)
    {
        var error = Assert.Throws<UtpException>(() => UtpHeader.Read(WireSamples.Hex(hex)));

        Assert.Contains(message, error.Message);
    }
}
