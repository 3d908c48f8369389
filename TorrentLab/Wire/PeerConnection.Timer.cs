namespace TorrentLab.Wire;

public sealed partial class PeerConnection
{
    // One timer per connection checks both clocks a few times per period; all times are Environment.TickCount64 ms.
    private Timer? _timer;
    private long _lastReceived, _lastSent, _waitingSince;
    private volatile bool _idleTimedOut;
    private int _keepAliveInFlight;

    private void StartTimer()
    {
        var now = Environment.TickCount64;
        _lastReceived = _lastSent = now;
        var shortest = Math.Min(_options.IdleTimeout.TotalMilliseconds, _options.KeepAliveInterval.TotalMilliseconds);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 1000)); // 10 ms..1 s: bounded work
        _timer = new Timer(static state => ((PeerConnection)state!).OnTick(), this, period, period);
    }

    /// <summary>Drops a peer that sent nothing for the idle timeout while we waited for it, and keeps our side alive.</summary>
    private void OnTick()
    {
        if (_disposed) return;
        var now = Environment.TickCount64;
        var waiting = Volatile.Read(ref _waitingSince);
        var quietSince = Math.Max(waiting, Volatile.Read(ref _lastReceived));
        if (waiting != 0 && now - quietSince > _options.IdleTimeout.TotalMilliseconds)
        {
            // Closing the socket fails the pending receive, which reports the timeout.
            _idleTimedOut = true;
            Dispose();
            return;
        }
        if (now - Volatile.Read(ref _lastSent) >= _options.KeepAliveInterval.TotalMilliseconds
            && Interlocked.Exchange(ref _keepAliveInFlight, 1) == 0)
            _ = SendKeepAliveFromTimerAsync();
    }

    private async Task SendKeepAliveFromTimerAsync()
    {
        try
        {
            await SendKeepAliveAsync().ConfigureAwait(false);
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
