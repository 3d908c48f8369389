namespace TorrentLab.Utp;

internal sealed partial class UtpConnection
{
    /// <summary>True once the connection is over (closed or failed) and the socket owner may forget it.</summary>
    public bool IsFinished { get { lock (_gate) return State is UtpState.Closed or UtpState.Failed; } }

    /// <summary>Runs the timers; the socket owner calls it every few milliseconds.</summary>
    /// <remarks>BEP 29: "If no packet has arrived within timeout number of milliseconds from the last timeout counter
    /// reset, the socket triggers a timeout. It will set its packet_size and max_window to the smallest packet size
    /// (150 bytes). This allows it to send one more packet". Every unacked packet then counts as lost and is resent
    /// as the window reopens; the timeout doubles for each timeout in a row.</remarks>
    public void Tick()
    {
        lock (_gate)
        {
            if (State is UtpState.Closed or UtpState.Failed) return;
            var now = _clock();
            if (State == UtpState.SynReceived && now - _createdAt > (long)_options.HalfOpenTimeout.TotalMicroseconds)
            {
                Fail("the peer sent nothing after its SYN");
                return;
            }
            if (_outbound.Count > 0 && now - _timeoutBase >= (long)(_rtt.TimeoutMs * 1000))
            {
                _rtt.OnTimeout();
                var limit = State == UtpState.SynSent ? _options.MaxSynTimeouts : _options.MaxTimeouts;
                if (_rtt.ConsecutiveTimeouts >= limit)
                {
                    Fail(State == UtpState.SynSent ? "no answer to our SYN" : $"timed out after {limit} retransmissions");
                    return;
                }
                _ledbat.OnTimeout();
                foreach (var packet in _outbound.Values)
                {
                    if (!packet.NeedsResend) _resendCount++;
                    packet.NeedsResend = true;
                    packet.FastResent = false;
                }
                _bytesInFlight = 0;
                _lossCutSeq = LastSent;
                _timeoutBase = now;
            }
            if (_ackPending && State != UtpState.SynSent) SendState();
            Pump(now);
            CheckClosed(now);
        }
    }
}
