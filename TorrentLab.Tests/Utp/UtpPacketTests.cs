using TorrentLab.Tests.Wire;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class UtpPacketTests
{
    private const string StateHeaderWithSack = "21 01 1234 00000001 00000002 00010000 0010 0020";  // extension = 1: a selective ack follows

    [Fact]
    public void Encode_StateWithSelectiveAck_IsByteExact()
    {
        var header = new UtpHeader(UtpPacketType.State, 0x1234, 1, 2, 0x10000, 0x10, 0x20);

        var bytes = UtpPacket.ToBytes(header, WireSamples.Hex("05000080"));

        // <header, extension=1><next extension=0><len=4><bitmask 4>
        Assert.Equal((StateHeaderWithSack + " 00 04 05000080").Replace(" ", ""), Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Encode_DataWithPayload_IsByteExact()
    {
        var header = new UtpHeader(UtpPacketType.Data, 0xbeef, 7, 8, 9, 0xffff, 0);

        var bytes = UtpPacket.ToBytes(header, payload: "hi"u8);

        Assert.Equal("01 00 beef 00000007 00000008 00000009 ffff 0000 6869".Replace(" ", ""), Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Decode_SelectiveAckThenCloseReasonThenPayload_SlicesEachPart()
    {
        // extension 1 (sack, 4 bytes) -> extension 3 (libtorrent's close reason, 4 bytes, skipped) -> payload "ok"
        var datagram = WireSamples.Hex("01 01 1234 00000001 00000002 00010000 0010 0020 03 04 0f000000 00 04 00000002 6f6b");

        var packet = UtpPacket.Decode(datagram);

        Assert.Equal(UtpPacketType.Data, packet.Header.Type);
        Assert.Equal("0f000000", Convert.ToHexStringLower(packet.SelectiveAck.Span));
        Assert.Equal("ok"u8.ToArray(), packet.Payload.ToArray());
    }

    [Fact]
    public void Decode_SelectiveAckNotAMultipleOfFour_IsAcceptedAsLibtorrentSendsIt()
    {
        var datagram = WireSamples.Hex(StateHeaderWithSack + " 00 01 05");

        Assert.Equal([0x05], UtpPacket.Decode(datagram).SelectiveAck.ToArray());
    }

    [Theory]
    [InlineData(StateHeaderWithSack + " 00", "expected a 2-byte header for extension 1 at byte 20, got 1 bytes")]
    [InlineData(StateHeaderWithSack + " 00 08 0102", "extension 1 at byte 20 declares 8 bytes, only 2 remain")]
    [InlineData(StateHeaderWithSack + " 00 00", "empty selective ack bitmask at byte 20")]
    [InlineData("01 00 1234 00000001 00000002 00010000 0010 0020", "ST_DATA seq=16 without payload (header ends at byte 20)")]
    public void Decode_BrokenPacket_ThrowsSayingWhereAndWhat(string hex, string message)
    {
        var error = Assert.Throws<UtpException>(() => UtpPacket.Decode(WireSamples.Hex(hex)));

        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("41 00 1234 01020304 00000000 00000000 0001 0000", true)]    // ST_SYN, version 1
    [InlineData("d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe", false)] // KRPC (BEP 5): 'd' = 0x64, low nibble 4
    [InlineData("51 00 1234 01020304 00000000 00000000 0001 0000", false)]   // type 5 does not exist
    [InlineData("41 00 1234", false)]                                         // shorter than a header
    public void LooksLikeUtp_TellsUtpFromDhtDatagrams(string input, bool expected)
    {
        var bytes = input.StartsWith('d') ? System.Text.Encoding.ASCII.GetBytes(input) : WireSamples.Hex(input);

        Assert.Equal(expected, UtpPacket.LooksLikeUtp(bytes));
    }

    [Fact]
    public void EncodeThenDecode_RoundTrips()
    {
        var header = new UtpHeader(UtpPacketType.Data, 42, 1_000_000, 250, 65_536, 65_535, 3);
        var bytes = UtpPacket.ToBytes(header, WireSamples.Hex("01000000"), "payload"u8);

        var packet = UtpPacket.Decode(bytes);

        Assert.Equal(header with { Extension = UtpPacket.SelectiveAckExtension }, packet.Header);
        Assert.Equal("01000000", Convert.ToHexStringLower(packet.SelectiveAck.Span));
        Assert.Equal("payload"u8.ToArray(), packet.Payload.ToArray());
    }
}
