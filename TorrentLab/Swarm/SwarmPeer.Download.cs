using System.Buffers;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// Downloading from the peer: interest, the adaptive request pipeline, blocks, snubbing and skipped requests.
internal sealed partial class SwarmPeer
{
    /// <summary>Pipeline bounds: at least 4 requests in flight; at most 384 (6 MiB), the requests that the delivering
    /// peers share: a peer alone may use all of them, two get 192 each, three or more keep <see cref="SharedPipeline"/>
    /// each (128 blocks cover a 100 ms round trip at 20 MiB/s; why 384 for one: bench/README.md, "Decisions in the
    /// code").</summary>
    public const int MinPipeline = 4, MaxPipeline = 384, SharedPipeline = 128;

    /// <summary>Keep about this much of the peer's data in flight: enough to cover a round trip at its current rate.</summary>
    private const double PipelineSeconds = 1.0;

    /// <summary>Strikes (timer ticks with requests it skipped while answering later ones) before a peer is dropped,
    /// or skipped requests in all: either way it claims pieces it does not send.</summary>
    private const int MaxSkipStrikes = 3, MaxSkipped = 16;

    private long _lastBlockAt;        // timestamp of the last stored block (or of the unchoke)
    private int _pipelineCap = MaxPipeline; // halved each time it skips requests
    private int _skipStrikes, _skipped;
    private int _unrequested; // blocks it sent that nobody asked it for

    /// <summary>Unasked blocks tolerated before the peer is dropped: a late answer is accepted, so these are junk.</summary>
    private const int MaxUnrequested = 64;
    private readonly Dictionary<BlockRequest, long> _sentSeq = [];   // outstanding request -> order sent (under itself)
    private readonly HashSet<BlockRequest> _expired = [];            // timed out: a late answer must not count as in order
    private long _nextSeq, _newestAnswered = -1;
    private int _toppingUp, _topUpAgain; // 1 while a caller tops up; 1 when another asked meanwhile
    private int _waitingForTokens;    // 1 while a task waits for the download limit's tokens

    /// <summary>It stopped sending blocks while we had requests out: it keeps only one request until it delivers.</summary>
    public bool Snubbed { get; private set; }

    /// <summary>How many requests to keep in flight now: about a second of its recent rate, within bounds. The rate
    /// counts from the peer's first block after a silence (<see cref="Downloads.RateMeter"/>), not from the wait for its unchoke:
    /// a peer that serves in bursts (Transmission sends all it was asked every 500 ms) is held back by our pipeline,
    /// and a rate that averaged in six seconds of waiting grew it by a few requests a burst (12 MiB from Transmission took
    /// 18.7 s against libtorrent's 12.0).</summary>
    private int PipelineTarget() => Snubbed ? 1 : PipelineTarget(Down.BytesPerSecond, _parts.Progress.DeliveringPeers, _pipelineCap);

    /// <summary>The pipeline for a peer delivering <paramref name="bytesPerSecond"/> while
    /// <paramref name="deliveringPeers"/> deliver in all: about a second of its rate, at least 16 (a new peer gets a
    /// fair first round), at most its share of <see cref="MaxPipeline"/> and <paramref name="cap"/>.</summary>
    internal static int PipelineTarget(double bytesPerSecond, int deliveringPeers, int cap)
    {
        var target = (int)Math.Min(bytesPerSecond * PipelineSeconds / WireLimits.BlockLength, MaxPipeline);
        var most = Math.Min(cap, PipelineCap(deliveringPeers));
        return Math.Clamp(target, Math.Min(MinPipeline * 4, most), most);
    }

    /// <summary>A delivering peer's share of <see cref="MaxPipeline"/>: all of it alone, never under
    /// <see cref="SharedPipeline"/>.</summary>
    internal static int PipelineCap(int deliveringPeers) => Math.Max(SharedPipeline, MaxPipeline / Math.Max(1, deliveringPeers));

    /// <summary>Sends <c>interested</c> or <c>not interested</c> as our needs change, and tops up the pipeline with one
    /// batched send. Called from the receive loop after each drain, and by the swarm's timer for idle peers.</summary>
    /// <remarks>Two callers (the receive loop, a waiter for the download limit's tokens) may come at once: the second
    /// only asks the first to go round again. It used to return, and when the first had found no tokens just before
    /// they came, or had sent its requests just before a block arrived, nobody asked again until the timer: a download
    /// limit gave 66-86 % of itself (issue 39, finding 2). The holder lets go before it looks at the flag, so either
    /// it sees a late caller's flag or that caller finds the top-up free.</remarks>
    public async ValueTask TopUpAsync(CancellationToken ct)
    {
        Volatile.Write(ref _topUpAgain, 1);
        while (Volatile.Read(ref _topUpAgain) == 1 && Interlocked.Exchange(ref _toppingUp, 1) == 0)
        {
            try
            {
                Volatile.Write(ref _topUpAgain, 0);
                await TopUpOnceAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _toppingUp, 0);
            }
        }
    }

    /// <summary>One round of <see cref="TopUpAsync"/>, by one caller at a time.</summary>
    private async ValueTask TopUpOnceAsync(CancellationToken ct)
    {
        // Interested while there is something to ask of it: a peer whose every piece we want is being fetched from
        // others would hold one of its upload slots for nothing, while peers that could use it wait.
        var interesting = _swarm.Downloading && _pieces.CanAsk(this);
        if (interesting != Connection.AmInterested)
        {
            // BEP 3: interest tells the peer whether we would request if unchoked.
            await Connection.SendAsync(interesting ? PeerMessage.Interested : PeerMessage.NotInterested, ct).ConfigureAwait(false);
        }
        if (!interesting || Connection.PeerChoking) return;
        var target = PipelineTarget();
        var inFlight = _pieces.RequestsInFlight(this);
        // Top up only when a quarter of the pipeline is free: fewer, larger sends for the same throughput.
        if (inFlight > 0 && target - inFlight < Math.Max(1, target / 4)) return;
        var want = Math.Max(0, target - inFlight);
        var limit = _parts.DownloadLimit is { IsLimited: true } l ? l : null;
        if (limit is not null && want > 0)
        {
            // The download limit: a request is sent only with tokens for the block it asks for.
            want = limit.TryTake(want, WireLimits.BlockLength);
            if (want == 0)
            {
                WakeWhenTokens(limit);
                return;
            }
        }
        if (want == 0) return;
        // Arrays for one top-up, rented: a connection holds none between them (up to 384 requests, 20 KB).
        var fill = ArrayPool<BlockRequest>.Shared.Rent(want);
        var batch = ArrayPool<PeerMessage>.Shared.Rent(want);
        try
        {
            var count = _pieces.FillRequests(this, fill.AsSpan(0, want));
            limit?.Refund((long)(want - count) * WireLimits.BlockLength);
            if (count == 0) return;
            lock (_sentSeq)
            {
                for (var i = 0; i < count; i++)
                {
                    batch[i] = PeerMessage.Request(fill[i].Index, fill[i].Begin, fill[i].Length);
                    _sentSeq[fill[i]] = _nextSeq++;
                }
            }
            await Connection.SendAsync(batch.AsMemory(0, count), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<BlockRequest>.Shared.Return(fill);
            ArrayPool<PeerMessage>.Shared.Return(batch);   // requests only: no payloads to clear
        }
    }

    /// <summary>A <c>piece</c> message: hand the block to the piece manager and act on what became of it. Only a
    /// block we asked this peer for counts as received (and towards its rate, which ranks it for upload slots).</summary>
    private async ValueTask OnBlockAsync(PeerMessage message, CancellationToken ct)
    {
        var length = message.Payload.Length;
        lock (_sentSeq)
        {
            // Clients answer requests in the order sent; remember the newest one answered to spot skipped ones.
            var block = new BlockRequest(message.Index, message.Begin, length);
            if (_expired.Remove(block)) _sentSeq.Remove(block); // a late answer to a request we gave up on (and maybe re-sent)
            else if (_sentSeq.Remove(block, out var seq) && seq > _newestAnswered) _newestAnswered = seq;
        }
        var result = _pieces.TakeBlock(this, message.Index, message.Begin, message.Payload.Span);
        if (result.Kind == BlockResultKind.Unrequested)
        {
            // Late answers to withdrawn requests are accepted; a stream of blocks nobody asked for is an attack.
            if (++_unrequested > MaxUnrequested) throw new PeerViolation($"sent {_unrequested} blocks we never asked it for");
        }
        else
        {
            _parts.Progress.Transferred(received: length, uploaded: 0); // only what we asked for counts, and ranks the peer for upload slots
            Down.Add(length);
            NoteExchange();
        }
        // Duplicates are merely wasted; a block that counts is progress for this peer. What the block means for the
        // download is the swarm's, told in one call.
        if (result.Kind is BlockResultKind.Accepted or BlockResultKind.PieceComplete) StoredBlock();
        await _swarm.OnBlockAsync(this, result, new BlockRequest(message.Index, message.Begin, length), ct).ConfigureAwait(false);
    }

    private int _delivering; // 1 while the swarm counts it as delivering blocks

    /// <summary>Stops counting it as delivering when its last block is older than <paramref name="after"/>; true when
    /// it was counted until now (the caller tells the swarm, exactly once).</summary>
    public bool StopDelivering(TimeSpan after) =>
        Volatile.Read(ref _delivering) == 1 && _time.GetElapsedTime(Volatile.Read(ref _lastBlockAt)) >= after &&
        Interlocked.Exchange(ref _delivering, 0) == 1;

    /// <summary>Notes a block this peer delivered (it is delivering, and not snubbing us).</summary>
    private void StoredBlock()
    {
        Volatile.Write(ref _lastBlockAt, _time.GetTimestamp());
        if (Volatile.Read(ref _delivering) == 0 && Interlocked.Exchange(ref _delivering, 1) == 0) _parts.Progress.Delivering(started: true);
        Delivered = true;
        Snubbed = false;
    }

    /// <summary>Timer check: a peer that unchoked us, holds requests, and sent nothing for the snub timeout loses them.</summary>
    public bool CheckSnubbed(TimeSpan snubTimeout)
    {
        if (Snubbed || Connection.PeerChoking || _pieces.RequestsInFlight(this) == 0) return false;
        if (_time.GetElapsedTime(_lastBlockAt) < snubTimeout) return false;
        Snubbed = true;
        _pieces.ReleaseBlocks(this);
        ForgetRequests();
        return true;
    }

    /// <summary>Our requests to it were withdrawn (choke, snub, endgame cancel): forget their order.</summary>
    public void ForgetRequests(BlockRequest? one = null)
    {
        lock (_sentSeq)
        {
            if (one is { } request) _sentSeq.Remove(request);
            else
            {
                _sentSeq.Clear();
                _expired.Clear();
            }
        }
    }

    /// <summary>Some of its requests expired: each gets a <c>cancel</c>. One that was sent before a request it did
    /// answer was skipped: clients serve in order, so it claims a piece it will not send (or drops requests beyond a
    /// queue limit: its pipeline is halved). Returns true when it skipped too many to keep.</summary>
    public bool OnRequestsExpired(IReadOnlyList<BlockRequest> expired)
    {
        var skipped = 0;
        lock (_sentSeq)
        {
            foreach (var request in expired)
            {
                if (_sentSeq.Remove(request, out var seq) && seq < _newestAnswered) skipped++;
                if (_expired.Count < 4 * MaxPipeline) _expired.Add(request);
            }
        }
        foreach (var request in expired) Enqueue(PeerMessage.Cancel(request.Index, request.Begin, request.Length));
        if (skipped == 0) return false;
        _pipelineCap = Math.Max(MinPipeline, _pipelineCap / 2);
        _skipped += skipped;
        return ++_skipStrikes >= MaxSkipStrikes || _skipped >= MaxSkipped;
    }

    /// <summary>The download limit's bucket is empty: top up again once it has tokens (one waiter per peer).</summary>
    private void WakeWhenTokens(Downloads.RateLimit limit)
    {
        if (Interlocked.Exchange(ref _waitingForTokens, 1) == 1) return;
        _ = WaitThenPokeAsync();

        async Task WaitThenPokeAsync()
        {
            try { await limit.WaitAsync(_running).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            finally { Volatile.Write(ref _waitingForTokens, 0); }
            Poke();
        }
    }

    /// <summary>Tops up (or withdraws interest) from outside the receive loop: after blocks were put back, or when the
    /// download completed. Failures are left for the receive loop to report.</summary>
    public void Poke()
    {
        _ = PokeAsync();

        async Task PokeAsync()
        {
            try { await TopUpAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (WireException) { /* the receive loop sees the same failure and reports it */ }
            catch (InvalidOperationException) { /* the peer was removed from the piece manager meanwhile */ }
        }
    }
}
