using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Tests.Bencode;

public class BencodeDecoderTests
{
    [Theory]
    [InlineData("693432 65", "42")]                            // i42e
    [InlineData("693065", "0")]                                // i0e
    [InlineData("692d3532 65", "-52")]                         // i-52e
    [InlineData("353a68656c6c6f", "\"hello\"")]                // 5:hello
    [InlineData("303a", "\"\"")]                               // 0: the empty string
    [InlineData("6c 353a68656c6c6f 693532 65 65", "[\"hello\",52]")]  // l5:helloi52ee
    [InlineData("6c65", "[]")]                                 // le
    [InlineData("6465", "{}")]                                 // de
    [InlineData("64 333a666f6f 333a626172 353a68656c6c6f 693532 65 65", "{\"foo\":\"bar\",\"hello\":52}")] // d3:foo3:bar5:helloi52ee
    [InlineData("64 313a41 6930 65 313a61 6931 65 65", "{\"A\":0,\"a\":1}")] // 'A' (0x41) sorts before 'a' (0x61): raw bytes
    [InlineData("64 303a 693432 30 65 65", "{\"\":420}")]      // d0:i420ee: the empty key
    [InlineData("6c 6c 6c 65 65 65", "[[[]]]")]               // lllleee nested
    public void Decode_Valid_GivesTheValue(string hex, string json)
    {
        Assert.Equal(json, BencodeJson.ToJson(BencodeDecoder.Decode(Hex(hex))));
    }

    [Theory]
    [InlineData("", 0, "unexpected end of input: expected a value")]                 // empty input
    [InlineData("65", 0, "expected a value, got 'e'")]                                 // e alone
    [InlineData("69303365", 1, "leading zero in integer")]                             // i03e
    [InlineData("692d3065", 1, "negative zero")]                                       // i-0e
    [InlineData("692d65", 2, "expected a digit in integer")]                           // i-e
    [InlineData("6965", 1, "expected a digit in integer")]                             // ie: empty integer
    [InlineData("30333a616263", 0, "leading zero in string length")]                   // 03:abc
    [InlineData("6c 693165", 4, "list is missing its closing 'e'")]                    // li1e: missing e
    [InlineData("64 313a61 693165", 7, "dictionary is missing its closing 'e'")]       // d1:ai1e
    [InlineData("693432 65 65", 4, "expected end of input, got 1 trailing byte(s)")]   // i42ee: trailing bytes
    [InlineData("64 313a62 6931 65 313a61 6932 65 65", 7, "dictionary key 'a' is not in sorted order")] // d1:bi1e1:ai2ee
    [InlineData("64 313a61 6931 65 313a61 6932 65 65", 7, "duplicate dictionary key 'a'")]              // d1:ai1e1:ai2ee
    [InlineData("64 6934 32 65 333a796573 65", 1, "expected a byte string as dictionary key, got 'i'")] // di42e3:yese
    [InlineData("64 313a61 65", 4, "expected a value for dictionary key 'a'")]         // d1:ae
    [InlineData("353a616263", 0, "string of 5 bytes but only 3 bytes left")]           // 5:abc: truncated
    [InlineData("6939323233333732303336383534373735383038 65", 1, "does not fit in 64 bits")] // i9223372036854775808e
    [InlineData("78", 0, "expected a value (i, l, d or a digit), got 'x'")]            // x
    public void Decode_Malformed_ThrowsWithOffsetAndExpectedVersusActual(string hex, long offset, string message)
    {
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(Hex(hex)));
        Assert.Equal(offset, error.Offset);
        Assert.Contains(message, error.Message);
        Assert.EndsWith($"at byte {offset}", error.Message);
    }

    [Theory]
    [InlineData("d1:bi1e1:ai2ee", "{\"b\":1,\"a\":2}")]   // unsorted keys: accepted, order kept
    [InlineData("i42e\n", "42")]                          // a trailing newline: accepted
    public void DecodeLenient_AcceptsUnsortedKeysAndTrailingBytes(string input, string json) =>
        Assert.Equal(json, BencodeJson.ToJson(BencodeDecoder.Decode(Encoding.ASCII.GetBytes(input), BencodeOptions.Lenient)));

    [Theory]
    [InlineData("d1:ai1e1:bi2e1:ai3ee", "duplicate dictionary key 'a'")]  // duplicate after going out of order
    [InlineData("d1:bi1e1:ai2e1:ai3ee", "duplicate dictionary key 'a'")]  // duplicate of an out-of-order key
    [InlineData("i03e", "leading zero")]
    [InlineData("03:abc", "leading zero")]
    [InlineData("l", "missing its closing 'e'")]
    [InlineData("i-0e", "negative zero")]
    public void DecodeLenient_StillRejectsEverythingWorse(string input, string message)
    {
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(Encoding.ASCII.GetBytes(input), BencodeOptions.Lenient));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Decode_900LevelsDeep_FailsWithDepthErrorNotStackOverflow()
    {
        var input = Encoding.ASCII.GetBytes(new string('l', 900) + new string('e', 900));
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input));
        Assert.Contains("nesting deeper than 100 levels", error.Message);
        Assert.Equal(100, error.Offset);
    }

    [Fact]
    public void Decode_ExactlyMaxDepth_Succeeds()
    {
        var input = Encoding.ASCII.GetBytes(new string('l', 100) + new string('e', 100));
        Assert.IsType<BList>(BencodeDecoder.Decode(input));
        Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(Encoding.ASCII.GetBytes(new string('l', 101) + new string('e', 101))));
    }

    [Fact]
    public void Decode_MoreElementsThanTheLimit_Fails()
    {
        var input = Encoding.ASCII.GetBytes("l" + string.Concat(Enumerable.Repeat("0:", 20)) + "e");
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, BencodeOptions.Strict with { MaxElements = 10 }));
        Assert.Contains("more than 10 values (the limit)", error.Message);
        Assert.True(error.IsLimit); // reported as a limit, not as malformed bencode
    }

    [Fact]
    public void Decode_HugeDeclaredStringLength_FailsBeforeAllocating()
    {
        // A declared length of ~2 GB in a 20-byte input must be refused by comparison, not by trying to allocate.
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(Encoding.ASCII.GetBytes("d1:a2147483647:xxe")));
        Assert.Contains("exceeds", error.Message);
    }

    [Fact]
    public void Decode_KeepsTheRawBytesAndOffsetOfEveryValue()
    {
        var input = Encoding.ASCII.GetBytes("d8:announce3:url4:infod6:lengthi5e4:name1:aee");
        var root = BencodeDecoder.DecodeDictionary(input);
        var info = root["info"]!;
        Assert.Equal("d6:lengthi5e4:name1:ae", Encoding.ASCII.GetString(info.Raw.Span));
        Assert.Equal(22, info.Offset);
        Assert.Equal(input, root.Raw.ToArray());
    }

    [Fact]
    public void DecodeDictionary_OtherTopLevelValue_Throws() =>
        Assert.Contains("expected a dictionary", Assert.Throws<BencodeException>(() => BencodeDecoder.DecodeDictionary(Encoding.ASCII.GetBytes("i1e"))).Message);

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
}
