using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TorrentLab.Wire;

internal sealed partial class PeerConnection
{
    // The receive buffer holds [_start, _end) unread bytes; the last returned message occupies _lastConsumed bytes
    // from _start and is released (its payload becomes invalid) at the next ReceiveAsync.
    private byte[] _receiveBuffer;
    private int _start, _end, _lastConsumed;
    // After the handshake the receive buffer is rented from the shared pool and held only while it has unread bytes;
    // an empty connection waits for bytes with a zero-byte read and rents _receiveCapacity bytes once they are there.
    private bool _pooledReceive;
    private int _receiveCapacity;
    private long _streamOffset;          // stream position of _start, for error messages
    private int _receiving;              // 1 while a ReceiveAsync runs: one reader only
    private bool _sawMessage;            // a BEP 3 or 6 message arrived: a bitfield (or have all/none) may no longer come
    private byte[]? _earlyBitfield;      // a bitfield received before the piece count was known
    private readonly List<int> _earlyHaves = [];
    private const int MaxEarlyHaves = 1 << 16; // bounds memory for haves before the piece count is known

    private string IdleMessage => $"no message for {Seconds(_options.IdleTimeout)} (idle timeout)";

    private ReadOnlySpan<byte> Buffered => _receiveBuffer.AsSpan(_start, _end - _start);

    /// <summary>Receives the next message: <c>choke</c> to <c>cancel</c>, and BEP 10 <c>extended</c> (whose payload
    /// <c>TorrentLab.Extensions</c> decodes). Keep-alives, <c>port</c> and unknown ids are counted and skipped. Updates <see cref="PeerChoking"/>, <see cref="PeerInterested"/> and <see cref="PeerPieces"/>.</summary>
    /// <remarks>The returned <see cref="PeerMessage.Payload"/> is valid until the next call; copy a block before it.</remarks>
    /// <exception cref="WireException">The peer broke the protocol, closed the connection or was idle too long.</exception>
    /// <exception cref="InvalidOperationException">Another ReceiveAsync is running.</exception>
    public async ValueTask<PeerMessage> ReceiveAsync(CancellationToken ct = default)
    {
        var (ended, message) = await ReceiveOrEndAsync(ct).ConfigureAwait(false);
        return ended is null ? message : throw ended;
    }

    /// <summary>As <see cref="ReceiveAsync"/>, but a connection that ends (the peer closed it, it was lost or closed
    /// here, or it was idle too long) is told by the returned <c>Ended</c> (the same <see cref="WireException"/>
    /// <see cref="ReceiveAsync"/> throws), not thrown: a session's connections end by the thousand, and each exception
    /// rethrown through the loops above costs more than the rest of the connection's end. A protocol violation still
    /// throws.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(WireException? Ended, PeerMessage Message)> ReceiveOrEndAsync(CancellationToken ct = default)
    {
        EnterReader();
        try
        {
            while (true)
            {
                if (TryTakeBuffered(out var message)) return (null, message);
                if (await TryFillAsync(MessageReader.FrameLength(Buffered), ct).ConfigureAwait(false) is { } ended)
                    return (Fail(ended), default);
            }
        }
        catch (WireException e)
        {
            throw Fail(e);   // every WireException here already names the peer
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>Returns the next message if it is already buffered, without waiting for the socket (false otherwise).
    /// Same rules as <see cref="ReceiveAsync"/>: one reader, and the payload is valid until the next receive. Lets a
    /// loop drain everything that arrived (say, all pending requests) before answering with one batched send.</summary>
    /// <exception cref="WireException">A buffered message breaks the protocol.</exception>
    public bool TryReceive(out PeerMessage message)
    {
        EnterReader();
        try
        {
            return TryTakeBuffered(out message);
        }
        catch (WireException e)
        {
            throw Fail(e);
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>Claims the reader role and releases the previously returned message (its payload becomes invalid).</summary>
    private void EnterReader()
    {
        if (Interlocked.Exchange(ref _receiving, 1) == 1)
            throw new InvalidOperationException("ReceiveAsync is already running: a connection has exactly one reader");
        Consume(_lastConsumed);
        _lastConsumed = 0;
    }

    /// <summary>Takes the next message the caller must see from the buffer, skipping keep-alives, port and unknown ids.</summary>
    private bool TryTakeBuffered(out PeerMessage message)
    {
        if (_failure is { } failure) throw new WireException(failure.Message, failure, (failure as WireException)?.IsViolation ?? false);
        while (TryDecode(out message, out var consumed))
        {
            if (message.Kind is MessageKind.KeepAlive or MessageKind.Port or MessageKind.Unknown)
            {
                Consume(consumed);
                continue;
            }
            _lastConsumed = consumed;
            return true;
        }
        return false;
    }

    /// <summary>Decodes, traces and applies the message at the front of the buffer; false if it is incomplete.</summary>
    private bool TryDecode(out PeerMessage message, out int consumed)
    {
        try
        {
            if (!MessageReader.TryRead(_receiveBuffer.AsMemory(_start, _end - _start), _pieceCount, _maxBlockLength, out message, out consumed))
                return false;
        }
        catch (WireException e)
        {
            throw PeerError($"{e.Message} (message at stream byte {_streamOffset})", e);
        }
        if (_trace is not null) Trace(WireDirection.Received, message, Buffered[..consumed]);
        Apply(message);
        return true;
    }

    /// <summary>What each received message changes on the connection: the connection's half of BEP 3's message table.</summary>
    private void Apply(in PeerMessage message)
    {
        switch (message.Kind)
        {
            case MessageKind.KeepAlive:
                KeepAlivesReceived++;
                return;
            case MessageKind.Port:
            case MessageKind.Unknown:
                MessagesIgnored++;
                return;
            case MessageKind.Choke:
                _peerChoking = true;
                break;
            case MessageKind.Unchoke:
                _peerChoking = false;
                break;
            case MessageKind.Interested:
                _peerInterested = true;
                break;
            case MessageKind.NotInterested:
                _peerInterested = false;
                break;
            case MessageKind.Have:
                if (PeerPieces is not null) PeerPieces.Set(message.Index);
                else if (_earlyHaves.Count < MaxEarlyHaves) _earlyHaves.Add(message.Index);
                else throw PeerError($"more than {MaxEarlyHaves} have messages before the piece count is known");
                break;
            case MessageKind.Bitfield:
                // BEP 3: "'bitfield' is only ever sent as the first message." Departure: aria2 sends a later bitfield in
                // place of many haves (20 or more new pieces at once), so a later one that only adds pieces is taken as
                // those haves; one that takes pieces back is still a violation.
                if (_sawMessage) ApplyLateBitfield(message.Payload.Span);
                else if (PeerPieces is not null) PeerPieces = Bitfield.FromWire(message.Payload.Span, _pieceCount);
                else _earlyBitfield = message.Payload.ToArray();
                break;
            case MessageKind.HaveAll:
            case MessageKind.HaveNone:
                ApplyHaveAllOrNone(message.Kind == MessageKind.HaveAll); // BEP 6, PeerConnection.Fast.cs
                break;
            case MessageKind.Suggest:
            case MessageKind.Reject:
            case MessageKind.AllowedFast:
                ApplyFast(message); // BEP 6, PeerConnection.Fast.cs
                break;
            case MessageKind.Request:
            case MessageKind.Piece:
            case MessageKind.Cancel:
                break;
            case MessageKind.Extended:
                // BEP 10 sends the extension handshake "immediately after the standard bittorrent handshake", so it
                // may come before the bitfield; extension messages do not end the bitfield's turn.
                return;
        }
        _sawMessage = true;
    }

    /// <summary>A bitfield after other messages: accepted as haves when it keeps every piece announced so far.</summary>
    private void ApplyLateBitfield(ReadOnlySpan<byte> payload)
    {
        if (PeerPieces is null) throw PeerError("bitfield received after other messages, before the piece count is known");
        var late = Bitfield.FromWire(payload, _pieceCount);
        foreach (var index in PeerPieces.SetIndexes())
            if (!late[index]) throw PeerError($"bitfield received after other messages takes back piece {index}; BEP 3 allows it only as the first message");
        foreach (var index in late.SetIndexes()) PeerPieces.Set(index);
    }

    private void Consume(int count)
    {
        _start += count;
        _streamOffset += count;
        if (_start == _end) _start = _end = 0;
    }

    /// <summary>Reads more bytes from the socket, first making room for a frame of <paramref name="frameLength"/> bytes
    /// (-1 when unknown); the reason, not thrown, when the connection ended instead (closed by the peer or here, lost,
    /// idle too long).</summary>
    private async ValueTask<WireException?> TryFillAsync(int frameLength, CancellationToken ct)
    {
        if (_pooledReceive && _start == _end && await WaitForBytesAsync(ct).ConfigureAwait(false) is { } lost) return lost;
        var needed = Math.Max(frameLength, WireLimits.LengthPrefix + 1);
        if (needed > _receiveBuffer.Length) EnsureReceiveCapacity(Math.Max(needed, _receiveCapacity));
        if (_start + needed > _receiveBuffer.Length || _end == _receiveBuffer.Length)
        {
            Buffered.CopyTo(_receiveBuffer);   // compact: move the partial frame to the front
            _end -= _start;
            _start = 0;
        }
        var (read, error) = await ReadTransportAsync(_receiveBuffer.AsMemory(_end), ct).ConfigureAwait(false);
        if (error is not null) return error;
        if (read == 0) return PeerError(_idleTimedOut ? IdleMessage : "the peer closed the connection", violation: false);
        _end += read;
        // The read filled all the room there was: more is coming faster than it is parsed, so read more at a time.
        if (_end == _receiveBuffer.Length && _receiveBuffer.Length < _options.ReceiveBufferSize)
        {
            _receiveCapacity = Math.Min(2 * _receiveBuffer.Length, _options.ReceiveBufferSize);
            EnsureReceiveCapacity(_receiveCapacity);
        }
        HeardFromPeer();
        return null;
    }

    /// <summary>With nothing unread: gives the receive buffer back to the pool and waits for bytes with a zero-byte read
    /// (as Kestrel does over sockets), so a connection that moves no data holds no receive buffer. Kernel TCP (a socket
    /// or its NetworkStream), uTP, RC4 over either and the simulated network's streams complete a zero-byte read only
    /// once bytes (or the end) are there; a stream that completes it at once only costs the call, and the read that
    /// follows waits with a buffer as before. The reason when the transport failed meanwhile.</summary>
    private async ValueTask<WireException?> WaitForBytesAsync(CancellationToken ct)
    {
        ReleaseReceiveBuffer();
        return (await ReadTransportAsync(Memory<byte>.Empty, ct).ConfigureAwait(false)).Lost;
    }

    private void ReleaseReceiveBuffer()
    {
        var buffer = _receiveBuffer;
        _receiveBuffer = [];
        _start = _end = 0;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>One read of the transport, its failures returned as the peer's (idle timeout, local close, lost
    /// connection), not thrown.</summary>
    private async ValueTask<(int Read, WireException? Lost)> ReadTransportAsync(Memory<byte> into, CancellationToken ct)
    {
        StartWaiting();
        try
        {
            return (await _transport.ReadAsync(into, ct).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException && !ct.IsCancellationRequested)
        {
            var what = _idleTimedOut ? IdleMessage
                : _disposed && _failure is null ? "the connection was closed locally"
                : $"connection lost ({TransportError(e)})";
            return (0, PeerError(what, e, violation: false));
        }
        finally
        {
            Volatile.Write(ref _waiting, 0);
        }
    }

    /// <summary>Bytes of buffers the connection holds now (receive and send): what an idle connection costs.</summary>
    internal int HeldBufferBytes => _receiveBuffer.Length + Volatile.Read(ref _sendBuffer).Length;

    /// <summary>What went wrong in the transport, in a word or two: the socket's error code when there is one.</summary>
    private static string TransportError(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? "socket closed";

    /// <summary>The receive buffer a connection starts with after the handshake: room for one whole block message and
    /// more; it doubles each time a read fills it, up to <see cref="PeerConnectionOptions.ReceiveBufferSize"/>.</summary>
    private const int InitialReceiveBuffer = 32 * 1024;

    /// <summary>After the handshake: a receive buffer for a whole frame, which grows to its working size as reads fill
    /// it (<see cref="TryFillAsync"/>): a fast connection reaches it within a few reads, while a slow one (most of a seed's
    /// hundreds) reads into 32 KiB instead of 256, and an idle one holds none (it is rented when bytes come). The send
    /// buffer is rented for each send (SendAsync).</summary>
    private void GrowBuffers()
    {
        var frame = WireLimits.MaxFrameLength(_maxBlockLength, 0);
        _receiveCapacity = Math.Max(frame, Math.Min(InitialReceiveBuffer, _options.ReceiveBufferSize));
        if (_start < _end)
        {
            EnsureReceiveCapacity(_receiveCapacity);   // bytes that came with the handshake move to a pooled buffer
            return;
        }
        _receiveBuffer = [];   // the handshake's buffer (not pooled): a pooled one is rented when bytes come
        _start = _end = 0;
        _pooledReceive = true;
    }

    /// <summary>Grows the receive buffer to hold at least <paramref name="capacity"/> bytes (bounded by the 1 MiB message
    /// limit). After the handshake the buffers come from the shared pool (returned when empty: <see cref="TryFillAsync"/>).</summary>
    private void EnsureReceiveCapacity(int capacity)
    {
        if (capacity <= _receiveBuffer.Length) return;
        var old = _receiveBuffer;
        var pooled = RemoteHandshake is not null;
        var grown = pooled ? ArrayPool<byte>.Shared.Rent(capacity) : GC.AllocateUninitializedArray<byte>(capacity);
        Buffered.CopyTo(grown);
        _end -= _start;
        _start = 0;
        _receiveBuffer = grown;
        if (_pooledReceive && old.Length > 0) ArrayPool<byte>.Shared.Return(old);
        _pooledReceive = pooled;
    }
}
