namespace TorrentLab.Tests;

public class UntrustedTextTests
{
    [Theory]
    [InlineData("scripted failure", "scripted failure")]                                // honest text is unchanged
    [InlineData("\u001b[2J\rerror: download complete", "\\e[2J\\rerror: download complete")] // clear screen, forged line
    [InlineData("a\nb\tc\0d\u007fe", "a\\nb\\tc\\x00d\\x7fe")]
    [InlineData("\u009b31m", "\\x9b31m")]                                             // C1 CSI
    [InlineData("abc\u202Etxt.exe", "abc\\u202etxt.exe")]                             // right-to-left override
    [InlineData("naïve 日本", "naïve 日本")]                                          // printable non-ASCII is kept
    public void Clean_EscapesControlCharacters(string text, string expected)
    {
        Assert.Equal(expected, UntrustedText.Clean(text));
    }

    [Fact]
    public void Clean_AMegabyteReason_IsCutToTheLimit()
    {
        var cleaned = UntrustedText.Clean(new string('x', 1_000_000));
        Assert.Equal(UntrustedText.DefaultMaxLength + 3, cleaned.Length);
        Assert.EndsWith("...", cleaned);
    }
}
