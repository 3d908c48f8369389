using TorrentLab.Simulation;

namespace TorrentLab.Tests.Simulation;

/// <summary>The round-trip table the DHT experiment draws its delays from: the shipped RIPE Atlas aggregate as read,
/// the reading of a table, and the errors a broken table gives.</summary>
public class RttTableTests
{
    private const string Small = """
        # two regions
        quantiles 0.10 0.50 0.90
        region A 0.75
        region B 0.25
        rtt A A 10 20 40
        rtt A B 100 150 300   # one line serves both orders
        rtt B B 5 5 6
        """;

    private static RttTable Read(string text) => RttTable.Load(new StringReader(text));

    [Fact]
    public void Published_HasSixRegionsWhoseSharesAddUpToOne_AndIsSymmetric()
    {
        var table = RttTable.Published;
        Assert.Equal(["EU", "NA", "AS", "SA", "OC", "AF"], table.Regions);
        Assert.Equal(1, Enumerable.Range(0, 6).Sum(table.Share), 3);
        for (var a = 0; a < 6; a++)
        {
            for (var b = 0; b < 6; b++) Assert.Equal(table.Between(a, b), table.Between(b, a));
        }
    }

    [Fact]
    public void Published_GivesTheFilesValues_EuropeToNorthAmerica117Point5MsAtTheMedian()
    {
        var table = RttTable.Published;
        var (eu, na) = (table.Regions.ToList().IndexOf("EU"), table.Regions.ToList().IndexOf("NA"));
        Assert.Equal(0.5542, table.Share(eu), 4);
        Assert.Equal(117.5, table.RttMs(na, eu, 0.5), 6); // the file: rtt EU NA, the 0.50 column
        Assert.Equal(99.0, table.RttMs(eu, na, 0.01), 6);
        Assert.Equal(163.4, table.RttMs(eu, na, 0.99), 6);
    }

    [Fact]
    public void RttMs_IsLinearBetweenQuantiles_AndHoldsTheEndsBeyondThem()
    {
        var table = Read(Small);
        Assert.Equal(20, table.RttMs(0, 0, 0.5), 9);
        Assert.Equal(15, table.RttMs(0, 0, 0.3), 9); // halfway from 0.10 (10 ms) to 0.50 (20 ms)
        Assert.Equal(225, table.RttMs(1, 0, 0.7), 9); // halfway from 150 to 300, asked the other way round
        Assert.Equal(10, table.RttMs(0, 0, 0.0));   // below the first quantile: its value
        Assert.Equal(40, table.RttMs(0, 0, 0.999)); // above the last: its value
    }

    [Fact]
    public void Region_DrawsEachRegionByItsShare()
    {
        var table = Read(Small);
        Assert.Equal(0, table.Region(0.0));
        Assert.Equal(0, table.Region(0.7499));
        Assert.Equal(1, table.Region(0.75));
        Assert.Equal(1, table.Region(0.9999));
    }

    [Fact]
    public void Load_APairWithoutRoundTrips_SaysWhichPair()
    {
        var text = Small.Replace("rtt A B 100 150 300   # one line serves both orders", "", StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => Read(text));
        Assert.Equal("rtt table: no round trips between A and B", e.Message);
    }

    [Theory]
    [InlineData("rtt A A 10 20 40", "rtt A A 10 20", "line 5: expected 3 round trips, got 2")]
    [InlineData("rtt A A 10 20 40", "rtt A A 10 30 20", "line 5: round trips must not decrease")]
    [InlineData("rtt A A 10 20 40", "rtt A A 10 x 40", "line 5: expected a number >= 0, got 'x'")]
    [InlineData("rtt B B 5 5 6", "rtt B A 5 5 6", "line 7: round trips between B and A given twice")]
    [InlineData("region B 0.25", "region B 0.5", "the regions' shares add up to 1.2500, not 1")]
    [InlineData("quantiles 0.10 0.50 0.90", "quantiles 0.50 0.10 0.90", "line 2: expected at least two increasing shares in (0, 1)")]
    [InlineData("region B 0.25", "regions B 0.25", "line 4: expected 'quantiles', 'region NAME SHARE' or 'rtt A B ...', got 'regions'")]
    public void Load_ABrokenTable_SaysWhereAndWhat(string line, string broken, string error)
    {
        var e = Assert.Throws<FormatException>(() => Read(Small.Replace(line, broken, StringComparison.Ordinal)));
        Assert.EndsWith(error, e.Message, StringComparison.Ordinal);
    }
}
