using System.Threading.Channels;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>The upload side of one swarm peer: the requests it queues with us, our choke decision and allowed fast set,
/// and the sender task that carries our blocks and every message but our requests.</summary>
/// <remarks>Its lock (<see cref="_sendLock"/>, the peer's send lock) guards the control queue, the upload queue, the
/// choke decision, the allowed fast set and the unchoke bookkeeping; they are touched only here, and only under it (the
/// members named <c>...Locked</c> are called with it held). The receive loop hands it requests and cancels; the swarm
/// and the peer's other parts queue messages with <see cref="Enqueue"/>.</remarks>
internal sealed partial class PeerUpload
{
    /// <summary>Requests a peer may queue with us: libtorrent 2.0's <c>max_allowed_in_request_queue</c>, which it also
    /// advertises as <c>reqq</c>. A request beyond it is refused (BEP 6 reject, or dropped without the fast extension), as
    /// libtorrent does: a deep queue from an honest client on a fast link is no attack (rtorrent queued more than 500
    /// with us on a 512 MiB torrent, and was banned when this was 500).</summary>
    public const int MaxQueuedRequests = Extensions.ExtensionIds.RequestQueue;

    /// <summary>Requests refused for a full queue since a block last left for the peer: a peer that keeps asking while
    /// nothing leaves does not read what we send (a flood), and is dropped after <see cref="MaxQueuedRequests"/> more.</summary>
    private int _beyondQueue;

    /// <summary>Our own messages that may wait unsent while the peer keeps asking for more answers (hashes, metadata).</summary>
    private const int MaxUnsentAnswers = 500;

    /// <summary>Requests tolerated while choked: those in flight when we choked, plus this many.</summary>
    private const int ChokedRequestTolerance = 16;

    /// <summary>After a choke, requests keep arriving for about a round trip; they are dropped but not counted.</summary>
    private static readonly TimeSpan ChokeGrace = TimeSpan.FromSeconds(2);

    private readonly SwarmPeer _peer;
    private readonly ISwarmHost _swarm;
    private readonly SwarmParts _parts;
    private readonly PeerConnection _connection;
    private readonly TimeProvider _time; // the swarm's clock
    private readonly Lock _sendLock = new();
    private readonly Queue<PeerMessage> _control = new();
    private readonly UploadQueue _uploads;
    private readonly Func<int, bool> _mayServe; // MayServe, made once
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Under _sendLock; the timestamps are the swarm's clock's.
    private bool _choking = true;          // our decision (the connection's AmChoking changes when the message is sent)
    private long _chokedAt;                // our last choke after an unchoke; 0: never
    private int _requestsWhileChoked;
    private HashSet<int> _offeredFast = []; // the allowed fast set we sent it
    private long _unchokedAt;              // our last unchoke; 0 while choking
    private long _lastRequestAt;           // its last request
    private bool _ignoredUnchoke;          // unchoked, interested, and asked for nothing

    public PeerUpload(SwarmPeer peer, ISwarmHost swarm, SwarmParts parts)
    {
        _peer = peer;
        _swarm = swarm;
        _parts = parts;
        _connection = peer.Connection;
        _time = parts.Time;
        _uploads = new UploadQueue(peer);
        _mayServe = MayServe;
    }

    /// <summary>Our decision to choke it (true) or serve it (false); sent by the sender task.</summary>
    public bool Choking { get { lock (_sendLock) return _choking; } }

    /// <summary>Chokes or unchokes it (BEP 3). Choking drops its queued requests, as the peer expects.</summary>
    public void SetChoking(bool choke)
    {
        lock (_sendLock)
        {
            if (_choking == choke) return;
            _choking = choke;
            NoteChokingLocked(choke);
            if (choke)
            {
                _chokedAt = _time.GetTimestamp();
                _requestsWhileChoked = 0;
                DropQueuedOnChokeLocked(); // BEP 6: rejects (below)
                _parts.FirstCopy.Rule?.Choked(_peer);
            }
            _control.Enqueue(choke ? PeerMessage.Choke : PeerMessage.Unchoke);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>True for a piece whose requests may be served now: it is unchoked, or the piece is in its allowed fast
    /// set (under _sendLock).</summary>
    private bool MayServe(int index) => !_choking || AllowedWhileChoked(index);

    /// <summary>Queues a control message (have, cancel) for the sender task.</summary>
    public void Enqueue(PeerMessage message)
    {
        lock (_sendLock) _control.Enqueue(message);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Queues the answer to one of the peer's requests, unless our earlier messages still wait unsent: each
    /// answer may be 16 KiB, so a peer that asks without reading must not grow our queue without bound.</summary>
    /// <exception cref="PeerViolation">The peer keeps asking while <see cref="MaxUnsentAnswers"/> messages wait (a flood).</exception>
    public void EnqueueAnswer(PeerMessage answer, string asked)
    {
        int queued;
        lock (_sendLock) queued = _control.Count;
        if (queued >= MaxUnsentAnswers) throw new PeerViolation($"sent {asked} requests while {queued} of our messages were still unsent (flood)");
        Enqueue(answer);
    }

    /// <summary>Its requests queued with us, not yet answered.</summary>
    public int Queued { get { lock (_sendLock) return _uploads.Count; } }

    /// <summary>A <c>request</c>: checked, then queued for the sender. Throws <see cref="PeerViolation"/> to drop the peer.</summary>
    public void OnRequest(in PeerMessage request)
    {
        var pieceLength = _parts.Torrent.GetPieceLength(request.Index);
        switch (WireLimits.CheckRequest(request, pieceLength))
        {
            case RequestFault.TooLong:
                throw new PeerViolation($"requested {request.Length} bytes (index={request.Index} begin={request.Begin}); the limit is {WireLimits.BlockLength}");
            case RequestFault.PastPieceEnd:
                throw new PeerViolation($"requested bytes {request.Begin}..{(long)request.Begin + request.Length} of piece {request.Index}, which has {pieceLength}");
        }
        // A request for a piece it claims to have: a progress liar (ProgressClaims.cs).
        if (_connection.PeerPieces is { } claimed && claimed[request.Index] && _peer.Claims.RequestedClaimed(request.Index) is { } lie)
            throw new PeerViolation(lie);
        if (!_swarm.CanServe(request.Index))
            throw new PeerViolation($"requested piece {request.Index}, which we never announced");
        if (!_parts.SuperSeed.MayRequest(_peer, request.Index))
        {
            // BEP 16: until a piece is revealed to it, "the client will not have access to any of the other pieces of
            // the seed". Not a violation (we do have the piece, and a peer may guess): refused like a choked request.
            lock (_sendLock) RejectLocked(new BlockRequest(request.Index, request.Begin, request.Length));
            _wake.Writer.TryWrite(true);
            return;
        }
        lock (_sendLock)
        {
            NoteRequestLocked();
            if (_choking && !AllowedWhileChoked(request.Index))
            {
                RejectLocked(new BlockRequest(request.Index, request.Begin, request.Length)); // BEP 6; silence without it
                // BEP 3: while choked "no data will be sent"; requests in flight at the choke are dropped quietly, but a
                // peer that keeps asking is ignoring the choke.
                if (_chokedAt != 0 && _time.GetElapsedTime(_chokedAt) < ChokeGrace) return;
                if (++_requestsWhileChoked > ChokedRequestTolerance)
                    throw new PeerViolation($"sent {_requestsWhileChoked} requests while choked");
                return;
            }
            if (_uploads.Count >= MaxQueuedRequests)
            {
                if (++_beyondQueue > MaxQueuedRequests)
                    throw new PeerViolation($"queued more than {MaxQueuedRequests} requests, then asked {_beyondQueue - 1} more while none was served (flood)");
                RejectLocked(new BlockRequest(request.Index, request.Begin, request.Length)); // BEP 6; dropped without it
                _wake.Writer.TryWrite(true);
                return;
            }
            _uploads.Add(new BlockRequest(request.Index, request.Begin, request.Length));
        }
        _parts.FirstCopy.Asked(_peer, request.Index); // outside the lock: it may queue a suggestion for us
        _wake.Writer.TryWrite(true);
    }

    /// <summary>A <c>cancel</c>: forget the matching queued request, if it is still queued.</summary>
    public void OnCancel(in PeerMessage cancel)
    {
        var target = new BlockRequest(cancel.Index, cancel.Begin, cancel.Length);
        lock (_sendLock)
        {
            // BEP 6: a cancelled request still gets its one answer, here a reject.
            if (_uploads.Remove(target)) RejectLocked(target);
        }
        _wake.Writer.TryWrite(true);
    }

    // BEP 6, the fast extension, when both handshakes set its bit: the allowed fast set is served while choked, and
    // every request gets exactly one answer (a piece or a reject). The peer's half: SwarmPeer.Fast.cs.

    /// <summary>Sends it our allowed fast set (BEP 6's canonical set for its address), limited to pieces we can serve;
    /// requests for them are served even while we choke it. Call after the bitfield.</summary>
    public void OfferAllowedFast()
    {
        if (!_connection.FastAgreed) return;
        var offered = new HashSet<int>();
        foreach (var index in AllowedFastSet.Generate(_connection.RemoteEndPoint.Address, _parts.Torrent.InfoHash, _parts.Pieces.PieceCount))
            if (_swarm.CanServe(index) && offered.Add(index)) Enqueue(PeerMessage.AllowedFast(index));
        lock (_sendLock) _offeredFast = offered;
    }

    /// <summary>True when a request for piece <paramref name="index"/> is served even while we choke it (under _sendLock).</summary>
    private bool AllowedWhileChoked(int index) => _offeredFast.Contains(index);

    /// <summary>A request we will not serve: BEP 6 answers it with a reject; without the fast extension it is dropped
    /// silently, as BEP 3 does (under _sendLock).</summary>
    private void RejectLocked(BlockRequest request)
    {
        // BEP 6: "every request is guaranteed to result in EXACTLY ONE response which is either the corresponding reject
        // or corresponding piece message."
        if (_connection.FastAgreed) _control.Enqueue(PeerMessage.Reject(request.Index, request.Begin, request.Length));
    }

    /// <summary>On choking it: queued requests are dropped (BEP 3) or, with BEP 6, rejected one by one, except those
    /// for its allowed fast pieces, which are still served (under _sendLock).</summary>
    private void DropQueuedOnChokeLocked()
    {
        _uploads.RemoveAll(request => !AllowedWhileChoked(request.Index), RejectLocked);
    }

    // How useful the connection is (SwarmPeer.Usefulness.cs): whether the peer ignores an unchoke, so the choker does
    // not keep an upload slot for a peer that says "interested" but asks for nothing while another peer waits for one.

    /// <summary>How long we have kept it unchoked; null while it is choked.</summary>
    public TimeSpan? UnchokedFor
    {
        get { lock (_sendLock) return _choking || _unchokedAt == 0 ? null : _time.GetElapsedTime(_unchokedAt); }
    }

    /// <summary>True when we unchoked it at least <paramref name="after"/> ago and it has not sent a request since; it
    /// stays marked (even once choked again) until it sends one, so the choker tries others first.</summary>
    public bool IgnoredUnchoke(TimeSpan after)
    {
        lock (_sendLock)
        {
            if (!_choking && _unchokedAt != 0 && _time.GetElapsedTime(_unchokedAt) >= after
                && _lastRequestAt < _unchokedAt)
                _ignoredUnchoke = true;
            return _ignoredUnchoke;
        }
    }

    /// <summary>Called under the send lock when the choke decision changes.</summary>
    private void NoteChokingLocked(bool choke) => _unchokedAt = choke ? 0 : _time.GetTimestamp();

    /// <summary>Called under the send lock for each request it sends.</summary>
    private void NoteRequestLocked()
    {
        _lastRequestAt = _time.GetTimestamp();
        _ignoredUnchoke = false;
    }
}
