using System.Text.Json;
using TorrentLab.Bencode;
using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

public class JsonComparisonTests
{
    private static string? Compare(string bencode, string json) =>
        JsonComparison.Difference(BencodeDecoder.Decode(System.Text.Encoding.UTF8.GetBytes(bencode)), JsonDocument.Parse(json).RootElement);

    [Theory]
    [InlineData("5:hello", "\"hello\"")]
    [InlineData("6:h\u00e9llo", "\"h\\u00e9llo\"")]                       // escapes are fine: the value counts
    [InlineData("i-52e", "-52")]
    [InlineData("l5:helloi52ee", "[ \"hello\", 52 ]")]                   // spacing is free
    [InlineData("d3:foo3:bar5:helloi52ee", "{\"hello\": 52, \"foo\": \"bar\"}")] // key order is free
    public void Difference_SameValue_IsNull(string bencode, string json) => Assert.Null(Compare(bencode, json));

    [Theory]
    [InlineData("i52e", "\"52\"", "expected the number 52, got the string")]
    [InlineData("5:hello", "\"hell\"", "expected \"hello\"")]
    [InlineData("l5:helloi52ee", "[\"hello\"]", "expected 2 items, got 1")]
    [InlineData("d3:foo3:bare", "{}", "key \"foo\" is missing")]
    [InlineData("lli1eee", "[[2]]", "at $[0][0]: expected 1, got 2")]
    public void Difference_OtherValue_SaysWhereAndWhat(string bencode, string json, string expected) =>
        Assert.Contains(expected, Compare(bencode, json));
}
