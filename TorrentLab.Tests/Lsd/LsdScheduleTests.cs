using TorrentLab.Lsd;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Lsd;

public class LsdScheduleTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static InfoHash Hash(int n) => new(Enumerable.Repeat((byte)n, 20).ToArray());
    private static bool Any(InfoHash _) => true;

    [Fact]
    public void Nothing_Scheduled_WaitsForever()
    {
        var (batch, wait) = new LsdSchedule().Take(Start, 10, Any);
        Assert.Empty(batch);
        Assert.Null(wait);
    }

    [Fact]
    public void NewTorrents_GoOutTogether_AfterTheGatherDelay()
    {
        var schedule = new LsdSchedule();
        schedule.Add(Hash(1), Start);
        schedule.Add(Hash(2), Start + TimeSpan.FromMilliseconds(200));

        Assert.Equal(LsdSchedule.Gather, schedule.Take(Start, 10, Any).Wait);
        Assert.Equal([Hash(1), Hash(2)], schedule.Take(Start + TimeSpan.FromSeconds(2), 10, Any).Batch);
    }

    [Fact]
    public void ATorrentAddedJustAfterASend_WaitsTheMinuteBetweenAnnounces()
    {
        var schedule = new LsdSchedule();
        schedule.Add(Hash(1), Start);
        var sentAt = Start + LsdSchedule.Gather;
        Assert.Single(schedule.Take(sentAt, 10, Any).Batch);

        schedule.Add(Hash(2), sentAt);
        var (batch, wait) = schedule.Take(sentAt + TimeSpan.FromSeconds(5), 10, Any);

        Assert.Empty(batch);
        Assert.Equal(LsdSchedule.MinGap - TimeSpan.FromSeconds(5), wait);
        Assert.Equal([Hash(2)], schedule.Take(sentAt + LsdSchedule.MinGap, 10, Any).Batch);
    }

    [Fact]
    public void ATorrent_IsAnnouncedAgainEveryFiveMinutes()
    {
        var schedule = new LsdSchedule();
        schedule.Add(Hash(1), Start);
        var first = Start + LsdSchedule.Gather;
        schedule.Take(first, 10, Any);

        Assert.Equal(LsdSchedule.Interval, schedule.Take(first, 10, Any).Wait);
        Assert.Equal([Hash(1)], schedule.Take(first + LsdSchedule.Interval, 10, Any).Batch);
    }

    [Fact]
    public void MoreTorrentsThanADatagramHolds_TakeTurns_NoSendCloserThanAMinute()
    {
        var schedule = new LsdSchedule();
        for (var i = 1; i <= 5; i++) schedule.Add(Hash(i), Start);
        var now = Start + LsdSchedule.Gather;

        var sends = new List<IReadOnlyList<InfoHash>>();
        DateTimeOffset? last = null;
        for (var step = 0; step < 10 && sends.SelectMany(b => b).Distinct().Count() < 5; step++)
        {
            var (batch, wait) = schedule.Take(now, 2, Any);
            if (batch.Count > 0)
            {
                Assert.True(last is null || now - last >= LsdSchedule.MinGap);
                last = now;
                sends.Add(batch);
                continue;
            }
            now += wait!.Value;
        }

        Assert.Equal([2, 2, 1], sends.Select(b => b.Count));
        Assert.Equal(5, sends.SelectMany(b => b).Distinct().Count());
    }

    [Fact]
    public void AStoppedTorrent_IsDroppedAndNeverSent()
    {
        var schedule = new LsdSchedule();
        schedule.Add(Hash(1), Start);
        schedule.Add(Hash(2), Start);

        var (batch, _) = schedule.Take(Start + LsdSchedule.Gather, 10, h => !h.Equals(Hash(1)));

        Assert.Equal([Hash(2)], batch);
        Assert.Equal(1, schedule.Count);
    }
}
