using TorrentLab.Creation;

namespace TorrentLab.Tests.Creation;

public class PieceLengthRuleTests
{
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(1L, 16 * KiB)]
    [InlineData(2_684_355L, 16 * KiB)]          // the last size that keeps 16 KiB (164 pieces)
    [InlineData(2_684_356L, 32 * KiB)]
    [InlineData(10_737_418L, 32 * KiB)]
    [InlineData(10_737_419L, 64 * KiB)]
    [InlineData(42_949_674L, 128 * KiB)]
    [InlineData(171_798_693L, 256 * KiB)]
    [InlineData(687_194_767L, 256 * KiB)]
    [InlineData(1L << 30, 512 * KiB)]           // 1 GiB: 2,048 pieces
    [InlineData(2_748_779_070L, 1 * MiB)]
    [InlineData(10_995_116_279L, 2 * MiB)]
    [InlineData(43_980_465_112L, 4 * MiB)]
    [InlineData(175_921_860_445L, 8 * MiB)]
    [InlineData(703_687_441_777L, 8 * MiB)]
    [InlineData(703_687_441_778L, 16 * MiB)]
    [InlineData(10_000_000_000_000L, 16 * MiB)] // never above 16 MiB
    public void Automatic_FollowsLibtorrentsTable(long totalLength, int expected)
    {
        Assert.Equal(expected, PieceLengthRule.Automatic(totalLength));
    }

    [Fact]
    public void Automatic_IsAlwaysValidAndNeverDecreases()
    {
        var previous = 0;
        for (long size = 1; size < (1L << 42); size = size * 3 / 2 + 1)
        {
            var length = PieceLengthRule.Automatic(size);
            Assert.True(PieceLengthRule.IsValid(length));
            Assert.True(length >= previous, $"{size} bytes gave {length}, less than {previous}");
            previous = length;
        }
    }

    [Theory]
    [InlineData(16 * KiB, true)]
    [InlineData(256 * KiB, true)]
    [InlineData(16 * MiB, true)]
    [InlineData(8 * KiB, false)]       // below the 16 KiB block size
    [InlineData(32 * MiB, false)]      // above the maximum
    [InlineData(48 * KiB, false)]      // not a power of two
    [InlineData(0, false)]
    [InlineData(-16 * KiB, false)]
    public void IsValid_AcceptsPowersOfTwoFrom16KiBTo16MiB(long pieceLength, bool expected)
    {
        Assert.Equal(expected, PieceLengthRule.IsValid(pieceLength));
    }
}
