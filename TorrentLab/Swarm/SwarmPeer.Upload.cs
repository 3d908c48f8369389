using System.Buffers;
using System.Threading.Channels;
using TorrentLab.Extensions;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Serving the peer: its requests, our choke decisions, and the sender task that also carries have and cancel.
internal sealed partial class SwarmPeer
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

    private const int BlocksPerSend = 8; // at most 128 KiB per batched send: few syscalls, bounded buffer per peer

    private readonly Lock _sendLock = new();
    private readonly Queue<PeerMessage> _control = new();
    private readonly UploadQueue _uploads;
    private readonly Func<int, bool> _mayServe; // MayServe, made once
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private byte[] _uploadBuffer;
    private bool _choking = true;          // our decision (the connection's AmChoking changes when the message is sent)
    private long _chokedAt;                 // timestamp of our last choke after an unchoke; 0: never
    private int _requestsWhileChoked;

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
                DropQueuedOnChokeLocked(); // BEP 6: rejects (SwarmPeer.Fast.cs)
                _swarm.FirstCopy?.Choked(this);
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

    /// <summary>A <c>request</c>: checked, then queued for the sender. Throws <see cref="PeerViolation"/> to drop the peer.</summary>
    private void OnRequest(in PeerMessage request)
    {
        var pieceLength = _swarm.Torrent.GetPieceLength(request.Index);
        switch (WireLimits.CheckRequest(request, pieceLength))
        {
            case RequestFault.TooLong:
                throw new PeerViolation($"requested {request.Length} bytes (index={request.Index} begin={request.Begin}); the limit is {WireLimits.BlockLength}");
            case RequestFault.PastPieceEnd:
                throw new PeerViolation($"requested bytes {request.Begin}..{(long)request.Begin + request.Length} of piece {request.Index}, which has {pieceLength}");
        }
        if (!_swarm.CanServe(request.Index))
            throw new PeerViolation($"requested piece {request.Index}, which we never announced");
        if (!_swarm.SuperSeed.MayRequest(this, request.Index))
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
        _swarm.FirstCopyAsked(this, request.Index); // outside the lock: it may queue a suggestion for us
        _wake.Writer.TryWrite(true);
    }

    /// <summary>A <c>cancel</c>: forget the matching queued request, if it is still queued.</summary>
    private void OnCancel(in PeerMessage cancel)
    {
        var target = new BlockRequest(cancel.Index, cancel.Begin, cancel.Length);
        lock (_sendLock)
        {
            // BEP 6: a cancelled request still gets its one answer, here a reject.
            if (_uploads.Remove(target)) RejectLocked(target);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>The sender task: control messages first, then up to <see cref="BlocksPerSendAt"/> blocks read from storage,
    /// in one batched send; repeats while work is queued. Its arrays and the blocks' buffer are rented for one drain of
    /// the queues and given back when it is empty: a connection with nothing to send holds none. It waits for work
    /// without <paramref name="ct"/>: when the peer's loops stop, <see cref="StopSender"/> ends the wait (no exception
    /// thrown and rethrown for each connection that ends); a send under way still stops with <paramref name="ct"/>.</summary>
    private async Task SendLoopAsync(CancellationToken ct)
    {
        while (await _wake.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            var batch = ArrayPool<PeerMessage>.Shared.Rent(64 + BlocksPerSend);
            var chosen = ArrayPool<BlockRequest>.Shared.Rent(BlocksPerSend);
            try
            {
                if (!await DrainAsync(batch, chosen, ct).ConfigureAwait(false)) return;
            }
            finally
            {
                Array.Clear(batch);   // the blocks' payloads point into the upload buffer
                ArrayPool<PeerMessage>.Shared.Return(batch);
                ArrayPool<BlockRequest>.Shared.Return(chosen);
                ReleaseUploadBuffer();
            }
        }
    }

    /// <summary>Blocks per send at <paramref name="rate"/> (bytes a second we upload to this peer): about half a second of
    /// it, one to <see cref="BlocksPerSend"/>. A slow uplink shared by several peers then writes a block at a time, so a
    /// peer it serves sees its first blocks in seconds (not after a 128 KiB batch) and our own requests on the
    /// connection do not wait behind a batch.</summary>
    internal static int BlocksPerSendAt(double rate) =>
        Math.Clamp((int)Math.Ceiling(rate * 0.5 / WireLimits.BlockLength), 1, BlocksPerSend);

    /// <summary>The sender's wait for work ends (it returns once what it was sending is done or cancelled).</summary>
    private void StopSender() => _wake.Writer.TryComplete();

    /// <summary>Sends what is queued until nothing is; false when the peer was dropped.</summary>
    private async ValueTask<bool> DrainAsync(PeerMessage[] batch, BlockRequest[] chosen, CancellationToken ct)
    {
        while (true)
        {
            var count = 0;
            var blocks = 0;
            var limit = _swarm.UploadLimit is { IsLimited: true } l ? l : null;
            var throttled = false;
            var notOurTurn = false;
            var waitsForSpare = false;
            var first = _swarm.FirstCopy is { Active: true } f ? f : null;
            // Turns under the upload limit (UploadTurns), except while a lone seed sends its first copy: that has an
            // order of its own across the peers (below), which a turn would override.
            var turns = limit is not null && first is null ? _swarm.Turns : null;
            // Paced by its connection (its last send waited for room): it takes beside the turns, a block at a time, as
            // its connection takes them; tokens taken for more would wait in its send buffer while the holder goes without.
            var paced = turns?.PacedByConnection(this) == true;
            lock (_sendLock)
            {
                while (count < 64 && _control.TryDequeue(out var control)) batch[count++] = control;
                var batchSize = paced ? 1 : BlocksPerSendAt(Up.BytesPerSecond);
                var allowed = 0;
                var taken = 0;
                var onlyNow = limit is not null; // under a limit, tokens taken as they come are for first copies only
                // A lone seed's first copy under an upload limit (FirstCopy): requests for first copies take the limit's
                // tokens as they come; the others (pieces another peer got, new pieces for a peer whose last ones have
                // not spread) take only tokens that would otherwise be lost (RateLimit.TryTakeSpare), so the limit goes
                // to first copies first and is never left unused. Without a limit there is nothing to share out: what
                // a peer asks goes as soon as its sender can write it, and holding a request back would only leave the
                // upload idle (issue 84: two downloaders that knew only our seed waited on each other for minutes).
                // Without a limit nothing needs counting: Take serves what may be served, up to a batch.
                var plan = limit is null || _uploads.Count == 0 ? default : _uploads.Plan(first, limited: true, _mayServe);
                if (limit is null) allowed = _uploads.Count == 0 ? 0 : batchSize;
                else if (plan.Now > 0 && turns is not null && !turns.TryClaim(this, limit.LowestRate, WireLimits.BlockLength))
                {
                    // Under the upload limit the peers take turns (UploadTurns): not ours yet.
                    notOurTurn = true;
                }
                else if (plan.Now > 0)
                {
                    // The upload limit: a block is sent only with tokens for it; the rest wait in the queue. A peer
                    // paced by its connection comes for a block only when its connection has room for one, and takes it
                    // on credit (the holder's next take waits a block longer): the holder, which comes the moment each
                    // block's tokens are there, would otherwise take them all.
                    var wanted = Math.Min(batchSize, plan.Now);
                    allowed = taken = limit.TryTakeOnCredit(wanted, WireLimits.BlockLength, credit: paced ? WireLimits.BlockLength : 0);
                    throttled = taken < wanted;
                }
                else if (plan.Later > 0)
                {
                    allowed = taken = limit.TryTakeSpare(Math.Min(batchSize, plan.Later), WireLimits.BlockLength);
                    waitsForSpare = taken == 0;
                    onlyNow = false;
                }
                if (allowed > 0) blocks = _uploads.Take(chosen, allowed, first, limited: limit is not null, onlyNow, _mayServe);
                for (var i = 0; i < blocks; i++)
                    batch[count++] = PeerMessage.Request(chosen[i].Index, chosen[i].Begin, chosen[i].Length); // placeholder
                if (taken > blocks) limit!.Refund((long)(taken - blocks) * WireLimits.BlockLength);
                if (blocks > 0)
                {
                    turns?.Took(this, blocks);
                    _beyondQueue = 0;
                }
            }
            if (count == 0 && notOurTurn)
            {
                await turns!.WaitAsync(this, ct).ConfigureAwait(false);
                continue;
            }
            if (count == 0 && throttled)
            {
                turns?.WaitsForTokens(this);
                await limit!.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (count == 0 && waitsForSpare)
            {
                // Requests wait behind first copies: look again once tokens go unused (or the first copy is out, or
                // the limit was lifted). The sender never sleeps on work it holds back.
                await limit!.WaitForSpareAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (count == 0)
            {
                turns?.Done(this); // nothing to send: the turn passes on
                return true;
            }
            if (blocks > 0)
            {
                var (read, error) = await ReadBlocksAsync(batch, count - blocks, blocks, ct).ConfigureAwait(false);
                if (error is not null)
                {
                    if (!ToldLost(error, limit, blocks - read)) return false;
                    count -= blocks - read;
                    blocks = read;
                    if (count == 0) continue;
                }
            }
            var writesWaited = Connection.WritesWaited;
            var sending = Connection.SendAsync(batch.AsMemory(0, count), ct);
            // A write of our blocks that waited for room: the peer's connection, not the limit, paces it, and its turn
            // passes on now (UploadTurns.Sent). Not known yet when the send waits for the download side's to finish.
            var waited = Connection.WritesWaited != writesWaited;
            if (blocks > 0 && (waited || sending.IsCompleted)) turns?.Sent(this, waited);
            await sending.ConfigureAwait(false);
            if (blocks > 0)
            {
                long bytes = 0;
                for (var i = count - blocks; i < count; i++) bytes += batch[i].Length;
                Up.Add(bytes);
                NoteExchange();
                _swarm.Progress.Transferred(received: 0, uploaded: bytes);
            }
        }
    }

    /// <summary>Replaces the request placeholders at batch[first..first+count) with <c>piece</c> messages read from
    /// disk. A block that cannot be read leaves the batch (the rest move up) and lands in <see cref="_unreadable"/>.</summary>
    /// <returns>How many blocks were read, and the first read error (null when all were).</returns>
    private async ValueTask<(int Read, Storage.StorageException? Error)> ReadBlocksAsync(PeerMessage[] batch, int first, int count, CancellationToken ct)
    {
        if (_uploadBuffer.Length == 0) _uploadBuffer = ArrayPool<byte>.Shared.Rent(BlocksPerSend * WireLimits.BlockLength);
        var read = 0;
        Storage.StorageException? error = null;
        for (var i = 0; i < count; i++)
        {
            var request = batch[first + i];
            var slot = _uploadBuffer.AsMemory(i * WireLimits.BlockLength, request.Length);
            try
            {
                await _swarm.Storage.ReadAsync(request.Index, request.Begin, slot, ct).ConfigureAwait(false);
            }
            catch (Storage.StorageException e)
            {
                error ??= e;
                _unreadable.Add(new BlockRequest(request.Index, request.Begin, request.Length));
                continue;
            }
            batch[first + read++] = PeerMessage.Piece(request.Index, request.Begin, slot);
        }
        return (read, error);
    }

    private readonly List<BlockRequest> _unreadable = [];
    private int _readFailures;

    /// <summary>Most blocks we fail to read for one peer before it is dropped.</summary>
    private const int MaxReadFailures = 256;

    /// <summary>After blocks could not be read (<see cref="_unreadable"/>): with a peer that speaks BEP 54, each of their
    /// pieces is announced lost (<c>lt_donthave</c>, as libtorrent does) and each request rejected (BEP 6), so it asks
    /// another peer and stays connected; otherwise, or past <see cref="MaxReadFailures"/>, the peer is dropped.</summary>
    /// <returns>False when the peer was dropped.</returns>
    private bool ToldLost(Storage.StorageException error, Downloads.RateLimit? limit, int failed)
    {
        limit?.Refund((long)failed * WireLimits.BlockLength);
        var lost = _unreadable.Select(r => r.Index).Distinct().ToList();
        var requests = _unreadable.ToList();
        _unreadable.Clear();
        _readFailures += failed;
        if (_extensions is null || !_extensions.TryGetTheirId(ExtensionRegistry.LtDonthave.Name, out var id) || _readFailures > MaxReadFailures)
        {
            Drop($"cannot serve it: {error.Message}", violation: false);
            return false;
        }
        lock (_sendLock)
        {
            foreach (var index in lost) _control.Enqueue(PeerMessage.Extended(id, DontHaveExtension.Encode(index)));
            foreach (var request in requests) RejectLocked(request);
        }
        _swarm.Log($"{Connection.RemoteEndPoint}: told it we lost piece(s) {string.Join(", ", lost)} (lt_donthave): {error.Message}");
        _wake.Writer.TryWrite(true);
        return true;
    }

    private void ReleaseUploadBuffer()
    {
        var buffer = _uploadBuffer;
        _uploadBuffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
