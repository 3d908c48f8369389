using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Session;

/// <summary>The single-peer reference download: the whole of BEP 3 as one story, read top to bottom.</summary>
/// <remarks>
/// announce -> connect to one peer -> handshake -> bitfield/have -> interested -> wait for unchoke -> request blocks
/// -> verify -> store -> ledger -> completed announce -> stopped. When a peer fails, the story moves on to the next
/// peer the tracker gave. It downloads from one peer at a time and uploads nothing: the swarm engine
/// (<c>Swarm/SwarmDownload.cs</c>) is the production path and reuses the same Wire, Pieces and Storage parts.
/// </remarks>
public static class ReferenceDownload
{
    /// <summary>Downloads the whole torrent into <see cref="DownloadOptions.OutputDirectory"/>, resuming if it can.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ledger was saved first.</exception>
    public static async Task<DownloadResult> RunAsync(Torrent torrent, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        // 1. What do we have already? The resume ledger when it matches, else a hash check of files on disk.
        var ledger = new ResumeLedger(torrent, options.OutputDirectory);
        var ownership = FileOwnership.Read(torrent, options.OutputDirectory); // which files are ours, before --no-resume
        var have = await StartingPiecesAsync(torrent, options, ledger, ct).ConfigureAwait(false);
        var fromResume = have.Count;

        // 2. Lay out the files (folders, empty files, sparse preallocation). Paths never leave the output folder, and
        //    a file we did not write is touched only if its pieces verify (or the user said --overwrite).
        await ownership.CheckAsync(options.Resume ? have : null, options.Overwrite, ct).ConfigureAwait(false);
        using var storage = options.OpenStorage?.Invoke(torrent, options.OutputDirectory)
            ?? FileStorage.Open(torrent, options.OutputDirectory, ownership: ownership);

        // 3. Download, writing each verified piece; the ledger lists only pieces that reached the disk.
        var written = Bitfield.FromWire(have.ToBytes(), torrent.PieceCount);
        Bitfield Written() { lock (written) return Bitfield.FromWire(written.ToBytes(), torrent.PieceCount); }
        var saver = new ResumeSaver(ledger, storage, Written, options.LedgerInterval);
        DownloadResult result;
        try
        {
            await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false); // records the files as ours at once
            result = await DownloadAsync(torrent, have, options, async (piece, token) =>
            {
                await storage.WritePieceAsync(piece.Index, piece.Data, token).ConfigureAwait(false);
                lock (written) written.Set(piece.Index);
            }, progress, ct).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Save what reached the disk, but report the failure that stopped us (a full disk fails the save too).
            try { await saver.DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is StorageException or IOException) { options.Log?.Invoke($"resume ledger not saved: {e.Message}"); }
            throw;
        }
        await saver.DisposeAsync().ConfigureAwait(false); // the final save; throws if it cannot be written
        return result with { PiecesFromResume = fromResume };
    }

    /// <summary>Downloads one piece from the swarm and returns its verified bytes (the classroom's
    /// <c>download_piece</c>); nothing is written to disk.</summary>
    public static async Task<byte[]> DownloadPieceAsync(Torrent torrent, int index, DownloadOptions options, CancellationToken ct = default)
    {
        if ((uint)index >= (uint)torrent.PieceCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{torrent.PieceCount - 1}");
        // Pretend we have every other piece, so the piece manager asks only for this one.
        var have = Bitfield.Full(torrent.PieceCount);
        have.Clear(index);
        byte[]? bytes = null;
        await DownloadAsync(torrent, have, options, (piece, _) =>
        {
            bytes = piece.Data.ToArray();
            return ValueTask.CompletedTask;
        }, progress: null, ct).ConfigureAwait(false);
        return bytes ?? throw new DownloadFailedException($"piece {index} was not received");
    }

    private static async Task<Bitfield> StartingPiecesAsync(Torrent torrent, DownloadOptions options, ResumeLedger ledger, CancellationToken ct)
    {
        if (!options.Resume)
        {
            // --no-resume: forget the ledger and fetch everything again.
            ledger.Delete();
            return new Bitfield(torrent.PieceCount);
        }
        var check = ledger.Validate();
        if (check.IsTrusted)
        {
            options.Log?.Invoke($"resume: {check.Trusted!.Count}/{torrent.PieceCount} pieces from the ledger");
            return check.Trusted!;
        }
        var anyFile = torrent.Files.Any(f => !f.IsPadding && File.Exists(Path.Combine(options.OutputDirectory, f.RelativePath)));
        if (!anyFile) return new Bitfield(torrent.PieceCount);
        options.Log?.Invoke($"resume: {check.Reason}; checking the files on disk");
        return await PieceVerifier.VerifyAsync(torrent, options.OutputDirectory, cancellation: ct).ConfigureAwait(false);
    }

    /// <summary>The story proper: ask the tracker for peers, then take them one at a time until every piece is in.</summary>
    private static async Task<DownloadResult> DownloadAsync(Torrent torrent, Bitfield have, DownloadOptions options,
        Func<VerifiedPiece, CancellationToken, ValueTask> store, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var pieces = new PieceManager(torrent, have, new PieceManagerOptions
        {
            MaxRequestsPerPeer = options.RequestsPerPeer,
            Picker = new SequentialPicker(), // one peer: in order is simplest to follow, and as fast as any
        });
        var state = new StoryState(torrent, pieces, clock, progress);
        if (pieces.IsComplete) return state.Result();

        // announce: BEP 3 "started", telling the tracker how much is left. The reference path does not listen, but
        // the tracker needs a port; trackers and checkers expect the conventional 6881 here.
        using var tracker = new TrackerClient(options.Trackers ?? torrent.TrackerTiers);
        var candidates = options.ExtraPeers.Where(p => PeerAddressPolicy.MayDial(p, options.PeerScope)).ToList();
        string? trackerError = null;
        if (tracker.Tiers.Count > 0)
        {
            try
            {
                var answer = await tracker.AnnounceAsync(Announce(torrent, options, pieces, AnnounceEvent.Started), ct).ConfigureAwait(false);
                options.Log?.Invoke($"tracker: {answer.Peers.Count} peer(s), interval {answer.Interval.TotalSeconds:0} s");
                candidates.AddRange(answer.Peers.Where(p => !candidates.Contains(p)));
                candidates.RemoveAll(p => !PeerAddressPolicy.MayDial(p, options.PeerScope)); // never 0.0.0.0, broadcast, ...
            }
            catch (TrackerException e) when (candidates.Count > 0)
            {
                trackerError = e.Message;
                options.Log?.Invoke($"tracker failed ({e.Message}); trying the {candidates.Count} peer(s) given");
            }
        }

        // One peer at a time, in the order the tracker gave them; a failing peer hands over to the next.
        foreach (var endpoint in candidates)
        {
            if (pieces.IsComplete) break;
            try
            {
                await DownloadFromPeerAsync(endpoint, torrent, options, pieces, store, state, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not (StorageException or DownloadFailedException))
            {
                // Every failure has a reason: the protocol's own, a stall, or (never expected) a fault of ours with this peer.
                var reason = e switch
                {
                    OperationCanceledException => $"stalled: no unchoke or block for {options.IdleTimeout.TotalSeconds:0.#} s",
                    WireException or SocketException or IOException or TimeoutException => e.Message,
                    _ => $"internal error with this peer ({e.GetType().Name}: {e.Message})",
                };
                state.Failures.Add($"{endpoint}: {reason}");
                // A peer that broke the protocol is a bad peer; one that went away or stalled is merely gone.
                if (e is WireException { IsViolation: true }) state.BadPeers.Add(reason);
                options.Log?.Invoke($"dropped {endpoint}: {reason}");
            }
        }

        if (!pieces.IsComplete)
        {
            var missing = torrent.PieceCount - pieces.HaveCount;
            var tried = state.Failures.Count == 0 ? (trackerError ?? "the tracker listed no peers") : string.Join("; ", state.Failures);
            throw new DownloadFailedException($"no peer could deliver the missing {missing} of {torrent.PieceCount} pieces ({tried})");
        }

        // completed, then stopped: BEP 3 events, best effort (a dead tracker must not fail a finished download).
        await AnnounceQuietlyAsync(tracker, torrent, options, pieces, AnnounceEvent.Completed).ConfigureAwait(false);
        await AnnounceQuietlyAsync(tracker, torrent, options, pieces, AnnounceEvent.Stopped).ConfigureAwait(false);
        state.Report(null, force: true);
        return state.Result();
    }

    /// <summary>One peer, from handshake to the last block it can give us.</summary>
    private static async Task DownloadFromPeerAsync(IPEndPoint endpoint, Torrent torrent, DownloadOptions options,
        PieceManager pieces, Func<VerifiedPiece, CancellationToken, ValueTask> store, StoryState state, CancellationToken ct)
    {
        // connect + handshake: PeerConnection checks the protocol string and drops a peer whose info hash differs.
        await using var peer = await PeerConnection.ConnectAsync(endpoint, torrent.InfoHash, options.PeerId, new PeerConnectionOptions
        {
            PieceCount = torrent.PieceCount,
            ConnectTimeout = options.ConnectTimeout,
            HandshakeTimeout = options.HandshakeTimeout,
            IdleTimeout = options.IdleTimeout,
            Trace = options.Trace,
        }, ct).ConfigureAwait(false);
        options.Log?.Invoke($"connected to {endpoint} (peer id {peer.RemotePeerId.Hex})");
        state.CurrentPeer = endpoint.ToString();

        // Until its bitfield or a have arrives, the peer has nothing as far as we know.
        pieces.AddPeer(peer, new Bitfield(torrent.PieceCount));
        // A peer that neither unchokes us nor sends blocks for IdleTimeout is given up on (keep-alives don't count).
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(options.IdleTimeout);
        var unchokedOnce = false;
        try
        {
            // interested: BEP 3 "data transfer takes place whenever one side is interested and the other side is not choking".
            await peer.SendInterestedAsync(ct).ConfigureAwait(false);
            var requests = new BlockRequest[options.RequestsPerPeer];
            var batch = new PeerMessage[options.RequestsPerPeer];

            while (!pieces.IsComplete)
            {
                var message = await peer.ReceiveAsync(stall.Token).ConfigureAwait(false);
                // Handle this message and every other one already buffered, then top up the request pipeline once.
                do
                {
                    switch (message.Kind)
                    {
                        case MessageKind.Bitfield:
                            // bitfield: which pieces the peer has (the connection checked its length and spare bits).
                            foreach (var index in peer.PeerPieces!.SetIndexes()) pieces.PeerHas(peer, index);
                            break;
                        case MessageKind.Have:
                            pieces.PeerHas(peer, message.Index);
                            break;
                        case MessageKind.Unchoke:
                            // The first unchoke restarts the stall clock; later ones do not, or a peer toggling
                            // choke/unchoke without sending a block would hold the download forever.
                            if (!unchokedOnce) stall.CancelAfter(options.IdleTimeout);
                            unchokedOnce = true;
                            break;
                        case MessageKind.Choke:
                            // BEP 3: when choked, outstanding requests are dropped by the peer; hand them back.
                            pieces.ReleaseBlocks(peer);
                            break;
                        case MessageKind.Piece:
                            var outcome = pieces.OnBlockReceived(peer, message.Index, message.Begin, message.Payload.Span);
                            // Only a block we asked for is progress (and counts as received): a peer streaming
                            // unrequested blocks must still stall out, or it could hold the download forever.
                            if (outcome.Kind != BlockResultKind.Unrequested) state.Received.Add(message.Payload.Length);
                            if (outcome.Kind is BlockResultKind.Accepted or BlockResultKind.PieceVerified) stall.CancelAfter(options.IdleTimeout);
                            await HandleBlockAsync(outcome, endpoint, store, state, options, ct).ConfigureAwait(false);
                            break;
                        // interested, not interested, request, cancel: we upload nothing on this path, so the peer stays choked.
                    }
                } while (!pieces.IsComplete && peer.TryReceive(out message));

                if (peer.PeerPieces is not null && !pieces.IsInteresting(peer) && pieces.RequestsInFlight(peer) == 0)
                {
                    options.Log?.Invoke($"{endpoint} has none of the pieces we still need");
                    return;
                }
                if (!peer.PeerChoking) await RequestMoreAsync(peer, pieces, requests, batch, ct).ConfigureAwait(false);
                state.Report(peer.PeerChoking ? null : endpoint.ToString());
            }
        }
        finally
        {
            pieces.RemovePeer(peer); // its outstanding requests go back to the pool for the next peer
        }
    }

    /// <summary>request: keep the pipeline full, up to <see cref="DownloadOptions.RequestsPerPeer"/> blocks in flight.</summary>
    private static async ValueTask RequestMoreAsync(PeerConnection peer, PieceManager pieces, BlockRequest[] requests,
        PeerMessage[] batch, CancellationToken ct)
    {
        var count = pieces.FillRequests(peer, requests);
        if (count == 0) return;
        for (var i = 0; i < count; i++) batch[i] = PeerMessage.Request(requests[i].Index, requests[i].Begin, requests[i].Length);
        await peer.SendAsync(batch.AsMemory(0, count), ct).ConfigureAwait(false); // one write for the whole batch
    }

    /// <summary>verify -> store: a complete piece was hashed by the piece manager; write it, or drop a lying peer.</summary>
    private static async ValueTask HandleBlockAsync(BlockResult outcome, IPEndPoint endpoint,
        Func<VerifiedPiece, CancellationToken, ValueTask> store, StoryState state, DownloadOptions options, CancellationToken ct)
    {
        switch (outcome.Kind)
        {
            case BlockResultKind.PieceVerified:
                using (var piece = outcome.Piece!)
                    await store(piece, ct).ConfigureAwait(false);
                state.PeersUsed.Add(endpoint.ToString());
                break;
            case BlockResultKind.PieceFailed:
                // BEP 3: pieces are checked against their SHA-1 hash. One peer sent all of it, so that peer lied.
                // (The swarm engine is more forgiving: it bans only after repeated failures.)
                state.FailedPieces.Add(outcome.PieceIndex);
                throw new WireException($"peer {endpoint}: sent piece {outcome.PieceIndex} with data that fails its SHA-1 hash");
            case BlockResultKind.Unrequested:
            case BlockResultKind.Duplicate:
                options.Log?.Invoke($"{endpoint}: ignored a block we did not need (piece {outcome.PieceIndex})");
                break;
        }
    }

    private static AnnounceRequest Announce(Torrent torrent, DownloadOptions options, PieceManager pieces, AnnounceEvent e) =>
        new(torrent.InfoHash, options.PeerId, options.ListenPort == 0 ? 6881 : options.ListenPort,
            Uploaded: 0, Downloaded: pieces.DownloadedBytes, Left: pieces.RemainingBytes, Event: e);

    private static async Task AnnounceQuietlyAsync(TrackerClient tracker, Torrent torrent, DownloadOptions options,
        PieceManager pieces, AnnounceEvent e)
    {
        if (tracker.Tiers.Count == 0) return;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await tracker.AnnounceAsync(Announce(torrent, options, pieces, e), limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TrackerException or OperationCanceledException)
        {
            options.Log?.Invoke($"tracker: '{e.ToString().ToLowerInvariant()}' announce failed: {ex.Message}");
        }
    }

    /// <summary>What the story has done so far, and the progress reports made from it.</summary>
    private sealed class StoryState(Torrent torrent, PieceManager pieces, Stopwatch clock, IProgress<DownloadProgress>? progress)
    {
        private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);
        private TimeSpan? _lastReport;

        public RateMeter Received { get; } = new();
        public List<string> Failures { get; } = [];
        public List<string> BadPeers { get; } = [];
        public HashSet<string> PeersUsed { get; } = [];
        public string? CurrentPeer { get; set; }
        /// <summary>Pieces whose last copy failed its hash (shown on the piece map until a good copy arrives).</summary>
        public HashSet<int> FailedPieces { get; } = [];

        public void Report(string? peer, bool force = false)
        {
            if (progress is null || (!force && _lastReport is { } last && clock.Elapsed - last < ReportInterval)) return;
            _lastReport = clock.Elapsed;
            progress.Report(new DownloadProgress(pieces.HaveCount, torrent.PieceCount, pieces.HaveBytes, torrent.TotalLength,
                Received.BytesPerSecond, 0, peer is null ? 0 : 1, peer ?? CurrentPeer, clock.Elapsed)
            {
                BadPeers = BadPeers.Count,
                // The piece map: verified from the have bitfield, requested = being assembled, failed = last copy was bad.
                Pieces = PieceStates.From(pieces.SnapshotHave(), pieces.SnapshotInProgress(), FailedPieces),
            });
        }

        public DownloadResult Result() =>
            new(Received.Total, 0, 0, PeersUsed.ToArray(), BadPeers.ToArray(), clock.Elapsed);
    }
}
