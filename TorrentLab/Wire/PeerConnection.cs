using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

/// <summary>One connection to a peer speaking BEP 3: handshake done, then messages in both directions.</summary>
/// <remarks>
/// Open one with <c>ConnectAsync</c> (outgoing) or <c>AcceptAsync</c> (incoming), over TCP or any byte stream.
/// <list type="bullet">
/// <item>The transport is a byte stream: the TCP connection itself, RC4 over it after an MSE/PE handshake
/// (<see cref="MseHandshake"/>), or any other reliable stream (uTP).</item>
/// <item>One reader: <see cref="ReceiveAsync"/> must not be called concurrently with itself. The payload of the message
/// it returns (a <c>piece</c> block) is a slice of the receive buffer, valid until the next <c>ReceiveAsync</c>.</item>
/// <item>Any number of writers: the send methods are serialized internally and safe from several tasks.</item>
/// <item>Every failure of the peer (violation, close, timeout, socket error) is a <see cref="WireException"/> naming the
/// peer, and closes the connection; cancelling through a token throws <see cref="OperationCanceledException"/>.</item>
/// </list>
/// Both sides start choked and not interested (BEP 3: "Connections start out choked and not interested").
/// </remarks>
internal sealed partial class PeerConnection : IAsyncDisposable, IDisposable
{
    private readonly Stream _transport;
    private readonly ReceiveBuffer _received;   // what the peer sent that is not parsed yet (PeerConnection.Receive.cs)
    private readonly ConnectionWriter _writer;  // our messages out, one send at a time (PeerConnection.Send.cs)
    private readonly ConnectionTimer _timer;    // keep-alives and the idle timeout
    private readonly AnnouncedPieces _announced; // what the peer says it has (PeerConnection.Receive.cs)
    private PeerConnectionOptions _options;   // a session's listener swaps in the torrent's own at the handshake
    private Action<WireTraceEvent>? _trace;

    private volatile bool _amChoking = true, _amInterested, _peerChoking = true, _peerInterested;
    private volatile bool _disposed;
    private volatile WireException? _failure;
    private int _pieceCount = -1;

    private PeerConnection(Stream transport, IPEndPoint remote, PeerConnectionOptions options, ConnectionEncryption encryption,
        ReadOnlySpan<byte> received, string transportName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.PieceCount ?? 0, nameof(options.PieceCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBlockLength, 1, nameof(options.MaxBlockLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxBlockLength, WireLimits.MaxMessageLength - WireLimits.PieceHeader, nameof(options.MaxBlockLength));
        _transport = transport;
        _options = options;
        _timer = new ConnectionTimer(this);
        _writer = new ConnectionWriter(this, transport, _timer);
        _announced = new AnnouncedPieces(this);
        Encryption = encryption;
        Transport = transportName;
        _trace = options.Trace;
        RemoteEndPoint = remote;
        _maxBlockLength = options.MaxBlockLength;
        _received = new ReceiveBuffer(received);
        if (options.PieceCount is int pieces) SetPieceCount(pieces);
    }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>How this connection's bytes travel: plain BEP 3, or after an MSE/PE handshake (plaintext or RC4).</summary>
    public ConnectionEncryption Encryption { get; }

    /// <summary>What carries the bytes underneath: <c>tcp</c>, <c>utp</c>, or <c>stream</c> for any other stream.</summary>
    public string Transport { get; }

    /// <summary>The handshake the peer sent (its peer id, reserved bits and the info hash).</summary>
    public Handshake RemoteHandshake { get; private set; } = null!;

    /// <summary>The peer's 20-byte id from its handshake.</summary>
    public PeerId RemotePeerId => RemoteHandshake.PeerId;

    /// <summary>The torrent this connection is about.</summary>
    public InfoHash InfoHash => RemoteHandshake.InfoHash;

    /// <summary>The peer set BEP 10's extension bit in its handshake.</summary>
    public bool SupportsExtensions => RemoteHandshake.SupportsExtensions;

    /// <summary>Both handshakes carried BEP 6's fast extension bit: have all/none, reject, allowed fast and suggest may
    /// be sent, and every request gets exactly one answer (a piece or a reject).</summary>
    public bool FastAgreed => _options.AdvertiseFast && RemoteHandshake.SupportsFast;

    /// <summary>Both handshakes carried BEP 10's extension bit (we advertised it and the peer did): only then may
    /// extended messages be sent.</summary>
    public bool ExtensionsAgreed => _options.AdvertiseExtensions && SupportsExtensions;

    /// <summary>We are choking the peer (we will not serve its requests). Changed by sending choke/unchoke.</summary>
    public bool AmChoking => _amChoking;

    /// <summary>We told the peer we want something it has. Changed by sending interested/not interested.</summary>
    public bool AmInterested => _amInterested;

    /// <summary>The peer is choking us: requests are pointless until it unchokes. Changed by receiving choke/unchoke.</summary>
    public bool PeerChoking => _peerChoking;

    /// <summary>The peer wants something we have. Changed by receiving interested/not interested.</summary>
    public bool PeerInterested => _peerInterested;

    /// <summary>The torrent's piece count, or null while unknown.</summary>
    public int? PieceCount => _pieceCount < 0 ? null : _pieceCount;

    /// <summary>The pieces the peer announced (its bitfield plus every have); null while the piece count is unknown.
    /// Updated only by <see cref="ReceiveAsync"/>; read it from the reader's task.</summary>
    public Bitfield? PeerPieces => _announced.Pieces;

    /// <summary>Bytes sent on this connection (handshake included).</summary>
    public long BytesSent => _writer.BytesSent;

    /// <summary>Writes that found the transport's send buffer full and waited for room: the peer (or the path to it)
    /// takes our bytes slower than we write them.</summary>
    public long WritesWaited => _writer.WritesWaited;

    /// <summary>Keep-alives received (they are not returned by <see cref="ReceiveAsync"/>).</summary>
    public long KeepAlivesReceived { get; private set; }

    /// <summary>BEP 5 <c>port</c> messages and unknown ids received and skipped.</summary>
    public long MessagesIgnored { get; private set; }

    /// <summary>Gives the piece count once known (after BEP 9 metadata); validates any bitfield and haves received before.</summary>
    /// <exception cref="InvalidOperationException">A different piece count was already set.</exception>
    /// <exception cref="WireException">What the peer announced earlier does not fit <paramref name="pieceCount"/>.</exception>
    public void SetPieceCount(int pieceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        if (_pieceCount >= 0)
        {
            if (_pieceCount != pieceCount) throw new InvalidOperationException($"the piece count is already {_pieceCount}, cannot change it to {pieceCount}");
            return;
        }
        try { _announced.SetPieceCount(pieceCount); }
        catch (WireException e) { throw Fail(e); }   // it names the peer
        Volatile.Write(ref _pieceCount, pieceCount);
        // Before the handshake completes the buffer stays a handshake's worth (ReceiveBuffer.AfterHandshake sizes it from
        // the pool after, and TryFillAsync grows it for any longer frame): a connection that ends at or just after its
        // handshake (a swarm at its connection limit refuses most dials then) allocates no frame-sized buffer of its own.
        if (RemoteHandshake is not null) _received.EnsureCapacity(WireLimits.MaxFrameLength(_maxBlockLength, pieceCount));
    }

    /// <summary>Closes the connection (a pending receive or send fails).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _timer.Stop();
        _transport.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"peer {RemoteEndPoint}";

    /// <summary>The options in force: the listener's until an incoming handshake names its torrent, then the torrent's.</summary>
    internal PeerConnectionOptions Options => _options;

    /// <summary>The keep-alive and idle timer (a test on a manual clock reads its state).</summary>
    internal ConnectionTimer Timer => _timer;

    /// <summary>The connection was closed (by us, a failure, or the idle timeout).</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>The failure that closed the connection, if one did; every later receive and send reports it again.</summary>
    internal WireException? Failure => _failure;

    /// <summary>Records a violation or failure, closes the socket and returns the exception to throw.</summary>
    internal WireException Fail(WireException failure)
    {
        _failure ??= failure;
        Dispose();
        return failure;
    }

    /// <summary>A <see cref="WireException"/> that names this peer: <c>peer 127.0.0.1:6881: what</c>.</summary>
    internal WireException PeerError(string what, Exception? inner = null, bool violation = true) =>
        new($"peer {RemoteEndPoint}: {what}", inner, violation);

    private void Trace(WireDirection direction, in PeerMessage message, ReadOnlySpan<byte> wire) =>
        _trace?.Invoke(WireTraceEvent.For(RemoteEndPoint, direction, message, wire));
}
