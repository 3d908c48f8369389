namespace TorrentLab.Utp;

internal sealed partial class UtpConnection
{
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _readWaiter;
    private TaskCompletionSource? _writeWaiter;

    /// <summary>Completes when the connection is established (an outgoing SYN was acked); fails with
    /// <see cref="UtpException"/> when it never is.</summary>
    public Task Connected => _connected.Task;

    /// <summary>Reads received bytes in order; 0 at the end of the stream (the peer's FIN, or our close).</summary>
    /// <exception cref="UtpException">The connection was reset or timed out.</exception>
    /// <remarks>A zero-byte read waits until bytes are there (or the end, or a failure) and returns 0, as a socket's
    /// does: a reader can wait for data without holding a buffer.</remarks>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_received.Count > 0)
                {
                    if (buffer.IsEmpty) return 0;
                    var read = _received.Dequeue(buffer.Span);
                    MaybeSendWindowUpdate();
                    return read;
                }
                if (_eof || State == UtpState.Closed) return 0;
                if (State == UtpState.Failed) throw new UtpException($"uTP connection to {Remote}: {FailureReason}");
                _readWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readWaiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Queues all of <paramref name="data"/> for sending; waits while the send buffer is full.</summary>
    /// <exception cref="UtpException">The connection was reset or timed out.</exception>
    /// <exception cref="ObjectDisposedException">The connection was closed by this side, before or during the write: what a
    /// TCP socket's stream throws once disposed, so the peer wire reports both the same way (closed locally).</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            Task wait;
            lock (_gate)
            {
                if (State == UtpState.Failed) throw new UtpException($"uTP connection to {Remote}: {FailureReason}");
                // A write racing our own close (a seeder's sender after the peer was dropped) is not a fault of ours.
                if (_closeRequested || State == UtpState.Closed) throw new ObjectDisposedException($"uTP connection to {Remote}", "the uTP connection was closed by this side");
                var taken = _sendQueue.Enqueue(data.Span);
                data = data[taken..];
                if (taken > 0 && State != UtpState.SynSent) Pump(_clock());
                if (data.IsEmpty) return;
                _writeWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _writeWaiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Completes when everything written has been acked, or the connection ended.</summary>
    public async ValueTask DrainAsync(CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (State is UtpState.Failed) throw new UtpException($"uTP connection to {Remote}: {FailureReason}");
                var dataPending = _sendQueue.Count > 0 || _outbound.Count > (_finSent && !_finAcked ? 1 : 0);
                if (!dataPending || State is UtpState.Closed) return;
                _writeWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _writeWaiter.Task;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private static void Wake(ref TaskCompletionSource? waiter)
    {
        var woken = waiter;
        waiter = null;
        woken?.TrySetResult();
    }

    private void WakeAll()
    {
        Wake(ref _readWaiter);
        Wake(ref _writeWaiter);
    }
}
