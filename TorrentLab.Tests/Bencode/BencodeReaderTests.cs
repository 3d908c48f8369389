using TorrentLab.Bencode;

namespace TorrentLab.Tests.Bencode;

public class BencodeReaderTests
{
    [Theory]
    [InlineData("i0e", 0L)]
    [InlineData("i42e", 42L)]
    [InlineData("i-7e", -7L)]
    [InlineData("i4294967300e", 4294967300L)]                 // beyond 32 bits
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    public void ReadInteger_Valid_ReturnsValueAndAdvancesPastE(string input, long expected)
    {
        var reader = new BencodeReader(Bytes(input));
        Assert.Equal(expected, reader.ReadInteger());
        Assert.Equal(input.Length, reader.Position);
    }

    [Theory]
    [InlineData("i03e", 1, "leading zero in integer")]
    [InlineData("i-0e", 1, "negative zero")]
    [InlineData("i-03e", 2, "leading zero in integer")]
    [InlineData("i-e", 2, "expected a digit in integer, got 'e'")]
    [InlineData("ie", 1, "expected a digit in integer, got 'e'")]
    [InlineData("i", 1, "unexpected end of input in integer")]
    [InlineData("i12", 3, "unexpected end of input: expected 'e' after integer")]
    [InlineData("i1x2e", 2, "expected 'e' after integer, got 'x'")]
    [InlineData("i+1e", 1, "expected a digit in integer, got '+'")]
    [InlineData("i9223372036854775808e", 1, "integer does not fit in 64 bits")]   // long.MaxValue + 1
    [InlineData("i-9223372036854775809e", 2, "integer does not fit in 64 bits")]  // long.MinValue - 1
    [InlineData("i184467440737095516150e", 1, "integer does not fit in 64 bits")] // beyond even ulong
    public void ReadInteger_Malformed_ThrowsWithOffsetAndLeavesReaderUnchanged(string input, int offset, string message)
    {
        var reader = new BencodeReader(Bytes(input));
        var error = Capture(() => { var r = new BencodeReader(Bytes(input)); r.ReadInteger(); });
        Assert.Equal(offset, error.Offset);
        Assert.Contains(message, error.Message);
        // The same read on a live reader fails and leaves its position where it was.
        try { reader.ReadInteger(); Assert.Fail("expected an exception"); }
        catch (BencodeException) { Assert.Equal(0, reader.Position); }
    }

    [Theory]
    [InlineData("0:", "")]
    [InlineData("4:spam", "spam")]
    [InlineData("3:a\0b", "a\0b")]            // NUL is just a byte
    public void ReadString_Valid_ReturnsTheBytes(string input, string expected)
    {
        var reader = new BencodeReader(Bytes(input));
        Assert.Equal(Bytes(expected), reader.ReadString().ToArray());
        Assert.Equal(input.Length, reader.Position);
    }

    [Theory]
    [InlineData("03:abc", 0, "leading zero in string length")]
    [InlineData("00:", 0, "leading zero in string length")]
    [InlineData("5:abc", 0, "string of 5 bytes but only 3 bytes left")]
    [InlineData("1", 1, "unexpected end of input: expected ':' after string length 1")]
    [InlineData("1x", 1, "expected ':' after string length 1, got 'x'")]
    [InlineData("4x", 0, "string length exceeds the 2 bytes of input left")]   // checked before the ':'

    [InlineData("99999999999999999999:a", 0, "string length exceeds")]   // never allocates, never overflows
    public void ReadString_Malformed_ThrowsWithOffsetAndLeavesReaderUnchanged(string input, int offset, string message)
    {
        var reader = new BencodeReader(Bytes(input));
        try { reader.ReadString(); Assert.Fail("expected an exception"); }
        catch (BencodeException e)
        {
            Assert.Equal(offset, e.Offset);
            Assert.Contains(message, e.Message);
            Assert.Equal(0, reader.Position);
        }
    }

    [Fact]
    public void ReadEncodedValue_ReturnsTheExactBytesOfOneValue()
    {
        var input = Bytes("d4:infod4:name1:a6:lengthi1ee3:zzzi0ee");
        var reader = new BencodeReader(input, BencodeOptions.Lenient);
        reader.ReadDictionaryStart();
        Assert.Equal("info", System.Text.Encoding.ASCII.GetString(reader.ReadString()));
        Assert.Equal("d4:name1:a6:lengthi1ee", System.Text.Encoding.ASCII.GetString(reader.ReadEncodedValue()));
        Assert.Equal("3:zzz", System.Text.Encoding.ASCII.GetString(reader.ReadEncodedValue()));
    }

    [Fact]
    public void ReadEncodedValue_Truncated_ThrowsAndLeavesReaderUnchanged()
    {
        var reader = new BencodeReader(Bytes("l4:spami1e"));
        try { reader.ReadEncodedValue(); Assert.Fail("expected an exception"); }
        catch (BencodeException e)
        {
            Assert.Contains("list is missing its closing 'e'", e.Message);
            Assert.Equal(10, e.Offset);
            Assert.Equal(0, reader.Position);
        }
    }

    [Fact]
    public void Peek_DoesNotConsume()
    {
        var reader = new BencodeReader(Bytes("i1e"));
        Assert.Equal(BencodeToken.Integer, reader.Peek());
        Assert.Equal(BencodeToken.Integer, reader.Peek());
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void Peek_AtEnd_ReturnsNone() => Assert.Equal(BencodeToken.None, new BencodeReader([]).Peek());

    [Fact]
    public void Peek_InvalidByte_ThrowsWithOffset()
    {
        var error = Capture(() => new BencodeReader(Bytes("x")).Peek());
        Assert.Equal(0, error.Offset);
        Assert.Contains("expected a value (i, l, d or a digit), got 'x'", error.Message);
    }

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static BencodeException Capture(Action action) => Assert.Throws<BencodeException>(action);
}
