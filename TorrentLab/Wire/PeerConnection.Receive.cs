using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace TorrentLab.Wire;

internal sealed partial class PeerConnection
{
    // The last returned message occupies the first _lastConsumed unread bytes of _received and is released (its payload
    // becomes invalid) at the next ReceiveAsync.
    private int _lastConsumed;
    private int _receiving;              // 1 while a ReceiveAsync runs: one reader only
    private bool _sawMessage;            // a BEP 3 or 6 message arrived: a bitfield (or have all/none) may no longer come

    private string IdleMessage => $"no message for {Seconds(_options.IdleTimeout)} (idle timeout)";

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
                if (await TryFillAsync(MessageReader.FrameLength(_received.Unread), ct).ConfigureAwait(false) is { } ended)
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
        _received.Consume(_lastConsumed);
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
                _received.Consume(consumed);
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
            if (!MessageReader.TryRead(_received.UnreadMemory, _pieceCount, _maxBlockLength, out message, out consumed))
                return false;
        }
        catch (WireException e)
        {
            throw PeerError($"{e.Message} (message at stream byte {_received.StreamOffset})", e);
        }
        if (_trace is not null) Trace(WireDirection.Received, message, _received.Unread[..consumed]);
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
                _announced.OnHave(message.Index);
                break;
            case MessageKind.Bitfield:
                // BEP 3: "'bitfield' is only ever sent as the first message." Departure: aria2 sends a later bitfield in
                // place of many haves (20 or more new pieces at once), so a later one that only adds pieces is taken as
                // those haves; one that takes pieces back is still a violation.
                _announced.OnBitfield(message.Payload, late: _sawMessage, _pieceCount);
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

    /// <summary>Reads more bytes from the socket, first making room for a frame of <paramref name="frameLength"/> bytes
    /// (-1 when unknown); the reason, not thrown, when the connection ended instead (closed by the peer or here, lost,
    /// idle too long).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WireException?> TryFillAsync(int frameLength, CancellationToken ct)
    {
        if (_received.MayRelease && await WaitForBytesAsync(ct).ConfigureAwait(false) is { } lost) return lost;
        var (read, error) = await ReadTransportAsync(_received.Room(frameLength), ct).ConfigureAwait(false);
        if (error is not null) return error;
        if (read == 0) return PeerError(_timer.IdleTimedOut ? IdleMessage : "the peer closed the connection", violation: false);
        _received.Filled(read, _options.ReceiveBufferSize);
        _timer.HeardFromPeer();
        return null;
    }

    /// <summary>With nothing unread: gives the receive buffer back to the pool and waits for bytes with a zero-byte read
    /// (as Kestrel does over sockets), so a connection that moves no data holds no receive buffer. Kernel TCP (a socket
    /// or its NetworkStream), uTP, RC4 over either and the simulated network's streams complete a zero-byte read only
    /// once bytes (or the end) are there; a stream that completes it at once only costs the call, and the read that
    /// follows waits with a buffer as before. The reason when the transport failed meanwhile.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WireException?> WaitForBytesAsync(CancellationToken ct)
    {
        _received.Release();
        return (await ReadTransportAsync(Memory<byte>.Empty, ct).ConfigureAwait(false)).Lost;
    }

    /// <summary>One read of the transport, its failures returned as the peer's (idle timeout, local close, lost
    /// connection), not thrown.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Read, WireException? Lost)> ReadTransportAsync(Memory<byte> into, CancellationToken ct)
    {
        _timer.StartWaiting();
        try
        {
            return (await _transport.ReadAsync(into, ct).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException && !ct.IsCancellationRequested)
        {
            var what = _timer.IdleTimedOut ? IdleMessage
                : _disposed && _failure is null ? "the connection was closed locally"
                : $"connection lost ({TransportError(e)})";
            return (0, PeerError(what, e, violation: false));
        }
        finally
        {
            _timer.StopWaiting();
        }
    }

    /// <summary>Bytes of buffers the connection holds now (receive and send): what an idle connection costs.</summary>
    internal int HeldBufferBytes => _received.HeldBytes + _writer.HeldBytes;

    /// <summary>What went wrong in the transport, in a word or two: the socket's error code when there is one.</summary>
    internal static string TransportError(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? "socket closed";
}
