namespace TorrentLab.Wire;

/// <summary>The keep-alive and idle timer of one <see cref="PeerConnection"/>: it sends the keep-alive we owe and
/// closes a connection whose peer stayed silent too long.</summary>
/// <remarks>
/// BEP 3: "Keepalives are generally sent once every two minutes", and a peer silent for much longer is gone. Each
/// connection has one one-shot timer, armed for the earlier of its two deadlines: the keep-alive we owe (we sent nothing
/// for KeepAliveInterval) and the idle timeout (the peer sent nothing for IdleTimeout while we waited for it). Messages
/// move the deadlines later without touching the timer (a timer call per message would cost more than it saves): when it
/// fires before a deadline it only re-arms for the deadline as it now stands. So an idle connection wakes once per
/// keep-alive and never polls. All times are timestamps of the connection's clock (PeerConnectionOptions.Time), read
/// through the connection's options as they stand (a listener's connection takes its torrent's at the handshake).
/// The connection's reader and writers stamp it (<see cref="StartWaiting"/>, <see cref="HeardFromPeer"/>,
/// <see cref="Sent"/>) with no lock: every field is read and written with <see cref="Volatile"/> or
/// <see cref="Interlocked"/>.
/// </remarks>
internal sealed class ConnectionTimer(PeerConnection connection)
{
    /// <summary>The shortest re-arm: a due time of zero would fire at once, again and again.</summary>
    private static readonly TimeSpan MinimumDue = TimeSpan.FromMilliseconds(1);

    private ITimer? _timer;
    private long _lastReceived, _lastSent;
    private long _quietSince = NotQuiet;   // a timestamp: a clock may start at 0, so "none" is a value no clock reaches
    private int _waiting;
    private const long NotQuiet = long.MinValue;
    private volatile bool _idleTimedOut;
    private int _keepAliveInFlight;

    private PeerConnectionOptions Options => connection.Options;
    private TimeProvider Clock => connection.Options.Time;

    /// <summary>The timer closed the connection: the peer sent nothing for the idle timeout while we waited for it.</summary>
    public bool IdleTimedOut => _idleTimedOut;

    /// <summary>True while a keep-alive the timer started is being written. A test on a manual clock waits for it to be
    /// false before it moves time to the next keep-alive: one still on its way then counts as sent, so none would go.</summary>
    public bool KeepAliveInFlight => Volatile.Read(ref _keepAliveInFlight) == 1;

    /// <summary>True while a receive waits for the peer's next bytes: the only time its silence can end the connection.
    /// A test on a manual clock waits for this before it moves time.</summary>
    public bool WaitingForPeer => Volatile.Read(ref _waiting) == 1;

    /// <summary>The timer's inputs as timestamps of the clock (0: none), for a test's failure message.</summary>
    public string State => $"waiting {WaitingForPeer}, quiet since {(Volatile.Read(ref _quietSince) is var q && q == NotQuiet ? "-" : q)}, last received {Volatile.Read(ref _lastReceived)}, " +
        $"last sent {Volatile.Read(ref _lastSent)}, keep-alive in flight {KeepAliveInFlight}, idle timed out {_idleTimedOut}, closed {connection.IsDisposed}";

    /// <summary>Arms the timer once the handshake is done: both deadlines count from now.</summary>
    public void Start()
    {
        var now = Clock.GetTimestamp();
        _lastReceived = _lastSent = now;
        _timer = Clock.CreateTimer(static state => ((ConnectionTimer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (connection.IsDisposed) _timer.Dispose(); // closed meanwhile: Stop saw no timer to stop
        else _timer.Change(NextDeadline(now, WaitingForPeer), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Stops the timer for good (the connection closed; it marks itself closed first).</summary>
    public void Stop() => _timer?.Dispose();

    /// <summary>Drops a peer that sent nothing for the idle timeout while we waited for it, keeps our side alive, and
    /// re-arms for whichever deadline comes next.</summary>
    private void OnTimer()
    {
        if (connection.IsDisposed) return;
        var now = Clock.GetTimestamp();
        var waiting = WaitingForPeer;
        if (waiting && QuietFor(now) >= Options.IdleTimeout)
        {
            // Closing the socket fails the pending receive, which reports the timeout.
            _idleTimedOut = true;
            connection.Dispose();
            return;
        }
        if (Clock.GetElapsedTime(Volatile.Read(ref _lastSent), now) >= Options.KeepAliveInterval
            && Interlocked.Exchange(ref _keepAliveInFlight, 1) == 0)
            _ = SendKeepAliveAsync();
        try { _timer?.Change(NextDeadline(now, waiting), Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { } // closed while we looked
    }

    /// <summary>How long from <paramref name="now"/> until the earlier deadline: the next keep-alive, or the idle
    /// timeout (when no receive waits, the earliest one could start now).</summary>
    private TimeSpan NextDeadline(long now, bool waiting)
    {
        // A keep-alive on its way counts as sent now (its send stamps the time once written).
        var sentAgo = Volatile.Read(ref _keepAliveInFlight) == 1 ? TimeSpan.Zero : Clock.GetElapsedTime(Volatile.Read(ref _lastSent), now);
        var quietFor = waiting ? QuietFor(now) : TimeSpan.Zero;
        var due = Min(Options.KeepAliveInterval - sentAgo, Options.IdleTimeout - quietFor);
        return due < MinimumDue ? MinimumDue : due;
    }

    /// <summary>How long the peer has been silent while we waited for it: since the first wait after its last bytes.
    /// A wait that ends without bytes (a zero-byte read some transports complete when nothing came) and starts again
    /// does not restart the count; only bytes do.</summary>
    private TimeSpan QuietFor(long now) =>
        Clock.GetElapsedTime(Math.Max(Volatile.Read(ref _quietSince), Volatile.Read(ref _lastReceived)), now);

    /// <summary>A receive starts waiting for the peer: the silence counts from here unless an earlier wait since the
    /// peer's last bytes already started it.</summary>
    public void StartWaiting()
    {
        Interlocked.CompareExchange(ref _quietSince, Clock.GetTimestamp(), NotQuiet);
        Volatile.Write(ref _waiting, 1);
    }

    /// <summary>The receive stopped waiting (bytes came, or the read failed).</summary>
    public void StopWaiting() => Volatile.Write(ref _waiting, 0);

    /// <summary>The peer's bytes arrived: the silence ends (the time first, so the timer never sees neither).</summary>
    public void HeardFromPeer()
    {
        Volatile.Write(ref _lastReceived, Clock.GetTimestamp());
        Volatile.Write(ref _quietSince, NotQuiet);
    }

    /// <summary>Our bytes went out: the keep-alive we owe counts from now.</summary>
    public void Sent() => Volatile.Write(ref _lastSent, Clock.GetTimestamp());

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task SendKeepAliveAsync()
    {
        try
        {
            await connection.SendKeepAliveAsync().ConfigureAwait(false);
        }
        catch (WireException)
        {
            // The connection is broken and closed; the reader's next ReceiveAsync reports why.
        }
        finally
        {
            Volatile.Write(ref _keepAliveInFlight, 0);
        }
    }
}
