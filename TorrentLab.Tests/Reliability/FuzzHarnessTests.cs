using TorrentLab.Bencode;

namespace TorrentLab.Tests.Reliability;

/// <summary>The fuzz harness itself: it must see each kind of loss, or the fuzz rows could not fail.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class FuzzHarnessTests
{
    private static readonly List<byte[]> Seeds = ["d3:keyi1ee"u8.ToArray()];

    [Fact]
    public void Run_TypedExceptions_CountAsRejectedNotLost()
    {
        var result = FuzzHarness.Run("test", 200, 1, Seeds, input => throw new BencodeException("typed", 0), e => e is BencodeException);

        Assert.Equal((200, 0, 200, 0), (result.Inputs, result.Parsed, result.Rejected, result.LostCount));
    }

    [Fact]
    public void Run_AnUntypedException_IsLostWithTheInputInHex()
    {
        var result = FuzzHarness.Run("test", 50, 1, Seeds, input => input.Length > 10 ? throw new IndexOutOfRangeException("boom") : true,
            e => e is BencodeException);

        Assert.True(result.LostCount > 0);
        Assert.Contains("IndexOutOfRangeException: boom", result.Lost[0]);
        Assert.Contains("input ", result.Lost[0]);
    }

    [Fact]
    public void Run_AnInputThatNeverReturns_IsReportedAsAHang()
    {
        using var release = new ManualResetEventSlim();
        var limits = new FuzzHarness.FuzzLimits(TimeSpan.FromMilliseconds(200), _ => long.MaxValue);

        var result = FuzzHarness.Run("test", 10, 1, Seeds, _ => release.Wait(TimeSpan.FromSeconds(10)), _ => false, limits);
        release.Set(); // let the abandoned worker finish

        Assert.True(result.Hung);
        Assert.StartsWith("hang: input #0", result.Lost[0]);
    }

    [Fact]
    public void Run_AnInputThatAllocatesBeyondTheBound_IsLost()
    {
        var limits = new FuzzHarness.FuzzLimits(TimeSpan.FromSeconds(5), _ => 1 << 20);

        var result = FuzzHarness.Run("test", 3, 1, Seeds, _ => new byte[4 << 20].Length > 0, _ => false, limits);

        Assert.Equal(3, result.LostCount);
        Assert.StartsWith("allocated ", result.Lost[0]);
    }
}
