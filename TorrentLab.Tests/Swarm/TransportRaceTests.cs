using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/TransportRace.cs</c>: one stream out of two attempts, the first choice alone for a head start. The
/// attempts here are driven by hand (task sources), so every outcome is decided by the test, not by a clock.</summary>
public class TransportRaceTests
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private static readonly TimeProvider Real = TimeProvider.System;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A stream that says when it was closed.</summary>
    private sealed class TrackedStream : MemoryStream
    {
        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void Dispose(bool disposing)
        {
            Closed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    /// <summary>An attempt that connects when the test says so, and records whether it started and was cancelled.</summary>
    private sealed class Attempt
    {
        public TaskCompletionSource<Stream> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Begun { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Started => Begun.Task.IsCompleted;

        /// <summary>Honours the token unless <paramref name="ignoreCancel"/> (a connect that completes anyway).</summary>
        public Func<CancellationToken, Task<Stream>> Open(bool ignoreCancel = false) => token =>
        {
            Begun.TrySetResult();
            token.Register(() =>
            {
                Cancelled.TrySetResult();
                if (!ignoreCancel) Result.TrySetCanceled(token);
            });
            return Result.Task;
        };
    }

    /// <summary>Waits (boundedly) for the race and checks that the second attempt won with <paramref name="expected"/>.</summary>
    private static async Task SecondWon(Task<(Stream Stream, int Winner)> race, Stream expected)
    {
        var (stream, winner) = await race.WaitAsync(Generous, Ct);
        Assert.Equal(1, winner);
        Assert.Same(expected, stream);
    }

    /// <summary>The losing attempt was cancelled or its stream closed, and the winner's stream is still open.</summary>
    private static async Task LoserGoneWinnerOpen(TaskCompletionSource loserGone, TrackedStream winner)
    {
        await loserGone.Task.WaitAsync(Generous, Ct);
        Assert.False(winner.Closed.Task.IsCompleted);
    }

    [Fact]
    public async Task ConnectFirst_FirstConnectsWithinTheHeadStart_NeverStartsTheSecond()
    {
        var (first, second) = (new Attempt(), new Attempt());
        var stream = new TrackedStream();
        first.Result.SetResult(stream);

        var (won, winner) = await TransportRace.ConnectFirstAsync(first.Open(), second.Open(), Forever, Forever, null, Real, Ct);

        Assert.Same(stream, won);
        Assert.Equal(0, winner);
        Assert.False(second.Started);
    }

    [Fact]
    public async Task ConnectFirst_FirstSilent_SecondJoinsAfterTheHeadStartWinsAndTheFirstIsCancelled()
    {
        var (first, second) = (new Attempt(), new Attempt());
        var stream = new TrackedStream();
        second.Result.SetResult(stream);

        await SecondWon(TransportRace.ConnectFirstAsync(first.Open(), second.Open(), TimeSpan.FromMilliseconds(1), Forever, null, Real, Ct), stream);

        await LoserGoneWinnerOpen(first.Cancelled, stream);
    }

    [Fact]
    public async Task ConnectFirst_FirstSilent_TheSecondStartsWhenTheHeadStartHasPassed_NotBefore()
    {
        var clock = new ManualClock();
        var (first, second) = (new Attempt(), new Attempt());
        var stream = new TrackedStream();
        second.Result.SetResult(stream);
        var headStart = TransportRace.DefaultHeadStart;

        var race = TransportRace.ConnectFirstAsync(first.Open(), second.Open(), headStart, Forever, null, clock, Ct);
        Assert.Equal([headStart], clock.PendingTimers);
        clock.Advance(headStart - TimeSpan.FromMilliseconds(1));

        Assert.False(second.Started);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await SecondWon(race, stream);
    }

    [Fact]
    public async Task ConnectFirst_FirstFails_StartsTheSecondWithoutWaitingOutTheHeadStartAndReportsTheFailure()
    {
        var (first, second) = (new Attempt(), new Attempt());
        var stream = new TrackedStream();
        first.Result.SetException(new WireException("peer 127.0.0.1:1: cannot connect over uTP (reset)", isViolation: false));
        second.Result.SetResult(stream);
        var failures = new List<(int, string)>();

        await SecondWon(TransportRace.ConnectFirstAsync(first.Open(), second.Open(), Forever, Forever,
            (i, e) => failures.Add((i, e.Message)), Real, Ct), stream);

        Assert.Equal([(0, "peer 127.0.0.1:1: cannot connect over uTP (reset)")], failures);
    }

    [Fact]
    public async Task ConnectFirst_BothConnect_TheLoserIsClosedUnused()
    {
        var (first, second) = (new Attempt(), new Attempt());
        var firstStream = new TrackedStream();
        var secondStream = new TrackedStream();
        var race = TransportRace.ConnectFirstAsync(first.Open(ignoreCancel: true), second.Open(ignoreCancel: true), TimeSpan.FromMilliseconds(1), Forever, null, Real, Ct);
        await second.Begun.Task.WaitAsync(Generous, Ct);   // the head start is 1 ms

        second.Result.SetResult(secondStream);
        await SecondWon(race, secondStream);
        first.Result.SetResult(firstStream);   // connected after it had lost

        await LoserGoneWinnerOpen(firstStream.Closed, secondStream);
    }

    [Fact]
    public async Task ConnectFirst_BothFail_ThrowsTheLastFailureAndReportsTheEarlierOne()
    {
        var (first, second) = (new Attempt(), new Attempt());
        first.Result.SetException(new WireException("peer 127.0.0.1:1: no uTP connection within 30 s", isViolation: false));
        second.Result.SetException(new WireException("peer 127.0.0.1:1: cannot connect (ConnectionRefused)", isViolation: false));
        var failures = new List<int>();

        var e = await Assert.ThrowsAsync<WireException>(() => TransportRace.ConnectFirstAsync(first.Open(), second.Open(), Forever, Forever,
            (i, _) => failures.Add(i), Real, Ct).WaitAsync(Generous, Ct));

        Assert.Equal("peer 127.0.0.1:1: cannot connect (ConnectionRefused)", e.Message);
        Assert.Equal([0], failures);
    }

    [Fact]
    public async Task ConnectFirst_CallerCancels_CancelsBothAttemptsAndThrowsCancelled()
    {
        var (first, second) = (new Attempt(), new Attempt());
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var race = TransportRace.ConnectFirstAsync(first.Open(), second.Open(), TimeSpan.FromMilliseconds(1), Forever, null, Real, caller.Token);
        await second.Begun.Task.WaitAsync(Generous, Ct);

        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => race.WaitAsync(Generous, Ct));
        await first.Cancelled.Task.WaitAsync(Generous, Ct);
        await second.Cancelled.Task.WaitAsync(Generous, Ct);
    }

    [Fact]
    public async Task ConnectFirst_SecondFailsWhileTheFirstIsSilent_TheFirstIsGivenUpOnAfterItsLastChance()
    {
        // A dead peer: TCP is refused at once while the uTP SYN goes unanswered. The race must not wait out uTP's own
        // timeout; it gives up after the last chance, cancels the first and throws the second's failure.
        var (first, second) = (new Attempt(), new Attempt());
        second.Result.SetException(new WireException("peer 127.0.0.1:1: cannot connect (ConnectionRefused)", isViolation: false));
        var failures = new List<int>();

        var e = await Assert.ThrowsAsync<WireException>(() => TransportRace.ConnectFirstAsync(first.Open(), second.Open(),
            TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), (i, _) => failures.Add(i), Real, Ct).WaitAsync(Generous, Ct));

        Assert.Equal("peer 127.0.0.1:1: cannot connect (ConnectionRefused)", e.Message);
        await first.Cancelled.Task.WaitAsync(Generous, Ct);
        Assert.Empty(failures); // the failure that ended the race is thrown, not reported as well
    }

    [Fact]
    public async Task ConnectFirst_SecondFails_TheFirstConnectingWithinItsLastChanceStillWins()
    {
        var (first, second) = (new Attempt(), new Attempt());
        second.Result.SetException(new WireException("peer 127.0.0.1:1: cannot connect (ConnectionRefused)", isViolation: false));
        using var stream = new TrackedStream();
        var race = TransportRace.ConnectFirstAsync(first.Open(), second.Open(), TimeSpan.FromMilliseconds(1), Forever, null, Real, Ct);
        await second.Begun.Task.WaitAsync(Generous, Ct);

        first.Result.SetResult(stream);

        var (won, winner) = await race.WaitAsync(Generous, Ct);
        Assert.Equal(0, winner);
        Assert.Same(stream, won);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("192.168.1.20", true)]
    [InlineData("10.0.0.7", true)]
    [InlineData("fd00::5", true)]
    [InlineData("203.0.113.9", false)]
    [InlineData("2001:db8::1", false)]
    public void HeadStartAndLastChance_APeerOnThisHostOrTheLan_GetsTheShortOnesOthersTheFull(string address, bool nearby)
    {
        var ip = System.Net.IPAddress.Parse(address);
        Assert.Equal(nearby ? TransportRace.NearbyHeadStart : TransportRace.DefaultHeadStart, TransportRace.HeadStartFor(ip, viaProxy: false));
        Assert.Equal(nearby ? TransportRace.NearbyLastChance : TransportRace.DefaultLastChance, TransportRace.LastChanceFor(ip, viaProxy: false));
        // Through a proxy the round trip is the proxy's, whatever the peer's address: the full ones.
        Assert.Equal(TransportRace.DefaultHeadStart, TransportRace.HeadStartFor(ip, viaProxy: true));
        Assert.Equal(TransportRace.DefaultLastChance, TransportRace.LastChanceFor(ip, viaProxy: true));
        Assert.True(TransportRace.NearbyHeadStart < TransportRace.DefaultHeadStart);
        Assert.True(TransportRace.NearbyLastChance < TransportRace.DefaultLastChance);
    }
}
