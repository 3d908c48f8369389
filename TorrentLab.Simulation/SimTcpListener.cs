using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Simulation;

/// <summary>A listening TCP port of a simulated host: connections whose SYN found it wait here to be accepted (beyond
/// the backlog, a SYN is dropped and its dialler waits out its own timeout, as with a full kernel queue).</summary>
internal sealed class SimTcpListener(SimHost host, IPEndPoint local, int backlog) : ITcpListener
{
    private readonly Queue<SimTcpStream> _accepted = new();
    private TaskCompletionSource<(Stream, IPEndPoint)?>? _waiter;
    private CancellationTokenRegistration _cancel;

    public IPEndPoint LocalEndPoint { get; } = local;

    internal bool Closed { get; private set; }

    /// <summary>Takes a connection whose SYN arrived; false when the backlog is full.</summary>
    internal bool Offer(SimTcpStream connection)
    {
        if (_waiter is { } waiter)
        {
            _waiter = null;
            _cancel.Dispose();
            waiter.TrySetResult((connection, connection.RemoteEndPoint));
            return true;
        }
        if (_accepted.Count >= Math.Max(1, backlog)) return false;
        _accepted.Enqueue(connection);
        return true;
    }

    public Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Closed, this);
        if (_accepted.TryDequeue(out var next)) return Task.FromResult<(Stream, IPEndPoint)?>((next, next.RemoteEndPoint));
        if (_waiter is not null) throw new InvalidOperationException("one accept at a time");
        ct.ThrowIfCancellationRequested();
        var waiter = new TaskCompletionSource<(Stream, IPEndPoint)?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiter = waiter;
        _cancel = ct.Register(static s =>
        {
            var (listener, w) = ((SimTcpListener, TaskCompletionSource<(Stream, IPEndPoint)?>))s!;
            if (listener._waiter == w) listener._waiter = null;
            w.TrySetCanceled();
        }, (this, waiter));
        return waiter.Task;
    }

    public void Dispose()
    {
        if (Closed) return;
        Closed = true;
        host.Unbind(this);
        _cancel.Dispose();
        _waiter?.TrySetException(new ObjectDisposedException(nameof(SimTcpListener)));
        _waiter = null;
        while (_accepted.TryDequeue(out var connection)) connection.Dispose(); // a closing listener resets its queue
    }
}
