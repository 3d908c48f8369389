using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>One connected peer in the swarm: its message loop (what it sends us, in one switch), the requests we
/// pipeline to it (<c>SwarmPeer.Download.cs</c>) and the blocks we serve it (<see cref="PeerUpload"/>).</summary>
/// <remarks>Two tasks per peer: the receive loop, which also sends our requests (drain every buffered message, then
/// one batched send), and the sender (<see cref="PeerUpload"/>), which sends everything else (have, choke, unchoke,
/// cancel, blocks). The <see cref="PieceManager"/> knows the peer by this object (an <see cref="IBlockSource"/>).</remarks>
internal sealed partial class SwarmPeer : IBlockSource
{
    private readonly ISwarmHost _swarm; // what this peer tells its torrent's swarm, and the state it asks for
    private readonly SwarmParts _parts; // the swarm's parts it uses directly, handed over once
    private readonly PieceManager _pieces;
    private readonly TimeProvider _time; // the swarm's clock: the peer's time stamps (longs) are its timestamps
    private readonly PeerUpload _upload; // the blocks we serve it, our choke decision, and the sender task
    private int _peerHaveCount;
    private bool _countedAsSeed;

    public SwarmPeer(ISwarmHost swarm, SwarmParts parts, PeerConnection connection, bool outgoing)
    {
        _swarm = swarm;
        _parts = parts;
        _pieces = parts.Pieces;
        _time = parts.Time;
        Connection = connection;
        Outgoing = outgoing;
        Address = connection.RemoteEndPoint.ToString();
        Client = connection.RemotePeerId.Client;
        ConnectedAt = _time.GetUtcNow();
        _lastBlockAt = _lastExchange = _time.GetTimestamp();
        Down = new RateMeter(_time);
        Up = new RateMeter(_time);
        _upload = new PeerUpload(this, swarm, parts);
        Claims = parts.Rules.Watch();
    }

    /// <summary>What it claims to have against what it takes from us (<see cref="ProgressClaims"/>).</summary>
    public ProgressClaims Claims { get; }

    public PeerConnection Connection { get; }

    /// <summary>We dialled it (its address is in the peer book) rather than it dialling us.</summary>
    public bool Outgoing { get; }

    /// <summary>"127.0.0.1:6881": how logs and results name the peer.</summary>
    public string Address { get; }

    string IBlockSource.Name => Address;

    public string Client { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Payload it sent us and we sent it, recently (bytes per second).</summary>
    public RateMeter Down { get; }
    public RateMeter Up { get; }

    /// <summary>It has every piece (a seeder).</summary>
    public bool IsSeed => Volatile.Read(ref _peerHaveCount) == _pieces.PieceCount;

    /// <summary>Pieces it told us it has.</summary>
    public int PiecesHeld => Volatile.Read(ref _peerHaveCount);

    /// <summary>Its requests queued with us, not yet answered (the simulator's trace reads it).</summary>
    public int QueuedUploads => _upload.Queued;

    /// <inheritdoc cref="PeerUpload.Choking"/>
    public bool Choking => _upload.Choking;

    /// <inheritdoc cref="PeerUpload.SetChoking"/>
    public void SetChoking(bool choke) => _upload.SetChoking(choke);

    /// <inheritdoc cref="PeerUpload.Enqueue"/>
    public void Enqueue(PeerMessage message) => _upload.Enqueue(message);

    /// <summary>Sends it our allowed fast set (<see cref="PeerUpload.OfferAllowedFast"/>) once its first message says what it
    /// has (a bitfield, have all or have none), and only if it lacks a piece: a seed has no use for it, and a seed that
    /// meets us as a seed closes the connection with those messages unread, which resets it (as a kernel does) before
    /// its own have all reaches us, so we would never learn it is a seed and would dial it again.</summary>
    public void OfferAllowedFast() => _offerFast = true;

    private bool _offerFast;   // OfferAllowedFast was called and the peer's pieces are not known yet

    /// <summary>Our requests to it that have not arrived yet.</summary>
    public int RequestsOut => _pieces.RequestsInFlight(this);

    /// <summary>The connection ended while it still had requests of ours to answer.</summary>
    public bool LeftWithRequests { get; private set; }

    /// <summary>It sent at least one message after the handshake: the connection is established on both ends.</summary>
    public bool Spoke => _spoke;
    private volatile bool _spoke;

    /// <summary>We super-seed it (BEP 16): it was told we have nothing, and learns our pieces one at a time.</summary>
    public bool SuperSeeded { get; set; }

    /// <summary>It sent at least one block we stored.</summary>
    public bool Delivered { get; private set; }

    public override string ToString() => $"peer {Address}";

    /// <summary>The peer said what it has: our allowed fast set goes out now if one is owed and it lacks a piece.</summary>
    private void OfferAllowedFastIfLacking()
    {
        if (!_offerFast) return;
        _offerFast = false;
        if (!IsSeed) _upload.OfferAllowedFast();
    }

    /// <summary>Runs both tasks until the connection ends or <paramref name="ct"/> fires; never throws for peer failures
    /// (they are reported to the swarm with the reason).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _running = stop.Token;
        var sender = _upload.SendLoopAsync(stop.Token);
        string? reason = null;
        var violation = false;
        Exception? fatal = null;
        try
        {
            // The connection's end (closed, lost, idle) comes back as a value; a violation is thrown.
            if (await ReceiveLoopAsync(stop.Token).ConfigureAwait(false) is { } ended) (reason, violation) = Ended(ended);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            reason = _dropReason; // a local drop cancels us with the reason set
            violation = _dropViolation;
        }
        catch (WireException e)
        {
            (reason, violation) = Ended(e);
        }
        catch (Exception e) when (e is PeerViolation or Extensions.ExtensionException)
        {
            reason = e.Message;
            violation = true;
        }
        catch (StorageException e)
        {
            reason = e.Message;
            fatal = e;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never expected: a fault of ours with this peer. It ends this connection, with a reason, not the download.
            reason = $"internal error with this peer ({e.GetType().Name}: {e.Message})";
        }
        finally
        {
            _upload.StopSender();
            if (_parts.UploadLimit is { IsLimited: true }) _parts.Turns.Done(this); // gone: its turn passes on
            await stop.CancelAsync().ConfigureAwait(false);
            reason ??= ct.IsCancellationRequested ? "the download stopped" : "the connection closed"; // never ended without a reason
            _swarm.OnPeerEnded(this, reason, violation, fatal); // before the socket closes: a ban is on record when the peer sees it
            Connection.Dispose();
            try { await sender.ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or WireException) { /* the loop above reports why */ }
            _upload.ReleaseUploadBuffer();
        }
    }

    /// <summary>Why the connection ended: a local drop's reason when there was one, else the wire's (its line names
    /// the peer).</summary>
    private (string Reason, bool Violation) Ended(WireException e) =>
        (_dropReason ?? e.Reason, _dropReason is null ? e.IsViolation : _dropViolation);

    private CancellationToken _running; // fires when the peer's loops stop

    private volatile string? _dropReason;
    private volatile bool _dropViolation;

    /// <summary>Ends the connection from outside (ban, duplicate, seed meeting seed): the loops stop and the swarm
    /// hears <paramref name="reason"/>.</summary>
    public void Drop(string reason, bool violation)
    {
        _dropReason ??= reason;
        _dropViolation |= violation;
        Connection.Dispose();
    }

    /// <summary>The receive loop: every message the peer sends, in one switch (BEP 3's message table, our half), until
    /// the connection ends (the reason returned).</summary>
    private async Task<WireException?> ReceiveLoopAsync(CancellationToken ct)
    {
        _pieces.AddPeer(this, new Bitfield(_pieces.PieceCount));
        try
        {
            while (true)
            {
                var (ended, message) = await Connection.ReceiveOrEndAsync(ct).ConfigureAwait(false);
                if (ended is not null) return ended;
                _spoke = true;
                do
                {
                    switch (message.Kind)
                    {
                        case MessageKind.Choke:
                            OnChoke(); // BEP 3 forgets our requests, BEP 6 keeps them (SwarmPeer.Fast.cs)
                            break;
                        case MessageKind.Unchoke:
                            _lastBlockAt = _time.GetTimestamp(); // the snub clock starts now
                            break;
                        case MessageKind.Interested:
                        case MessageKind.NotInterested:
                            // BEP 21, once the peer wants our pieces: a peer that reads upload_only while it is not
                            // interested drops us as "uninteresting" (libtorrent does), though we may hold what it
                            // lacks and it has not weighed yet.
                            if (message.Kind == MessageKind.Interested && !_swarm.Downloading) AnnounceUploadOnly();
                            _swarm.OnPeerEvent(this, PeerEvent.InterestChanged);
                            break;
                        case MessageKind.Have:
                            if (_pieces.PeerHas(this, message.Index)) Interlocked.Increment(ref _peerHaveCount);
                            Claims.Claimed(Connection.PeerPieces!.Count);
                            _parts.FirstCopy.Rule?.PeerHas(this, message.Index);
                            if (SuperSeeded) _parts.SuperSeed.PeerHas(this, message.Index); // BEP 16: spreading?
                            break;
                        case MessageKind.Bitfield:
                        case MessageKind.HaveAll: // BEP 6: the whole bitfield in one message
                            foreach (var index in Connection.PeerPieces!.SetIndexes())
                            {
                                if (_pieces.PeerHas(this, index)) Interlocked.Increment(ref _peerHaveCount);
                                _parts.FirstCopy.Rule?.PeerHas(this, index);
                            }
                            Claims.Claimed(Connection.PeerPieces!.Count);
                            if (SuperSeeded) _parts.SuperSeed.PeerHad(this, Connection.PeerPieces!);
                            OfferAllowedFastIfLacking();
                            break;
                        case MessageKind.HaveNone:
                            OfferAllowedFastIfLacking();
                            break;
                        case MessageKind.Request:
                            _upload.OnRequest(message); // PeerUpload.cs
                            break;
                        case MessageKind.Cancel:
                            _upload.OnCancel(message);
                            break;
                        case MessageKind.Piece:
                            await OnBlockAsync(message, ct).ConfigureAwait(false);
                            break;
                        case MessageKind.Reject:
                            OnReject(message); // BEP 6 (SwarmPeer.Fast.cs)
                            break;
                        case MessageKind.Suggest:
                            if (_swarm.Downloading) _pieces.Suggest(this, message.Index); // BEP 6: tried first among new pieces
                            break;
                        case MessageKind.Extended:
                            OnExtended(message); // BEP 10: handshake, ut_metadata, ut_pex (SwarmPeer.Extensions.cs)
                            break;
                        case MessageKind.HashRequest:
                            OnHashRequest(message); // BEP 52 (SwarmPeer.Hashes.cs)
                            break;
                        case MessageKind.Hashes:
                            OnHashes(message);
                            break;
                        case MessageKind.HashReject:
                            OnHashReject(message);
                            break;
                    }
                } while (Connection.TryReceive(out message));
                if (IsSeed && !_countedAsSeed)
                {
                    _countedAsSeed = true;
                    _swarm.OnPeerEvent(this, PeerEvent.BecameSeed);
                }
                await TopUpAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            LeftWithRequests = _pieces.RequestsInFlight(this) > 0;
            _pieces.RemovePeer(this);
        }
    }
}

/// <summary>A peer broke a rule we enforce above the wire layer (flooding requests, asking for pieces we lack).</summary>
internal sealed class PeerViolation(string message) : Exception(message);
