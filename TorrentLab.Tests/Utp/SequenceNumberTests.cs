using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class SequenceNumberTests
{
    [Theory]
    [InlineData(65535, 1, 0)]       // wraps to 0
    [InlineData(65535, 2, 1)]
    [InlineData(0, -1, 65535)]      // and back
    [InlineData(100, 5, 105)]
    public void Add_WrapsAt65536(int value, int steps, int expected) =>
        Assert.Equal((ushort)expected, SequenceNumber.Add((ushort)value, steps));

    [Theory]
    [InlineData(0, 65535, true)]      // 0 comes right after 65535
    [InlineData(1, 65534, true)]
    [InlineData(65535, 0, false)]
    [InlineData(5, 5, false)]         // not strictly after itself
    [InlineData(32767, 0, true)]      // half the space ahead: still after
    [InlineData(32768, 0, false)]     // beyond half: behind
    public void IsAfter_DecidesOverHalfTheNumberSpace(int b, int a, bool expected) =>
        Assert.Equal(expected, SequenceNumber.IsAfter((ushort)b, (ushort)a));

    [Theory]
    [InlineData(65530, 4, 10)]
    [InlineData(4, 65530, 65526)]
    [InlineData(7, 7, 0)]
    public void Distance_CountsForwardSteps(int from, int to, int expected) =>
        Assert.Equal(expected, SequenceNumber.Distance((ushort)from, (ushort)to));
}
