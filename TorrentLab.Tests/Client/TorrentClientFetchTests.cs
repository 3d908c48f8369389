using TorrentLab.Client;

namespace TorrentLab.Tests.Client;

/// <summary>A magnet link's metadata is asked for again and again until the stall limit, and the last round is asked
/// right at the limit: the classroom's 60 s limit used to end after about 35 s (5 + 10 + 20 s of pauses, then a 30 s
/// pause that would pass 60 s gave up at once). Played on virtual time: each round is taken to answer at once.</summary>
public class TorrentClientFetchTests
{
    [Theory]
    [InlineData(1, 0, 5)]
    [InlineData(2, 5, 10)]
    [InlineData(3, 15, 20)]
    [InlineData(4, 35, 25)]  // the case: the 25 s left, not giving up at 35 s
    [InlineData(5, 59.5, 0.5)]
    public void NextMagnetRound_PausesAtMostWhatIsLeftOfTheLimit(int round, double waited, double pause)
    {
        Assert.Equal(TimeSpan.FromSeconds(pause), TorrentClient.NextMagnetRound(round, TimeSpan.FromSeconds(waited), TimeSpan.FromSeconds(60)));
    }

    [Theory]
    [InlineData(60)]  // the documented default of magnet_info and the classroom commands
    [InlineData(3)]   // a short --stall-timeout: one pause of 3 s, then the last round
    [InlineData(200)]
    public void MagnetRounds_GiveUpExactlyAtTheLimit(double limit)
    {
        var waited = TimeSpan.Zero;
        var rounds = 1;
        while (TorrentClient.NextMagnetRound(rounds, waited, TimeSpan.FromSeconds(limit)) is { } pause)
        {
            Assert.True(pause > TimeSpan.Zero);
            waited += pause;
            rounds++;
            Assert.True(rounds < 100, "the rounds never end");
        }

        Assert.Equal(TimeSpan.FromSeconds(limit), waited);
    }

    [Fact]
    public void NextMagnetRound_WithoutALimit_KeepsAskingEvery30sAtMost()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), TorrentClient.NextMagnetRound(50, TimeSpan.FromHours(5), null));
    }
}
