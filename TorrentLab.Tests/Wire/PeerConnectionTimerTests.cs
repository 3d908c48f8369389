using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary><c>Wire/ConnectionTimer.cs</c>: keep-alives and the idle timeout, on a manual clock. Each connection
/// has one one-shot timer, due at its next deadline and no sooner: an idle connection wakes only to send its keep-alive.
/// Our end runs on the manual clock; the peer's end on the system clock with a keep-alive and an idle timeout of a day,
/// so it neither times out nor speaks while a test runs: with BEP 3's two minutes, a run slowed past them by a loaded
/// machine could have the peer's keep-alive land between two moves of our clock and push our idle deadline later.</summary>
public class PeerConnectionTimerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Moment = TimeSpan.FromMilliseconds(1);

    // In the swarm's proportions (SessionSettings.IdleTimeout, a keep-alive every third of it), scaled down: idle after 30 s.
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    /// <summary>Our connection on <paramref name="clock"/> and the peer's, both reading until closed (as a swarm peer's
    /// receive loop does).</summary>
    private static async Task<Pair> ConnectAsync(ManualClock clock, Func<Stream, Stream>? ourTransport = null)
    {
        var (ours, peer) = await TestDownloader.PairAsync(TestDownloader.OtherHash,
            client: TestDownloader.Quick with { KeepAliveInterval = KeepAlive, IdleTimeout = Idle, Time = clock },
            server: TestDownloader.Quick with { KeepAliveInterval = TimeSpan.FromDays(1), IdleTimeout = TimeSpan.FromDays(1) },
            clientTransport: ourTransport);
        return new Pair(ours, peer, ReadUntilClosedAsync(ours), ReadUntilClosedAsync(peer));
    }

    private static async Task ReadUntilClosedAsync(PeerConnection connection)
    {
        while (true) await connection.ReceiveAsync(Ct);
    }

    private sealed record Pair(PeerConnection Ours, PeerConnection Peer, Task OursReading, Task PeerReading) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Ours.DisposeAsync();
            await Peer.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnIdleConnection_HasOneTimer_DueAtItsKeepAliveAndNoSooner_ThenTheNextOne()
    {
        var clock = new ManualClock();
        await using var pair = await ConnectAsync(clock);

        Assert.Equal([KeepAlive], clock.PendingTimers); // no polling in between

        clock.Advance(KeepAlive);

        Assert.True(await Wait.UntilAsync(() => pair.Peer.KeepAlivesReceived == 1, Patience, Ct));
        Assert.Equal([KeepAlive], clock.PendingTimers); // re-armed for the next keep-alive only
    }

    [Fact]
    public async Task OurMessage_PostponesTheKeepAlive_TheTimerReArmsForTheNewDeadlineWithoutSendingOne()
    {
        var clock = new ManualClock();
        await using var pair = await ConnectAsync(clock);
        clock.Advance(TimeSpan.FromSeconds(4));
        await pair.Ours.SendInterestedAsync(Ct);

        clock.Advance(TimeSpan.FromSeconds(6)); // the first deadline: a message went out 6 s ago

        Assert.Equal([TimeSpan.FromSeconds(4)], clock.PendingTimers); // a keep-alive interval after our message
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.True(await Wait.UntilAsync(() => pair.Peer.KeepAlivesReceived == 1, Patience, Ct));
        Assert.True(pair.Peer.PeerInterested);
    }

    [Fact]
    public async Task ASilentPeer_IsDroppedWhenTheIdleTimeoutHasPassed_NotBefore()
    {
        var clock = new ManualClock();
        await using var pair = await ConnectAsync(clock);
        // The silence counts from our first read: moving the clock before the reader is in it would start it late.
        Assert.True(await Wait.UntilAsync(() => pair.Ours.Timer.WaitingForPeer, Patience, Ct), "our reader never waited for the peer");

        // Two keep-alives of ours go out meanwhile. The clock moves on only once each is written: one still on its way
        // when the next comes due counts as sent, so no second one would go.
        for (var sent = 1; sent <= 2; sent++)
        {
            clock.Advance(KeepAlive);
            Assert.True(await Wait.UntilAsync(() => pair.Peer.KeepAlivesReceived == sent && !pair.Ours.Timer.KeepAliveInFlight, Patience, Ct));
        }
        clock.Advance(Idle - 2 * KeepAlive - Moment);

        Assert.False(pair.OursReading.IsCompleted);
        clock.Advance(Moment);
        // Failed three times at load ~30-100, the last with the timer's state: our reader's wait had ended with no bytes
        // and started again at the clock's first move, and the silence then counted from the new wait (a deadline of
        // 40 s). It now counts from the first wait after the peer's last bytes: the next test shows a wait that ends
        // with nothing does not move the deadline.
        try
        {
            await pair.OursReading.WaitAsync(Patience, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"our reader did not end within {Patience.TotalSeconds:0} s of the idle deadline: clock at {clock.GetTimestamp()}, " +
                $"{pair.Ours.Timer.State}, timers due in [{string.Join(", ", clock.PendingTimers)}], the peer got {pair.Peer.KeepAlivesReceived} keep-alives");
        }
        catch (WireException) { } // the end this test expects, checked below
        var e = await Assert.ThrowsAsync<WireException>(() => pair.OursReading);
        Assert.Contains("no message for 30 s (idle timeout)", e.Message);
        Assert.False(e.IsViolation);
        await Assert.ThrowsAsync<WireException>(() => pair.PeerReading.WaitAsync(Patience, Ct)); // it read up to our close
        Assert.Equal(2, pair.Peer.KeepAlivesReceived);
    }

    [Fact]
    public async Task AWaitThatEndsWithNoBytes_DoesNotRestartTheSilence_ThePeerIsDroppedAtTheSameDeadline()
    {
        var clock = new ManualClock();
        WakesOnOwnWrite? transport = null;
        await using var pair = await ConnectAsync(clock, stream => transport = new WakesOnOwnWrite(stream));
        // Our reader says it waits just before it calls the transport: a write before the call ends no wait (failed once
        // so, with no empty wake, in a full run at three test classes per processor), so the clock moves once the
        // transport holds the wait.
        var wakes = 0;
        Assert.True(await Wait.UntilAsync(() => pair.Ours.Timer.WaitingForPeer && transport!.TryArm(out wakes), Patience, Ct),
            $"our reader never waited for the peer: {pair.Ours.Timer.State}, transport waiting {transport!.TryArm(out _)}, " +
            $"{transport.EmptyWakes} empty wakes; our reader {Ended(pair.OursReading)}, the peer's {Ended(pair.PeerReading)}");

        for (var sent = 1; sent <= 2; sent++)
        {
            clock.Advance(KeepAlive);
            // Our first keep-alive ends the reader's wait for bytes with nothing read; it then waits with a buffer (which
            // no write ends) before the clock moves on.
            Assert.True(await Wait.UntilAsync(() => pair.Peer.KeepAlivesReceived == sent && !pair.Ours.Timer.KeepAliveInFlight
                && transport.EmptyWakes == wakes + 1 && pair.Ours.Timer.WaitingForPeer, Patience, Ct),
                $"{transport.EmptyWakes - wakes} empty wakes, {pair.Peer.KeepAlivesReceived} keep-alives: {pair.Ours.Timer.State}");
        }
        clock.Advance(Idle - 2 * KeepAlive - Moment);
        Assert.False(pair.OursReading.IsCompleted);

        clock.Advance(Moment); // 30 s after the first wait, 10 s after the last one began

        var e = await Assert.ThrowsAsync<WireException>(() => pair.OursReading.WaitAsync(Patience, Ct));
        Assert.Contains("no message for 30 s (idle timeout)", e.Message);
        Assert.Equal(2, pair.Peer.KeepAlivesReceived);
    }

    /// <summary>A reader task's state for a failure message: running, or how it ended.</summary>
    private static string Ended(Task reading) =>
        reading.IsCompleted ? $"ended ({reading.Exception?.InnerException?.Message ?? reading.Status.ToString()})" : "running";

    /// <summary>A transport whose wait for bytes (a zero-byte read) also ends, with nothing, when we write: a transport
    /// may end such a wait on any event of the socket. A read with room waits for bytes as the socket's does.</summary>
    private sealed class WakesOnOwnWrite(Stream inner) : DuplexStream
    {
        private readonly Lock _gate = new(); // a wait's start, a write's signal and TryArm see one another whole
        private Task<int>? _probe;   // the socket's own zero-byte read, still waiting when a write ended ours
        private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _pending; // the signal the zero-byte wait under way waits on; null: none
        private int _emptyWakes;

        public int EmptyWakes => Volatile.Read(ref _emptyWakes);

        /// <summary>True, with the empty wakes so far, when a zero-byte read waits and no write has ended it yet: the
        /// next write ends that very wait, so an empty wake counted from here is the next write's. (A flag set before
        /// the wait, read apart from the count, let a CI run under load take as its start a wait an earlier write had
        /// already ended: its empty wake fell before the count was read, and the keep-alive then met a read with a
        /// buffer, which no write ends.)</summary>
        public bool TryArm(out int emptyWakes)
        {
            lock (_gate)
            {
                emptyWakes = Volatile.Read(ref _emptyWakes);
                return _pending is { Task.IsCompleted: false };
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            _probe ??= inner.ReadAsync(Memory<byte>.Empty, ct).AsTask();
            if (buffer.Length > 0)
            {
                var waiting = _probe;
                _probe = null;
                await waiting.ConfigureAwait(false);   // wait for bytes, as a read with room does
                return await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
            }
            var probe = _probe;
            Task written;
            lock (_gate) written = (_pending = _written).Task;
            try
            {
                if (await Task.WhenAny(probe, written).ConfigureAwait(false) == probe)
                {
                    _probe = null;
                    return await probe.ConfigureAwait(false);   // bytes are there (or the socket's error)
                }
                Interlocked.Increment(ref _emptyWakes);
            }
            finally
            {
                lock (_gate) _pending = null;
            }
            return 0;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await inner.WriteAsync(buffer, ct).ConfigureAwait(false);
            lock (_gate)
            {
                var done = _written;
                _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
                done.TrySetResult(); // its continuations run elsewhere: nothing runs under the lock
            }
        }

        public override void Flush() => inner.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task APeerThatSpeaks_MovesItsIdleDeadline_AndIsDroppedOnlyAfterAWholeTimeoutOfSilence()
    {
        var clock = new ManualClock();
        await using var pair = await ConnectAsync(clock);
        clock.Advance(TimeSpan.FromSeconds(20));
        await pair.Peer.SendInterestedAsync(Ct);
        Assert.True(await Wait.UntilAsync(() => pair.Ours.PeerInterested, Patience, Ct)); // heard at 20 s
        // The silence counts from our next read: moving the clock before the reader is back in it would start it late.
        Assert.True(await Wait.UntilAsync(() => pair.Ours.Timer.WaitingForPeer, Patience, Ct), "our reader never waited for the peer again");

        clock.Advance(TimeSpan.FromSeconds(10)); // 30 s after the start, 10 s after it spoke

        Assert.False(pair.OursReading.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(20) - Moment);
        Assert.False(pair.OursReading.IsCompleted);
        clock.Advance(Moment);
        var e = await Assert.ThrowsAsync<WireException>(() => pair.OursReading.WaitAsync(Patience, Ct));
        Assert.Contains("idle timeout", e.Message);
    }

    [Fact]
    public async Task AClosedConnection_LeavesNoTimer()
    {
        var clock = new ManualClock();
        var pair = await ConnectAsync(clock);

        await pair.DisposeAsync();

        Assert.Empty(clock.PendingTimers);
    }
}
