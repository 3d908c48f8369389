using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class HandshakeTests
{
    private static readonly InfoHash Hash = InfoHash.FromHex("0123456789abcdef0123456789abcdef01234567");
    private static readonly PeerId Id = new("-TZ0100-abcdefghijkl"u8);

    [Fact]
    public void WriteTo_ProducesTheBep3Layout()
    {
        var bytes = new Handshake(Hash, Id, Handshake.ExtensionProtocolBit).ToBytes();

        Assert.Equal(
            "13" + "426974546f7272656e742070726f746f636f6c"    // 19, "BitTorrent protocol"
            + "0000000000100000"                               // reserved: byte 5 = 0x10 (BEP 10)
            + "0123456789abcdef0123456789abcdef01234567"       // info hash
            + "2d545a303130302d6162636465666768696a6b6c",      // peer id "-TZ0100-abcdefghijkl"
            Convert.ToHexStringLower(bytes));
    }

    [Theory]
    [InlineData(0UL, false)]
    [InlineData(Handshake.ExtensionProtocolBit, true)]
    [InlineData(0x0000_0000_0000_0005UL, false)]     // DHT and fast extension bits: not BEP 10
    public void TryRead_RoundTripsReservedBitsAndExtensionFlag(ulong reserved, bool extensions)
    {
        var original = new Handshake(Hash, Id, reserved);

        Assert.True(Handshake.TryRead(original.ToBytes(), out var read));

        Assert.Equal(original, read);
        Assert.Equal(extensions, read.SupportsExtensions);
        Assert.Equal(extensions, (read.ReservedBytes[5] & 0x10) != 0);
    }

    [Fact]
    public void TryRead_AnyTruncation_ReturnsFalse()
    {
        var bytes = new Handshake(Hash, Id).ToBytes();
        for (var length = 0; length < Handshake.Length; length++)
            Assert.False(Handshake.TryRead(bytes.AsSpan(0, length), out _));
    }

    [Fact]
    public void TryReadHeader_First48Bytes_GivesTheInfoHashBeforeThePeerId()
    {
        var bytes = new Handshake(Hash, Id).ToBytes();

        Assert.False(Handshake.TryReadHeader(bytes.AsSpan(0, 47), out _, out _));
        Assert.True(Handshake.TryReadHeader(bytes.AsSpan(0, 48), out _, out var infoHash));
        Assert.Equal(Hash, infoHash);
    }

    [Theory]
    [InlineData("12", "length 19 at byte 0, got 18")]                                  // wrong pstrlen, seen at once
    [InlineData("13426974546f7272656e742070726f746f636f58", "\"BitTorrent protocoX\"")] // wrong name
    [InlineData("13487454", "\"HtT\"")]                                                // wrong from the third byte
    public void TryRead_WrongProtocol_ThrowsAsSoonAsItShows(string hex, string expected)
    {
        var e = Assert.Throws<WireException>(() => Handshake.TryRead(Convert.FromHexString(hex), out _));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SupportsV2_IsBep52sUpgradeBitInTheLastReservedByte()
    {
        var ours = new Handshake(new TorrentLab.Metainfo.InfoHash(new byte[20]), new PeerId(new byte[20]), Handshake.V2UpgradeBit | Handshake.FastExtensionBit);

        Assert.Equal("0000000000000014", Convert.ToHexStringLower(ours.ReservedBytes));
        Assert.True(ours.SupportsV2);
        Assert.False(new Handshake(ours.InfoHash, ours.PeerId, Handshake.FastExtensionBit).SupportsV2);
    }
}
