using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class AllowedFastSetTests
{
    private static readonly InfoHash AllAa = InfoHash.FromHex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

    [Fact]
    public void Generate_TheBep6Example_SevenPieces()
    {
        // BEP 6's example: 1313 pieces, info hash 0xaa repeated, peer 80.4.4.200, k = 7.
        var set = AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), AllAa, 1313, k: 7);

        Assert.Equal([1059, 431, 808, 1217, 287, 376, 1188], set);
    }

    [Fact]
    public void Generate_TheBep6Example_NinePieces()
    {
        var set = AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), AllAa, 1313, k: 9);

        Assert.Equal([1059, 431, 808, 1217, 287, 376, 1188, 353, 508], set);
    }

    [Fact]
    public void Generate_SameSlash24_SameSet()
    {
        Assert.Equal(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.1"), AllAa, 1313),
            AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), AllAa, 1313));
    }

    [Fact]
    public void Generate_MappedIPv4_IsTheIPv4Set_AndIPv6GetsNone()
    {
        Assert.Equal(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), AllAa, 1313),
            AllowedFastSet.Generate(IPAddress.Parse("::ffff:80.4.4.200"), AllAa, 1313));
        Assert.Empty(AllowedFastSet.Generate(IPAddress.IPv6Loopback, AllAa, 1313));
    }

    [Fact]
    public void Generate_FewerPiecesThanK_ReturnsEachPieceOnce()
    {
        var set = AllowedFastSet.Generate(IPAddress.Parse("10.0.0.1"), AllAa, 3);

        Assert.Equal([0, 1, 2], set.Order());
    }
}
