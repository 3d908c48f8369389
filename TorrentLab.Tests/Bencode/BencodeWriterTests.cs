using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Tests.Bencode;

public class BencodeWriterTests
{
    [Fact]
    public void Encode_Integers_AreShortestDecimal()
    {
        Assert.Equal("i0e", Ascii(BencodeWriter.Encode(new BInteger(0))));
        Assert.Equal("i-52e", Ascii(BencodeWriter.Encode(new BInteger(-52))));
        Assert.Equal("i-9223372036854775808e", Ascii(BencodeWriter.Encode(new BInteger(long.MinValue))));
    }

    [Fact]
    public void Encode_Strings_CountBytesNotCharacters() =>
        Assert.Equal("6:héllo", Encoding.UTF8.GetString(BencodeWriter.Encode(new BString("héllo"))));

    [Fact]
    public void Encode_Dictionary_SortsKeysAsRawBytes()
    {
        // Inserted out of order; 'Z' (0x5a) < 'a' (0x61) < 0xc3 (first byte of 'é'); a prefix sorts first.
        var dict = new BDictionary()
            .Set("é", new BInteger(3))
            .Set("ab", new BInteger(2))
            .Set("a", new BInteger(1))
            .Set("Z", new BInteger(0));
        Assert.Equal("d1:Zi0e1:ai1e2:abi2e2:éi3ee", Encoding.UTF8.GetString(BencodeWriter.Encode(dict)));
    }

    [Fact]
    public void Encode_NestedValue_IsByteExact()
    {
        var value = new BList([new BString("spam"), new BInteger(42), new BDictionary().Set("cow", new BString("moo"))]);
        Assert.Equal("l4:spami42ed3:cow3:mooee", Ascii(BencodeWriter.Encode(value)));
    }

    [Fact]
    public void Set_ExistingKey_ReplacesTheValue()
    {
        var dict = new BDictionary().Set("a", new BInteger(1)).Set("a", new BInteger(2));
        Assert.Equal("d1:ai2ee", Ascii(BencodeWriter.Encode(dict)));
    }

    [Theory]
    [InlineData("d3:CDE5:hello3:abci123ee")]    // anacrolix's canonical encodings
    [InlineData("d1:a1:b1:c1:de")]
    [InlineData("l4:spami42ed3:cow3:mooee")]
    [InlineData("i-9223372036854775808e")]
    [InlineData("0:")]
    public void DecodeThenEncode_CanonicalInput_GivesTheSameBytes(string input)
    {
        var bytes = Encoding.ASCII.GetBytes(input);
        Assert.Equal(bytes, BencodeWriter.Encode(BencodeDecoder.Decode(bytes)));
    }

    [Fact]
    public void Encode_UnsortedLenientInput_BecomesCanonical()
    {
        var value = BencodeDecoder.Decode(Encoding.ASCII.GetBytes("d1:bi1e1:ai2ee"), BencodeOptions.Lenient);
        Assert.Equal("d1:ai2e1:bi1ee", Ascii(BencodeWriter.Encode(value)));
    }

    private static string Ascii(byte[] bytes) => Encoding.ASCII.GetString(bytes);
}
