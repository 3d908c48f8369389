using System.Text;
using TorrentLab.Downloads;

namespace TorrentLab.Tests.Downloads;

public class ClientBanListTests
{
    /// <summary>A 20-byte peer id starting with <paramref name="prefix"/>, the rest filled as clients do.</summary>
    private static byte[] Id(string prefix) => Encoding.ASCII.GetBytes(prefix.PadRight(20, '7'));

    [Theory]
    [InlineData("-XL0012-", "-XL0012-", true)]   // Xunlei, Azureus-style: the whole client tag
    [InlineData("-SD", "-SD0100-", true)]         // Xunlei's other tag, by its client code only
    [InlineData("-XF", "-XF9992-", true)]
    [InlineData("S58B", "S58B-----", true)]        // Shadow-style: a letter, then the version
    [InlineData("id:-LT", "-LT2080-", true)]       // libtorrent (rasterbar)
    [InlineData("id:-LT", "-lt0D60-", false)]      // rtorrent's libtorrent: another client, the case tells them apart
    [InlineData("-XL0012-", "-XL0013-", false)]
    [InlineData("v:-XL", "-XL0012-", false)]       // a v: rule never looks at the peer id
    [InlineData("-TR3000-x", "-TR3000-", false)]   // longer than what the id holds there
    public void MatchId_IsAByteForBytePrefixOfThePeerId(string rule, string idPrefix, bool matches)
    {
        var list = new ClientBanList([rule]);

        Assert.Equal(matches ? rule : null, list.MatchId(Id(idPrefix)));
    }

    [Theory]
    [InlineData("Xunlei", "Xunlei 0.0.1.2", true)]
    [InlineData("xunlei", "XUNLEI/7.9", true)]              // ignoring case
    [InlineData("QQDownload", "QQDownload 1.8.1.0", true)]
    [InlineData("v:Thunder", "Xunlei Thunder 7", true)]      // anywhere in the name, not only its start
    [InlineData("id:Xunlei", "Xunlei 0.0.1.2", false)]       // an id: rule never looks at v
    [InlineData("Xunlei", "libtorrent/2.0.8.0", false)]
    [InlineData("Xunlei", null, false)]                      // no v: nothing to match
    public void MatchClient_IsACaseInsensitiveSubstringOfV(string rule, string? v, bool matches)
    {
        var list = new ClientBanList([rule]);

        Assert.Equal(matches ? rule : null, list.MatchClient(v));
    }

    [Theory]
    [InlineData("")]                          // nothing to match
    [InlineData("   ")]
    [InlineData("id:")]
    [InlineData("v:")]
    [InlineData("id:-XL0012-0123456789abc")]  // 23 characters: longer than a peer id
    [InlineData("id:-XL\u00e9")]              // a peer id prefix is printable ASCII
    [InlineData("Xun\tlei")]                  // a control character
    public void Set_ARuleThatIsNotOne_IsRefusedNamingIt_AndTheListInForceStays(string bad)
    {
        var list = new ClientBanList(["-XL0012-"]);

        var error = Assert.Throws<ArgumentException>(() => list.Set(["-SD", bad]));

        Assert.Contains("client ban rule", error.Message.Replace("an id: rule", "client ban rule", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(["-XL0012-"], list.Rules);
    }

    [Fact]
    public void Set_TrimsRules_AndKeepsEachOnce_InTheOrderGiven()
    {
        var list = new ClientBanList();

        list.Set([" -XL0012- ", "Xunlei", "-XL0012-", "v:QQDownload"]);

        Assert.Equal(["-XL0012-", "Xunlei", "v:QQDownload"], list.Rules);
        Assert.Null(new ClientBanList().MatchId(Id("-XL0012-"))); // an empty list bans nobody
    }
}
