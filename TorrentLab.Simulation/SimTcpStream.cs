using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace TorrentLab.Simulation;

/// <summary>One end of a simulated TCP connection, as the stream its program reads and writes.</summary>
/// <remarks>
/// What is written waits in the send buffer and goes out in pieces of the host's <see cref="AccessLink.Quantum"/>
/// (a tenth of a second of its upload, at most 16 KiB), each cut from what is unsent when it goes (writes made while
/// the connection waits share a piece, as a kernel's segments do), each when it is this connection's turn on the host's upload
/// and the receiver's window (1 MiB of bytes on the way or unread) has room and the connection has less than its
/// share of the receiver's download queue on the way (<see cref="AccessLink.FlowShare"/>); a write waits while more than the host's
/// <see cref="AccessLink.SendBuffer"/> is unsent, as a kernel's send does. A piece arrives after the path's delay
/// and the receiver's download, and waits there to be read (a zero-byte read waits for it, as a socket's does).
/// Closing sends a FIN after what was written; data that reaches a closed end is answered with a reset (an error on
/// the other end's next read or write). <see cref="CloseSending"/> sends the FIN alone and keeps reading (a
/// half-close).
/// </remarks>
internal sealed class SimTcpStream : Stream, Wire.INamedTransport, Network.IHalfClosable, IUploader, IValueTaskSource<int>
{
    /// <summary>Bytes on the way or unread at the receiver, at most: its receive window.</summary>
    public const int Window = 1024 * 1024;

    private readonly SimHost _host;
    private readonly TimeSpan _delay;
    private SimTcpStream _peer = null!;
    private readonly SimTcpBytes _bytes; // what this end wrote, until the other end has read it
    private readonly Queue<int> _inbox = new(); // the lengths of the pieces arrived and not yet read (their bytes: the other end's _bytes)
    private int _outboxBytes, _inFlight, _unread, _inboxOffset;
    private bool _closed, _finSent, _finTaken, _finReceived, _reset, _broken, _resetSent, _heldForShare, _flowOpen;
    private TaskCompletionSource? _drained;

    // The one read waiting, if any.
    private ManualResetValueTaskSourceCore<int> _read = new() { RunContinuationsAsynchronously = true };
    private Memory<byte> _readInto;
    private bool _reading;
    private CancellationTokenRegistration _readCancel;

    private SimTcpStream(SimHost host, IPEndPoint local, IPEndPoint remote, TimeSpan delay)
    {
        _host = host;
        _bytes = new SimTcpBytes(host.Network.Chunks);
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        _delay = delay;
    }

    /// <summary>The two ends of a new connection.</summary>
    internal static (SimTcpStream Client, SimTcpStream Server) Pair(SimHost client, IPEndPoint clientLocal, IPEndPoint dialled,
        SimHost server, IPEndPoint serverLocal, IPEndPoint seenClient, TimeSpan delay)
    {
        var c = new SimTcpStream(client, clientLocal, dialled, delay);
        var s = new SimTcpStream(server, serverLocal, seenClient, delay);
        c._peer = s;
        s._peer = c;
        return (c, s);
    }

    public IPEndPoint LocalEndPoint { get; }
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Whether closing this end releases its local port (a dialler's end once handed over).</summary>
    internal bool OwnsPort { get; set; }

    public string TransportName => "tcp";

    // ---- reading ----

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_reading) throw new InvalidOperationException("one read at a time");
        if (ct.IsCancellationRequested) return ValueTask.FromCanceled<int>(ct);
        if (_closed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(SimTcpStream)));
        if (_unread > 0) return new ValueTask<int>(Copy(buffer.Span)); // a zero-byte read: 0 once bytes are there
        if (_reset) return ValueTask.FromException<int>(Reset());
        if (_finReceived) return new ValueTask<int>(0);
        _reading = true;
        _readInto = buffer;
        _read.Reset();
        if (ct.CanBeCanceled)
            _readCancel = ct.UnsafeRegister(static (s, token) => ((SimTcpStream)s!).EndRead(new OperationCanceledException(token)), this);
        return new ValueTask<int>(this, _read.Version);
    }

    /// <summary>Copies what is unread of the first piece waiting into <paramref name="into"/>; the sender's window opens
    /// by as much.</summary>
    /// <remarks>One piece (at most 16 KiB) per read, where a kernel hands over all that has arrived: the bytes are the
    /// same and arrive at the same simulated instants (reading costs no simulated time), but a program whose reads
    /// lag behind while other work runs at the same instant is not told so, and does not grow its receive buffer for
    /// it (PeerConnection.FillAsync grows it when reads come back full); what the buffers cost a real client is
    /// measured on real sockets.</remarks>
    private int Copy(Span<byte> into)
    {
        if (into.Length == 0 || !_inbox.TryPeek(out var piece)) return 0;
        var copied = Math.Min(into.Length, piece - _inboxOffset);
        _peer._bytes.Take(into[..copied]);
        _inboxOffset += copied;
        if (_inboxOffset == piece)
        {
            _inbox.Dequeue();
            _inboxOffset = 0;
        }
        _unread -= copied;
        if (copied > 0) _peer._host.Link.Wake(_peer); // room in the window again
        return copied;
    }

    private void EndRead(Exception? error)
    {
        if (!_reading) return;
        _reading = false;
        _readCancel.Dispose();
        if (error is not null) _read.SetException(error);
        else _read.SetResult(_unread > 0 ? Copy(_readInto.Span) : 0);
        _readInto = default;
    }

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);
    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    // ---- writing ----

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_reset) throw Reset();
        if (_finSent) throw new IOException("the sending side is closed", new SocketException((int)SocketError.Shutdown));
        _bytes.Append(data.Span);
        _outboxBytes += data.Length;
        _host.Link.Wake(this);
        while (_outboxBytes > _host.Link.SendBuffer)
        {
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await _drained.Task.WaitAsync(ct).ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_reset) throw Reset();
        }
    }

    Transmission? IUploader.Take()
    {
        // The next piece is cut from what is unsent when its turn comes, as a kernel cuts segments from its send buffer:
        // a small message written while others wait goes with them.
        var piece = Math.Min(_outboxBytes, _host.Link.Quantum);
        var fin = piece == 0;
        if (fin && (!_finSent || _finTaken)) return null;
        if (!fin && _inFlight + _peer._unread >= Window) return null; // the receiver's window is full: woken by its reads
        if (!fin && _inFlight >= _peer._host.Link.FlowShare)
        {
            _heldForShare = true; // its share of the receiver's download queue is on the way: woken as it gets through
            return null;
        }
        _outboxBytes -= piece;
        _finTaken |= fin;
        if (!_flowOpen && !fin)
        {
            _flowOpen = true;
            _peer._host.Link.FlowStarted();
        }
        _inFlight += piece;
        if (_drained is { } drained && _outboxBytes <= _host.Link.SendBuffer)
        {
            _drained = null;
            drained.TrySetResult();
        }
        return new Sending(this, piece);
    }

    /// <summary>A piece of <paramref name="length"/> bytes (0: the FIN) leaving the host's upload: it arrives after the
    /// path's delay, then the receiver's download. Its bytes stay in the sender's <see cref="_bytes"/>.</summary>
    private sealed class Sending(SimTcpStream from, int length) : Transmission
    {
        public override int Length => length;

        public override void Departed()
        {
            var clock = from._host.Clock;
            clock.Post(from._delay, static s => ((Sending)s!).Arrive(), this);
        }

        private void Arrive()
        {
            var to = from._peer;
            if (from._host.Vanished || to._host.Vanished || from._broken)
            {
                // Nothing more gets through: the connection is dead, and no one is told. What it sent stays counted in
                // its window (as unacknowledged bytes do, so its writes stall), but it no longer shares the download.
                from.EndFlow();
                from._broken = to._broken = true;
                from._host.Network.Log.Add(EventLog.Kind.Dropped, from.LocalEndPoint, from.RemoteEndPoint, length, "vanished");
                return; // its bytes, and those of every piece after it, are never read: they go with the connection
            }
            var done = to._host.Link.DownloadDone(length);
            if (done <= to._host.Clock.NowTicks) Deliver();
            else to._host.Clock.PostAt(done, static s => ((Sending)s!).Deliver(), this);
        }

        private void Deliver()
        {
            var to = from._peer;
            from.OffTheWay(length);
            if (from._host.Vanished || to._host.Vanished || to._broken) return;
            to.Receive(length);
        }
    }

    /// <summary><paramref name="length"/> bytes of ours are no longer on their way (through the receiver's download,
    /// or lost): a connection held at its share of that download's queue may send again.</summary>
    private void OffTheWay(int length)
    {
        _inFlight -= length;
        if (_inFlight == 0) EndFlow();
        if (!_heldForShare) return;
        _heldForShare = false;
        _host.Link.Wake(this);
    }

    /// <summary>The connection stops counting among those sharing the receiver's download queue.</summary>
    private void EndFlow()
    {
        if (!_flowOpen) return;
        _flowOpen = false;
        _peer._host.Link.FlowEnded();
    }

    private void Receive(int piece)
    {
        var log = _host.Network.Log;
        var fin = piece == 0;
        if (_closed)
        {
            _peer._bytes.Drop(piece); // the first bytes held: what came before was read or dropped at the close
            if (fin || _resetSent) return;
            // Data for an end that is closed: RST (as a kernel does).
            _resetSent = true;
            log.Add(EventLog.Kind.Reset, LocalEndPoint, RemoteEndPoint, 0);
            _host.Clock.Post(_delay, static s => ((SimTcpStream)s!).OnReset(), _peer);
            return;
        }
        if (fin)
        {
            log.Add(EventLog.Kind.Closed, RemoteEndPoint, LocalEndPoint, 0);
            _finReceived = true;
            if (_reading && _unread == 0) EndRead(null);
            return;
        }
        log.Add(EventLog.Kind.Bytes, RemoteEndPoint, LocalEndPoint, piece);
        _inbox.Enqueue(piece);
        _unread += piece;
        if (_reading) EndRead(null);
    }

    /// <summary>The other end answered with a RST. A kernel that gets one aborts the connection and discards what is
    /// unsent, whether the application still holds the socket or closed it already: an engine that reads its peer's
    /// FIN closes while blocks wait in its send buffer, and those must not cross the peer's download after the RST
    /// (they did, and took 5-8 % of the slowest downloads in a crowd that drops idle peers). The bytes stay in
    /// <see cref="_bytes"/> behind what is on the way; nobody reads them.</summary>
    private void OnReset()
    {
        if (_reset || _host.Vanished) return;
        _reset = true;
        _outboxBytes = 0;
        _finTaken = true; // no FIN after a RST either
        if (_closed) return;
        if (_reading) EndRead(Reset());
        if (_drained is { } drained)
        {
            _drained = null;
            drained.TrySetResult();
        }
    }

    private static IOException Reset() => new("the connection was reset by the peer", new SocketException((int)SocketError.ConnectionReset));

    // ---- closing ----

    protected override void Dispose(bool disposing)
    {
        if (_closed) return;
        _closed = true;
        if (OwnsPort) _host.ReleaseTcpPort(LocalEndPoint.Port);
        if (_reading) EndRead(new ObjectDisposedException(nameof(SimTcpStream)));
        if (_drained is { } drained)
        {
            _drained = null;
            drained.TrySetResult();
        }
        if (!_reset) SendFin();
        _peer._bytes.Drop(_unread);
        _inbox.Clear();
        _inboxOffset = 0;
        _unread = 0;
        base.Dispose(disposing);
    }

    /// <summary>The half-close: a FIN after what was written; reads go on until the other end's FIN.</summary>
    public void CloseSending()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_reset) throw new SocketException((int)SocketError.ConnectionReset);
        SendFin();
    }

    private void SendFin()
    {
        if (_finSent) return;
        _finSent = true; // the FIN goes once every byte written before it has gone
        _host.Link.Wake(this);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    // ---- the rest of Stream ----

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a simulated stream is read asynchronously");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a simulated stream is written asynchronously");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
