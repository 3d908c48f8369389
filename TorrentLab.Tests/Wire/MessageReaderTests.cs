using System.Runtime.InteropServices;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class MessageReaderTests
{
    private const int Block = WireLimits.BlockLength;

    [Theory]
    [InlineData("00000000", "keep-alive")]
    [InlineData("00000001 00", "choke")]
    [InlineData("00000001 01", "unchoke")]
    [InlineData("00000001 02", "interested")]
    [InlineData("00000001 03", "not interested")]
    [InlineData("00000005 04 0000000b", "have index=11")]                               // the last of 12 pieces
    [InlineData("00000003 05 c010", "bitfield bytes=2 set=3")]
    [InlineData("0000000d 06 00000001 00004000 00004000", "request index=1 begin=16384 len=16384")]
    [InlineData("0000000c 07 00000001 00004000 aabbcc", "piece index=1 begin=16384 len=3")]
    [InlineData("0000000d 08 00000001 00004000 00004000", "cancel index=1 begin=16384 len=16384")]
    [InlineData("00000003 09 1ae1", "port port=6881")]
    [InlineData("00000003 14 0064", "extended ext_id=0 len=1")]                         // BEP 10: extended id 0, a 1-byte payload
    [InlineData("00000003 18 0064", "unknown id=24 len=2")]                             // skipped by its length
    [InlineData("00000005 0d 00000007", "suggest index=7")]                             // BEP 6
    [InlineData("00000001 0e", "have all")]
    [InlineData("00000001 0f", "have none")]
    [InlineData("0000000d 10 00000002 00008000 00004000", "reject index=2 begin=32768 len=16384")]
    [InlineData("00000005 11 0000000b", "allowed fast index=11")]
    public void TryRead_EachMessage_DecodesAndConsumesExactlyIt(string hex, string expected)
    {
        var bytes = WireSamples.Hex(hex);
        var input = bytes.Concat(new byte[] { 0, 0, 0 }).ToArray();   // trailing bytes of the next message stay

        Assert.True(MessageReader.TryRead(input, WireSamples.PieceCount, Block, out var message, out var consumed));
        Assert.Equal(expected, message.ToString());
        Assert.Equal(bytes.Length, consumed);
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("00000001 02")]
    [InlineData("00000005 04 00000005")]
    [InlineData("00000003 05 c010")]
    [InlineData("0000000d 06 00000001 00004000 00004000")]
    [InlineData("0000000c 07 00000001 00004000 aabbcc")]
    [InlineData("00000003 14 0064")]
    [InlineData("00000003 18 0064")]
    public void TryRead_AnyTruncation_ReturnsFalseAndConsumesNothing(string hex)
    {
        var bytes = WireSamples.Hex(hex);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(MessageReader.TryRead(bytes.AsMemory(0, length), WireSamples.PieceCount, Block, out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Theory]
    [InlineData("7fffffff", "2147483647")]                            // 2 GiB announced: rejected from the prefix alone
    [InlineData("ffffffff", "4294967295")]                            // would be negative as a signed int
    [InlineData("00100001", "1048577")]                               // 1 MiB + 1: over the hard limit
    [InlineData("00004011 07", "length 16401")]                       // a piece of 16 KiB + 8: too long a block
    [InlineData("00000009 07", "length 9")]                           // a piece with an empty block
    [InlineData("00000002 00", "length 2")]                           // choke carries no payload
    [InlineData("00000006 04", "length 6")]                           // have is exactly 5
    [InlineData("0000000e 06", "length 14")]                          // request is exactly 13
    [InlineData("00000004 05", "for 12 pieces")]                      // bitfield must be ceil(12/8) = 2 bytes
    [InlineData("00000003 05 c018", "spare bits")]                    // bit 12 set: a 13th piece that does not exist
    [InlineData("00000005 04 0000000c", "piece index 12")]            // have index = piece count
    [InlineData("0000000d 06 0000000c 00000000 00004000", "index 12")] // request beyond the last piece
    [InlineData("0000000c 07 ffffffff 00000000 aabbcc", "index 4294967295")]
    [InlineData("0000000d 06 00000000 80000000 00004000", "begin=2147483648")]
    [InlineData("0000000d 08 00000000 00000000 00000000", "0 bytes")] // cancel of nothing
    [InlineData("00000001 14", "extended message (id 20) of length 1")] // BEP 10: the extended id is missing
    [InlineData("00000002 0e", "have all message (id 14) of length 2")] // BEP 6: have all carries nothing
    [InlineData("00000006 11", "allowed fast message (id 17) of length 6")] // BEP 6: allowed fast is exactly 5
    [InlineData("00000005 11 0000000c", "allowed fast for piece index 12")] // beyond the last piece
    [InlineData("0000000d 10 00000000 00000000 00000000", "rejects 0 bytes")]
    public void TryRead_Violation_ThrowsWireExceptionSayingWhat(string hex, string expected)
    {
        var bytes = WireSamples.Hex(hex);

        var e = Assert.Throws<WireException>(() => MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out _, out _));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TryRead_OversizedPrefix_AllocatesNothingForTheBody()
    {
        var bytes = WireSamples.Hex("7fffffff 07 00000000");
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Throws<WireException>(() => MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out _, out _));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "only the exception may be allocated");
    }

    [Fact]
    public void TryRead_LargerBlockWhenAllowed_IsAccepted()
    {
        var bytes = MessageWriter.ToBytes(PeerMessage.Piece(0, 0, new byte[2 * Block]));

        Assert.Throws<WireException>(() => MessageReader.TryRead(bytes, 1, Block, out _, out _));
        Assert.True(MessageReader.TryRead(bytes, 1, 2 * Block, out var message, out _));
        Assert.Equal(2 * Block, message.Length);
    }

    [Fact]
    public void TryRead_Piece_PayloadIsASliceOfTheInputNotACopy()
    {
        var bytes = WireSamples.Hex("0000000c 07 00000001 00004000 aabbcc");

        MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out var message, out _);

        Assert.True(MemoryMarshal.TryGetArray(message.Payload, out var segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(13, segment.Offset);
    }

    [Theory]
    [InlineData("00000005 04 000f4240")]                 // have 1,000,000 while the piece count is unknown
    [InlineData("00000004 05 ffffff")]                   // a bitfield of any size up to 1 MiB
    public void TryRead_PieceCountUnknown_DefersIndexChecks(string hex)
    {
        Assert.True(MessageReader.TryRead(WireSamples.Hex(hex), -1, Block, out _, out _));
    }

    [Fact]
    public void TryRead_UnknownIdThenHave_SkipsTheUnknownByItsLength()
    {
        var bytes = WireSamples.Hex("00000004 63 010203  00000005 04 00000002");

        Assert.True(MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out var unknown, out var first));
        Assert.True(MessageReader.TryRead(bytes.AsMemory(first), WireSamples.PieceCount, Block, out var have, out _));

        Assert.Equal((MessageKind.Unknown, (byte)0x63), (unknown.Kind, unknown.Id));
        Assert.Equal("have index=2", have.ToString());
    }

    [Theory]
    [InlineData(21, "hash request")]
    [InlineData(23, "hash reject")]
    public void TryRead_HashRequestOrReject_KeepsTheBep52BodyForHashMessages(byte id, string name)
    {
        var request = new HashRequest(Enumerable.Repeat((byte)0xab, 32).ToArray(), BaseLayer: 1, Index: 4, Length: 2, ProofLayers: 3);
        var bytes = id == 21 ? HashMessages.EncodeRequest(request) : HashMessages.EncodeReject(request);
        Assert.Equal("00000031" + id.ToString("x2") + string.Concat(Enumerable.Repeat("ab", 32))
            + "00000001" + "00000004" + "00000002" + "00000003", Convert.ToHexStringLower(bytes));

        Assert.True(MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out var message, out var consumed));

        Assert.Equal(53, consumed);
        Assert.Equal((MessageKind)id, message.Kind);
        Assert.Equal(name, message.Name);
        var decoded = HashMessages.DecodeRequest(message.Payload);
        Assert.Equal(request.PiecesRoot.ToArray(), decoded.PiecesRoot.ToArray());
        Assert.Equal((1, 4, 2, 3), (decoded.BaseLayer, decoded.Index, decoded.Length, decoded.ProofLayers));
        Assert.Equal("root=abababababababab.. base=1 index=4 len=2 proof=3", message.Fields);
    }

    [Fact]
    public void TryRead_HashesMessage_CarriesItsHashesAfterTheHeader()
    {
        var request = new HashRequest(new byte[32], 0, 0, 2, 0);
        var bytes = HashMessages.EncodeHashes(request, new byte[64]);

        Assert.True(MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out var message, out _));

        Assert.Equal(MessageKind.Hashes, message.Kind);
        Assert.Equal(2, HashMessages.DecodeHashes(message.Payload).Hashes.Length / 32);
        Assert.EndsWith("hashes=2", message.ToString());
        Assert.Equal(bytes, MessageWriter.ToBytes(message)); // written back byte for byte
    }

    [Fact]
    public void TryRead_HashRequestOfTheWrongLength_IsAViolationNamingIt()
    {
        var bytes = Convert.FromHexString("00000005" + "15" + "00000000");
        var e = Assert.Throws<WireException>(() => MessageReader.TryRead(bytes, WireSamples.PieceCount, Block, out _, out _));
        Assert.Contains("hash request message (id 21) of length 5, expected 49", e.Message);
    }
}
