using System.Buffers;
using TorrentLab.Extensions;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// The sender task: control messages first, then blocks read from storage, in batched sends, under the upload limit's
// tokens and turns when there is one.
internal sealed partial class PeerUpload
{
    private const int BlocksPerSend = 8; // at most 128 KiB per batched send: few syscalls, bounded buffer per peer

    private byte[] _uploadBuffer = [];

    /// <summary>The sender task: control messages first, then up to <see cref="BlocksPerSendAt"/> blocks read from storage,
    /// in one batched send; repeats while work is queued. Its arrays and the blocks' buffer are rented for one drain of
    /// the queues and given back when it is empty: a connection with nothing to send holds none. It waits for work
    /// without <paramref name="ct"/>: when the peer's loops stop, <see cref="StopSender"/> ends the wait (no exception
    /// thrown and rethrown for each connection that ends); a send under way still stops with <paramref name="ct"/>.</summary>
    public async Task SendLoopAsync(CancellationToken ct)
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
    public void StopSender() => _wake.Writer.TryComplete();

    /// <summary>Sends what is queued until nothing is; false when the peer was dropped.</summary>
    private async ValueTask<bool> DrainAsync(PeerMessage[] batch, BlockRequest[] chosen, CancellationToken ct)
    {
        while (true)
        {
            var count = 0;
            var blocks = 0;
            var limit = _parts.UploadLimit is { IsLimited: true } l ? l : null;
            var throttled = false;
            var notOurTurn = false;
            var waitsForSpare = false;
            var first = _parts.FirstCopy.Rule is { Active: true } f ? f : null;
            // Turns under the upload limit (UploadTurns), except while a lone seed sends its first copy: that has an
            // order of its own across the peers (below), which a turn would override.
            var turns = limit is not null && first is null ? _parts.Turns : null;
            // Paced by its connection (its last send waited for room): it takes beside the turns, a block at a time, as
            // its connection takes them; tokens taken for more would wait in its send buffer while the holder goes without.
            var paced = turns?.PacedByConnection(_peer) == true;
            lock (_sendLock)
            {
                var plan = limit is null || _uploads.Count == 0 ? default : _uploads.Plan(first, limited: true, _mayServe);
                // Only requests for pieces another peer got, which wait for spare tokens, while the peer could start a
                // piece nobody has: rejected once each (BEP 6), so it asks for such a piece (UploadQueue.RejectAgainOnce).
                if (plan is { Now: 0, Later: > 0 } && first is not null && _connection.FastAgreed
                    && _connection.PeerPieces is { } has && first.CouldStartNew(_peer, i => !has[i])
                    && _uploads.RejectAgainOnce(first, _mayServe, RejectLocked) > 0)
                    plan = _uploads.Plan(first, limited: true, _mayServe);
                while (count < 64 && _control.TryDequeue(out var control)) batch[count++] = control;
                var batchSize = paced ? 1 : BlocksPerSendAt(_peer.Up.BytesPerSecond);
                var allowed = 0;
                var taken = 0;
                var onlyNow = limit is not null; // under a limit, tokens taken as they come are for first copies only
                // A lone seed's first copy under an upload limit (FirstCopy): requests for first copies take the limit's
                // tokens as they come; the others (pieces another peer got, new pieces for a peer whose last ones have
                // not spread) take only tokens that would otherwise be lost (RateLimit.TryTakeSpare), so the limit goes
                // to first copies first and is never left unused. Without a limit there is nothing to share out: what
                // a peer asks goes as soon as its sender can write it, and holding a request back would only leave the
                // upload idle (issue 84: two downloaders that knew only our seed waited on each other for minutes).
                // Without a limit nothing needs counting: Take serves what may be served, up to a batch (the plan is
                // made above, before the control messages, as it may add rejects to them).
                if (limit is null) allowed = _uploads.Count == 0 ? 0 : batchSize;
                else if (plan.Now > 0 && turns is not null && !turns.TryClaim(_peer, limit.LowestRate, WireLimits.BlockLength))
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
                    turns?.Took(_peer, blocks);
                    _beyondQueue = 0;
                }
            }
            if (count == 0 && notOurTurn)
            {
                await turns!.WaitAsync(_peer, ct).ConfigureAwait(false);
                continue;
            }
            if (count == 0 && throttled)
            {
                turns?.WaitsForTokens(_peer);
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
                turns?.Done(_peer); // nothing to send: the turn passes on
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
            var writesWaited = _connection.WritesWaited;
            var sending = _connection.SendAsync(batch.AsMemory(0, count), ct);
            // A write of our blocks that waited for room: the peer's connection, not the limit, paces it, and its turn
            // passes on now (UploadTurns.Sent). Not known yet when the send waits for the download side's to finish.
            var waited = _connection.WritesWaited != writesWaited;
            if (blocks > 0 && (waited || sending.IsCompleted)) turns?.Sent(_peer, waited);
            await sending.ConfigureAwait(false);
            if (blocks > 0)
            {
                long bytes = 0;
                for (var i = count - blocks; i < count; i++) bytes += batch[i].Length;
                _peer.Up.Add(bytes);
                _peer.NoteExchange();
                _parts.Progress.Transferred(received: 0, uploaded: bytes);
                // Took more than its claims grew by (ProgressClaims.cs): dropped, so never served again, and banned.
                if (_peer.Claims.Sent(bytes) is { } lie) _peer.Drop(lie, violation: true);
            }
        }
    }

    /// <summary>Replaces the request placeholders at batch[first..first+count) with <c>piece</c> messages read from
    /// disk. Blocks that follow each other in one piece (as a peer usually asks) are read together, one read for the run:
    /// each read is a hop to another thread (RandomAccess on Unix), and a seed feeding fast peers on a busy machine lost a
    /// tenth of its speed waiting for eight of them per send. A block that cannot be read leaves the batch (the rest move
    /// up) and lands in <see cref="_unreadable"/>.</summary>
    /// <returns>How many blocks were read, and the first read error (null when all were).</returns>
    private async ValueTask<(int Read, Storage.StorageException? Error)> ReadBlocksAsync(PeerMessage[] batch, int first, int count, CancellationToken ct)
    {
        if (_uploadBuffer.Length == 0) _uploadBuffer = ArrayPool<byte>.Shared.Rent(BlocksPerSend * WireLimits.BlockLength);
        var read = 0;
        Storage.StorageException? error = null;
        for (var i = 0; i < count;)
        {
            var run = RunLength(batch, first + i, count - i);
            var start = batch[first + i];
            var bytes = (run - 1) * WireLimits.BlockLength + batch[first + i + run - 1].Length;
            try
            {
                await _parts.Storage.ReadAsync(start.Index, start.Begin, _uploadBuffer.AsMemory(i * WireLimits.BlockLength, bytes), ct).ConfigureAwait(false);
            }
            catch (Storage.StorageException) when (run > 1)
            {
                run = 1; // read again block by block below, so that only the blocks that cannot be read leave
                bytes = start.Length;
                try
                {
                    await _parts.Storage.ReadAsync(start.Index, start.Begin, _uploadBuffer.AsMemory(i * WireLimits.BlockLength, bytes), ct).ConfigureAwait(false);
                }
                catch (Storage.StorageException e)
                {
                    error ??= e;
                    _unreadable.Add(new BlockRequest(start.Index, start.Begin, start.Length));
                    i++;
                    continue;
                }
            }
            catch (Storage.StorageException e)
            {
                error ??= e;
                _unreadable.Add(new BlockRequest(start.Index, start.Begin, start.Length));
                i++;
                continue;
            }
            for (var k = 0; k < run; k++, i++)
            {
                var request = batch[first + i];
                batch[first + read++] = PeerMessage.Piece(request.Index, request.Begin, _uploadBuffer.AsMemory(i * WireLimits.BlockLength, request.Length));
            }
        }
        return (read, error);
    }

    /// <summary>How many of the <paramref name="count"/> requests from <paramref name="at"/> follow each other in one
    /// piece, each a whole block but the last (so they fill consecutive slots of the upload buffer): at least one.</summary>
    internal static int RunLength(PeerMessage[] requests, int at, int count)
    {
        var run = 1;
        while (run < count)
        {
            var previous = requests[at + run - 1];
            var next = requests[at + run];
            if (previous.Length != WireLimits.BlockLength || next.Index != previous.Index || next.Begin != previous.Begin + previous.Length) break;
            run++;
        }
        return run;
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
        if (_peer.Channel is not { } extensions || !extensions.TryGetTheirId(ExtensionRegistry.LtDonthave.Name, out var id) || _readFailures > MaxReadFailures)
        {
            _peer.Drop($"cannot serve it: {error.Message}", violation: false);
            return false;
        }
        lock (_sendLock)
        {
            foreach (var index in lost) _control.Enqueue(PeerMessage.Extended(id, DontHaveExtension.Encode(index)));
            foreach (var request in requests) RejectLocked(request);
        }
        _swarm.Log($"{_connection.RemoteEndPoint}: told it we lost piece(s) {string.Join(", ", lost)} (lt_donthave): {error.Message}");
        _wake.Writer.TryWrite(true);
        return true;
    }

    public void ReleaseUploadBuffer()
    {
        var buffer = _uploadBuffer;
        _uploadBuffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
