using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

[Trait("Tier", "Slow")]
public class DecodeCommandTests
{
    [Theory]
    [InlineData("5:hello", "\"hello\"")]
    [InlineData("i52e", "52")]
    [InlineData("i4294967300e", "4294967300")]          // beyond 32 bits
    [InlineData("i-52e", "-52")]
    [InlineData("l5:helloi52ee", "[\"hello\",52]")]
    [InlineData("d3:foo3:bar5:helloi52ee", "{\"foo\":\"bar\",\"hello\":52}")]
    [InlineData("6:héllo", "\"héllo\"")]                // non-ASCII stays as is, never \u00e9
    public void Decode_PrintsClassroomJson(string input, string expected)
    {
        var result = CliRunner.Run(["decode", input]);
        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(expected + "\n", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void Decode_InvalidInput_OneLineErrorWithOffsetAndBadInputCode()
    {
        var result = CliRunner.Run(["decode", "i03e"]);
        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal("error: invalid bencode: leading zero in integer at byte 1\n", result.Stderr);
    }

    [Fact]
    public void Decode_MissingArgument_IsAUsageError()
    {
        var result = CliRunner.Run(["decode"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }
}
