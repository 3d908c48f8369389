using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class MessageWriterTests
{
    // Every row is <length 4><id 1><payload>; the reader tests decode the same rows.
    [Theory]
    [InlineData("keep-alive", "00000000")]                                              // <len=0>, no id
    [InlineData("choke", "00000001 00")]                                                // <len=1><id=0>
    [InlineData("unchoke", "00000001 01")]                                              // <len=1><id=1>
    [InlineData("interested", "00000001 02")]                                           // <len=1><id=2>
    [InlineData("not interested", "00000001 03")]                                       // <len=1><id=3>
    [InlineData("have index=5", "00000005 04 00000005")]                                // <len=5><id=4><index>
    [InlineData("bitfield bytes=2 set=3", "00000003 05 c010")]                          // high bit = piece 0; spare bits zero
    [InlineData("request index=1 begin=16384 len=16384", "0000000d 06 00000001 00004000 00004000")]
    [InlineData("piece index=1 begin=16384 len=3", "0000000c 07 00000001 00004000 aabbcc")]
    [InlineData("cancel index=1 begin=16384 len=16384", "0000000d 08 00000001 00004000 00004000")]
    [InlineData("port port=6881", "00000003 09 1ae1")]                                  // BEP 5 DHT port
    [InlineData("extended ext_id=3 len=2", "00000004 14 03 6465")]                      // BEP 10: <id=20><extended id><payload>
    [InlineData("unknown id=24 len=2", "00000003 18 0064")]                             // an id we do not speak: raw body
    [InlineData("suggest index=7", "00000005 0d 00000007")]                             // BEP 6: <len=5><id=13><index>
    [InlineData("have all", "00000001 0e")]                                             // BEP 6: <len=1><id=14>
    [InlineData("have none", "00000001 0f")]                                            // BEP 6: <len=1><id=15>
    [InlineData("reject index=2 begin=32768 len=16384", "0000000d 10 00000002 00008000 00004000")] // BEP 6: <id=16>, as request
    [InlineData("allowed fast index=11", "00000005 11 0000000b")]                       // BEP 6: <len=5><id=17><index>
    public void Write_EachMessage_IsByteExact(string name, string hex)
    {
        var message = WireSamples.Get(name);

        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexStringLower(MessageWriter.ToBytes(message)));
        Assert.Equal(WireSamples.Hex(hex).Length, MessageWriter.EncodedLength(message));
    }

    [Theory]
    [InlineData("have index=5")]
    [InlineData("bitfield bytes=2 set=3")]
    [InlineData("request index=1 begin=16384 len=16384")]
    [InlineData("piece index=1 begin=16384 len=3")]
    [InlineData("cancel index=1 begin=16384 len=16384")]
    [InlineData("port port=6881")]
    [InlineData("extended ext_id=3 len=2")]
    [InlineData("suggest index=7")]
    [InlineData("have all")]
    [InlineData("have none")]
    [InlineData("reject index=2 begin=32768 len=16384")]
    [InlineData("allowed fast index=11")]
    public void Write_ThenRead_RoundTrips(string name)
    {
        var message = WireSamples.Get(name);

        var ok = MessageReader.TryRead(MessageWriter.ToBytes(message), WireSamples.PieceCount, WireLimits.BlockLength, out var read, out _);

        Assert.True(ok);
        Assert.Equal(message.Kind, read.Kind);
        Assert.Equal((message.Index, message.Begin, message.Length), (read.Index, read.Begin, read.Length));
        Assert.Equal(message.Payload.ToArray(), read.Payload.ToArray());
    }

    [Fact]
    public void Write_DestinationTooSmall_IsCallerMisuse()
    {
        Assert.Throws<ArgumentException>(() => MessageWriter.Write(PeerMessage.Have(1), new byte[8]));
    }

    [Fact]
    public void Factories_NegativeFields_AreCallerMisuse()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessage.Have(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessage.Request(0, -1, 16384));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessage.Request(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerMessage.Piece(0, 0, ReadOnlyMemory<byte>.Empty));
    }
}
