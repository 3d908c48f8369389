using System.Text;
using TorrentLab.Extensions;

namespace TorrentLab.Tests.Extensions;

public class MetadataMessageTests
{
    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    [Fact]
    public void Encode_Request_IsByteExact() =>
        Assert.Equal("d8:msg_typei0e5:piecei0ee", Latin1(MetadataMessage.Request(0).Encode()));   // BEP 9's example

    [Fact]
    public void Encode_Reject_IsByteExact() =>
        Assert.Equal("d8:msg_typei2e5:piecei7ee", Latin1(MetadataMessage.Reject(7).Encode()));

    [Fact]
    public void Encode_Data_AppendsThePieceAfterTheDictionary() =>
        Assert.Equal("d8:msg_typei1e5:piecei1e10:total_sizei16387ee\x01\x02\x03",
            Latin1(MetadataMessage.DataOf(1, 16387, new byte[] { 1, 2, 3 }).Encode()));

    [Fact]
    public void Encode_OnTheWire_IsTheExtendedMessageWithTheirId()
    {
        var wire = TorrentLab.Wire.MessageWriter.ToBytes(TorrentLab.Wire.PeerMessage.Extended(2, MetadataMessage.Request(1).Encode()));

        // <len=27><id=20><their ut_metadata id=2>d8:msg_typei0e5:piecei1ee
        Assert.Equal("0000001b1402" + Convert.ToHexStringLower("d8:msg_typei0e5:piecei1ee"u8), Convert.ToHexStringLower(wire));
    }

    [Theory]
    [InlineData(nameof(MetadataMessageType.Request), 0)]
    [InlineData(nameof(MetadataMessageType.Reject), 3)]
    [InlineData(nameof(MetadataMessageType.Data), 2)]
    public void Encode_ThenDecode_RoundTrips(string name, int piece) // the enum's name: the type is internal
    {
        var type = Enum.Parse<MetadataMessageType>(name);
        var message = type switch
        {
            MetadataMessageType.Request => MetadataMessage.Request(piece),
            MetadataMessageType.Reject => MetadataMessage.Reject(piece),
            _ => MetadataMessage.DataOf(piece, 40000, Enumerable.Range(0, 100).Select(i => (byte)i).ToArray()),
        };

        var again = MetadataMessage.Decode(message.Encode());

        Assert.Equal((message.Type, message.Piece, message.TotalSize), (again.Type, again.Piece, again.TotalSize));
        Assert.Equal(message.Data.ToArray(), again.Data.ToArray());
    }

    [Fact]
    public void Decode_UnknownMsgType_IsKeptForTheCallerToIgnore()
    {
        var message = MetadataMessage.Decode("d8:msg_typei9e5:piecei0ee"u8.ToArray());   // BEP 9: unknown types are ignored

        Assert.Equal(9, (int)message.Type);
    }

    [Theory]
    [InlineData("i1e", "expected a bencoded dictionary")]
    [InlineData("d5:piecei0ee", "msg_type is missing")]
    [InlineData("d8:msg_typei0ee", "without a valid piece index")]
    [InlineData("d8:msg_typei0e5:piecei-1ee", "without a valid piece index")]
    [InlineData("d8:msg_typei1e5:piecei0eexx", "without a positive total_size")]              // data needs total_size
    [InlineData("d8:msg_typei1e5:piecei0e10:total_sizei0eexx", "without a positive total_size")]
    [InlineData("d8:msg_typei1e5:piecei0e10:total_size", "ut_metadata:")]                   // truncated dictionary
    public void Decode_Violation_ThrowsExtensionException(string text, string expected)
    {
        var e = Assert.Throws<ExtensionException>(() => MetadataMessage.Decode(Encoding.Latin1.GetBytes(text)));

        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(16384, 1)]
    [InlineData(16385, 2)]   // BEP 9: "All blocks are 16KiB except the last block which may be smaller."
    public void PieceCount_CountsSixteenKiBPieces(long size, int pieces) => Assert.Equal(pieces, MetadataMessage.PieceCount(size));
}
