using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

public class NodeIdTests
{
    private static NodeId Id(string hex) => NodeId.FromHex(hex.PadRight(40, '0'));

    [Fact]
    public void DistanceTo_IsTheXorOfTheBytes() =>
        Assert.Equal(Id("f0").Hex, Id("ff").DistanceTo(Id("0f")).Hex);

    [Theory]
    [InlineData("00", "00", 160)]
    [InlineData("80", "00", 0)]   // the first bit differs
    [InlineData("01", "00", 7)]
    [InlineData("0001", "0000", 15)]
    public void CommonPrefixLength_CountsTheSharedLeadingBits(string a, string b, int expected) =>
        Assert.Equal(expected, Id(a).CommonPrefixLength(Id(b)));

    [Fact]
    public void LogDistanceTo_IsTheBitLengthOfTheDistance()
    {
        Assert.Equal(160, Id("80").LogDistanceTo(Id("00")));
        Assert.Equal(0, Id("12").LogDistanceTo(Id("12")));
    }

    [Fact]
    public void CompareDistance_OrdersByXorNotByNumericCloseness()
    {
        var target = Id("10");
        // 0x0f is numerically next to 0x10, but XOR-far (0x1f); 0x17 is XOR-near (0x07).
        Assert.True(target.CompareDistance(Id("17"), Id("0f")) < 0);
        Assert.True(target.CompareDistance(Id("0f"), Id("17")) > 0);
        Assert.Equal(0, target.CompareDistance(Id("17"), Id("17")));
    }

    [Fact]
    public void Sorting_ByDistance_PutsTheTargetFirst()
    {
        var target = Id("a5");
        var ids = new[] { Id("00"), Id("ff"), Id("a4"), Id("a5"), Id("25") };

        var sorted = ids.OrderBy(i => i, Comparer<NodeId>.Create(target.CompareDistance)).Select(i => i.Hex[..2]);

        Assert.Equal(["a5", "a4", "ff", "25", "00"], sorted);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(63)]
    [InlineData(159)]
    public void RandomWithPrefix_SharesExactlyThatManyBits(int bits)
    {
        var own = NodeId.Random(new Random(bits));
        for (var i = 0; i < 20; i++)
            Assert.Equal(bits, own.CommonPrefixLength(own.RandomWithPrefix(bits, new Random(i))));
    }

    [Fact]
    public void FromHex_WrongLength_IsAFormatError() =>
        Assert.Throws<FormatException>(() => NodeId.FromHex("abcd"));
}
