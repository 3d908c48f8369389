using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Reference;

/// <summary>The single-peer reference download: the whole of BEP 3 as one story, read top to bottom.</summary>
/// <remarks>
/// announce -> connect to one peer -> handshake -> bitfield/have -> interested -> wait for unchoke -> request blocks
/// -> verify -> store -> ledger -> completed announce -> stopped. When a peer fails, the story moves on to the next
/// peer the tracker gave. It downloads from one peer at a time and uploads nothing: the swarm engine
/// (<c>Swarm/SwarmDownload.cs</c>) is the production path and reuses the same Wire, Pieces and Storage parts.
/// Where it starts (the resume decision) is <c>Downloads/DownloadStart.cs</c>; the classroom's one-piece entry is
/// <c>ReferenceDownload.Piece.cs</c>.
/// <para>Its patience is its own. A peer that neither unchokes us nor sends a block we asked for in
/// <see cref="PeerStallTimeout"/> (30 s) is given up on for the next one, and blocks a peer rejects (BEP 6) are asked of
/// it again only after <see cref="RejectPause"/> (1 s). The swarm engine is more patient (it drops a silent peer after the
/// session's idle timeout, 3 min) because its other peers serve it meanwhile; here the one peer is the whole download.</para>
/// </remarks>
internal static partial class ReferenceDownload
{
    /// <summary>Requests this path keeps in flight unless <see cref="DownloadOptions.RequestsPerPeer"/> says: one
    /// loopback peer needs far more than 5 to be fast.</summary>
    public const int DefaultRequestsPerPeer = 128;

    private static int RequestsPerPeer(DownloadOptions options) => options.RequestsPerPeer ?? DefaultRequestsPerPeer;

    /// <summary>A peer that neither unchokes us nor sends a block we asked for this long is given up on, and the next
    /// peer is tried (keep-alives and other chatter don't count): 30 s, as a student's client would wait.</summary>
    /// <remarks>The swarm engine drops only a silent peer, after the session's <see cref="SessionSettings.IdleTimeout"/>
    /// (3 min), since other peers serve it meanwhile; this path has one peer at a time, so a useless peer stops the
    /// whole download.</remarks>
    internal static readonly TimeSpan PeerStallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a block a peer rejected waits before it is asked of that peer again: at most one request per
    /// block per second to a peer that rejects everything, instead of a busy loop.</summary>
    internal static readonly TimeSpan RejectPause = TimeSpan.FromSeconds(1);

    /// <summary>The stall deadline: <see cref="PeerStallTimeout"/>, or the session's idle timeout or the download's
    /// <see cref="DownloadOptions.StallTimeout"/> (<c>--stall-timeout</c>) when shorter (a peer that talks but gives
    /// nothing earns no more patience than a silent one). With one peer at a time the stall timeout applies to each peer:
    /// the download gives up once every peer it knows has gone that long without giving data.</summary>
    private static TimeSpan StallTimeout(DownloadOptions options)
    {
        var stall = options.Session.IdleTimeout < PeerStallTimeout ? options.Session.IdleTimeout : PeerStallTimeout;
        return options.StallTimeout is { } limit && limit < stall ? limit : stall;
    }

    /// <summary>Downloads the whole torrent into <see cref="DownloadOptions.OutputDirectory"/>, resuming if it can.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the missing pieces.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the ledger was saved first.</exception>
    public static async Task<DownloadResult> RunAsync(Torrent torrent, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        SettingsCheck.Check(options);
        var start = await DownloadStart.PrepareAsync(torrent, options, ct).ConfigureAwait(false);
        return await RunAsync(start, options, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads from where <paramref name="start"/> left off, writing each verified piece and the ledger.</summary>
    internal static async Task<DownloadResult> RunAsync(DownloadStart start, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var torrent = start.Torrent;
        // Lay out the files (folders, empty files, sparse preallocation). Paths never leave the output folder.
        using var storage = options.OpenStorage?.Invoke(torrent, options.OutputDirectory) ?? FileStorage.Open(start.Layout, ownership: start.Ownership, have: start.Have);
        var written = Bitfield.FromWire(start.Have.ToBytes(), torrent.PieceCount); // the ledger lists only pieces on disk
        var pieces = new PieceManager(torrent, start.Have, new PieceManagerOptions
        {
            MaxRequestsPerPeer = RequestsPerPeer(options),
            Picker = new SequentialPicker(), // one peer: in order is simplest to follow, and as fast as any
            Selection = start.Selection, // skipped files: their pieces are simply never picked
        });
        var state = new StoryState(torrent, pieces, written, Stopwatch.StartNew(), progress);
        var saver = new ResumeSaver(new ResumeLedger(start.Layout), storage, state.Written, options.LedgerInterval);
        try
        {
            await saver.SaveNowAsync(force: true, ct).ConfigureAwait(false); // records the files as ours at once
            if (!pieces.IsComplete) await DownloadAsync(torrent, options, pieces, storage, state, ct).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Save what reached the disk, but report the failure that stopped us (a full disk fails the save too).
            try { await saver.DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is StorageException or IOException) { options.Log?.Invoke($"resume ledger not saved: {e.Message}"); }
            throw;
        }
        await saver.DisposeAsync().ConfigureAwait(false); // the final save; throws if it cannot be written
        return state.Result(start.PiecesFromResume);
    }

    /// <summary>The story proper: ask the tracker for peers, then take them one at a time until every piece is in.</summary>
    private static async Task DownloadAsync(Torrent torrent, DownloadOptions options, PieceManager pieces, IPieceStorage storage,
        StoryState state, CancellationToken ct)
    {
        // announce: BEP 3 "started", telling the tracker how much is left. The reference path does not listen, but
        // the tracker needs a port; trackers and checkers expect the conventional 6881 here.
        using var tracker = new TrackerClient(options.TrackersOf(torrent),
            new TrackerClientOptions { Dialer = HostDialer.On(options.Session.Network), Time = options.Session.Time });
        var candidates = options.ExtraPeers.Where(options.Session.MayDial).ToList();
        string? trackerError = null;
        if (tracker.Tiers.Count > 0)
        {
            try
            {
                var answer = await tracker.AnnounceAsync(Announce(torrent, options, pieces, AnnounceEvent.Started), ct).ConfigureAwait(false);
                options.Log?.Invoke($"tracker: {answer.Peers.Count} peer(s), interval {answer.Interval.TotalSeconds:0} s");
                // Never 0.0.0.0, broadcast, multicast or link-local, whatever the tracker says.
                candidates.AddRange(answer.Peers.Where(p => !candidates.Contains(p) && options.Session.MayDial(p)));
            }
            catch (TrackerException e) when (candidates.Count > 0)
            {
                trackerError = e.Message;
                options.Log?.Invoke($"tracker failed ({e.Message}); trying the {candidates.Count} peer(s) given");
            }
        }

        // One peer at a time, in the order the tracker gave them; a failing peer hands over to the next. A peer that had
        // none of the pieces we need may have got them since (peers trade): it is tried once more after the others.
        var queue = new Queue<IPEndPoint>(candidates);
        var again = new HashSet<IPEndPoint>();
        while (!pieces.IsComplete && queue.TryDequeue(out var endpoint))
        {
            try
            {
                var lie = await DownloadFromPeerAsync(endpoint, torrent, options, pieces, storage, state, ct).ConfigureAwait(false);
                if (lie is null && !pieces.IsComplete && again.Add(endpoint)) queue.Enqueue(endpoint);
                if (lie is not null)
                {
                    // A peer whose piece failed verification lied about its data: a bad peer, and the next one is tried.
                    state.Failures.Add($"{endpoint}: {lie}");
                    state.BadPeers.Add($"{endpoint}: {lie}");
                    options.Log?.Invoke($"dropped {endpoint}: {lie}");
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not (StorageException or DownloadFailedException))
            {
                // Every failure has a reason: the protocol's own, a stall, or (never expected) a fault of ours with this peer.
                var reason = e switch
                {
                    OperationCanceledException => $"stalled: no unchoke or block for {StallTimeout(options).TotalSeconds:0.#} s",
                    WireException w => w.Reason, // the lines below name the peer
                    SocketException or IOException or TimeoutException => e.Message,
                    _ => $"internal error with this peer ({e.GetType().Name}: {e.Message})",
                };
                state.Failures.Add($"{endpoint}: {reason}");
                // A peer that broke the protocol is a bad peer; one that went away or stalled is merely gone.
                if (e is WireException { IsViolation: true }) state.BadPeers.Add($"{endpoint}: {reason}");
                options.Log?.Invoke($"dropped {endpoint}: {reason}");
            }
        }

        if (!pieces.IsComplete)
        {
            var wanted = pieces.Selection; // every piece, unless files are skipped
            var missing = wanted.WantedCount - wanted.WantedIn(pieces.SnapshotHave(), torrent).Pieces;
            var tried = state.Failures.Count == 0 ? (trackerError ?? "the tracker listed no peers") : string.Join("; ", state.Failures);
            throw new DownloadFailedException($"no peer could deliver the missing {missing} of {wanted.WantedCount} {(wanted.IsEverything ? "" : "wanted ")}pieces ({tried})");
        }

        // completed, then stopped: BEP 3 events, best effort (a dead tracker must not fail a finished download).
        await AnnounceQuietlyAsync(tracker, torrent, options, pieces, AnnounceEvent.Completed).ConfigureAwait(false);
        await AnnounceQuietlyAsync(tracker, torrent, options, pieces, AnnounceEvent.Stopped).ConfigureAwait(false);
        state.Report(null, force: true);
    }

    /// <summary>One peer, from handshake to the last block it can give us; returns why the peer is a liar when a piece
    /// it sent failed verification, else null.</summary>
    private static async Task<string?> DownloadFromPeerAsync(IPEndPoint endpoint, Torrent torrent, DownloadOptions options,
        PieceManager pieces, IPieceStorage storage, StoryState state, CancellationToken ct)
    {
        // connect + handshake: PeerConnection checks the protocol string and drops a peer whose info hash differs.
        await using var peer = await PeerConnection.ConnectAsync(endpoint, torrent.InfoHash, options.Session.PeerId, new PeerConnectionOptions
        {
            PieceCount = torrent.PieceCount,
            Encryption = options.Session.Encryption, // MSE/PE first (prefer), when asked: a transport under the same story
            AdvertiseFast = true, // BEP 6: a seeder may then say "have all" in one byte instead of a bitfield
            AdvertiseV2 = torrent.InfoHashV2 is not null, // BEP 52: a v2 peer serves v2 torrents only to v2 peers
            AlternateInfoHash = torrent.IsHybrid ? torrent.InfoHashV2?.Truncated : null,
            ConnectTimeout = options.Session.ConnectTimeout,
            HandshakeTimeout = options.Session.HandshakeTimeout,
            IdleTimeout = options.Session.IdleTimeout, // silence: how long the session lets any peer say nothing
            Time = options.Session.Time, // the connection's keep-alive and idle timers run on the session's clock
            Trace = options.Trace,
            Network = options.Session.Network, // the kernel's sockets, unless a simulation gave its own
        }, ct).ConfigureAwait(false);
        options.Log?.Invoke($"connected to {endpoint} (peer id {peer.RemotePeerId.Hex})");
        state.CurrentPeer = endpoint.ToString();

        // Until its bitfield or a have arrives, the peer has nothing as far as we know.
        var key = new PeerKey(endpoint.ToString()); // how the piece manager knows this peer
        pieces.AddPeer(key, new Bitfield(torrent.PieceCount));
        // A peer that neither unchokes us nor sends blocks for 30 s (PeerStallTimeout) is given up on; keep-alives and
        // other chatter don't count.
        using var stall = new Deadline(StallTimeout(options), options.Session.Time, ct);
        var unchokedOnce = false;
        try
        {
            // BEP 6: "Exactly one of Have All, Have None, or Have Bitfield MUST appear and only immediately after the
            // handshake" when both set the fast bit. This path uploads nothing, so it claims nothing: have none.
            if (peer.FastAgreed) await peer.SendBitfieldAsync(new Bitfield(torrent.PieceCount), ct).ConfigureAwait(false);
            // interested: BEP 3 "data transfer takes place whenever one side is interested and the other side is not choking".
            await peer.SendInterestedAsync(ct).ConfigureAwait(false);
            // hashes: a v2 torrent from a magnet link has no piece layers, so its pieces cannot be verified yet; a v2 peer
            // is asked for them (BEP 52 hash request), and each layer is checked against its file's pieces root.
            var hashes = new HashExchange(torrent, pieces.Check);
            if (HashExchange.SpeaksV2(peer.RemoteHandshake, torrent) && hashes.RequestMissing() is { Count: > 0 } asks)
                await peer.SendAsync(asks.ToArray(), ct).ConfigureAwait(false);
            var requests = new BlockRequest[RequestsPerPeer(options)];
            var batch = new PeerMessage[RequestsPerPeer(options)];

            while (!pieces.IsComplete)
            {
                var message = await peer.ReceiveAsync(stall.Token).ConfigureAwait(false);
                // Handle this message and every other one already buffered, then top up the request pipeline once.
                var rejected = false; // a reject among them pauses the top-up (below)
                do
                {
                    switch (message.Kind)
                    {
                        case MessageKind.Bitfield:
                        case MessageKind.HaveAll:
                            // bitfield: which pieces the peer has (the connection checked its length and spare bits).
                            // BEP 6 "have all" is a bitfield with every bit set ("have none", one with none: nothing to do).
                            foreach (var index in peer.PeerPieces!.SetIndexes()) pieces.PeerHas(key, index);
                            break;
                        case MessageKind.Have:
                            pieces.PeerHas(key, message.Index);
                            break;
                        case MessageKind.Unchoke:
                            // The first unchoke restarts the stall clock; later ones do not, or a peer toggling
                            // choke/unchoke without sending a block would hold the download forever.
                            if (!unchokedOnce) stall.CancelAfter(StallTimeout(options));
                            unchokedOnce = true;
                            break;
                        case MessageKind.Choke:
                            // BEP 3: when choked, outstanding requests are dropped by the peer; hand them back.
                            pieces.ReleaseBlocks(key);
                            break;
                        case MessageKind.Reject:
                            // BEP 6: "Reject Request notifies a requesting peer that its request will not be satisfied":
                            // the block goes back to the picker, to be asked again after a pause (below).
                            if (pieces.ReleaseBlock(key, new BlockRequest(message.Index, message.Begin, message.Length))) rejected = true;
                            break;
                        case MessageKind.Piece:
                            // block: the piece manager files it; the last block of a piece completes the piece.
                            var outcome = pieces.OnBlockReceived(key, message.Index, message.Begin, message.Payload.Span);
                            // Only a block we asked for is progress (and counts as received): a peer streaming
                            // unrequested blocks must still stall out, or it could hold the download forever.
                            if (outcome.Kind != BlockResultKind.Unrequested) state.Received.Add(message.Payload.Length);
                            if (outcome.Kind is BlockResultKind.Accepted or BlockResultKind.PieceVerified) stall.CancelAfter(StallTimeout(options));
                            // verify: a completed piece was hashed with SHA-1 and compared with the torrent's (BEP 3).
                            switch (outcome.Kind)
                            {
                                case BlockResultKind.PieceVerified:
                                    using (var piece = outcome.Piece!)
                                    {
                                        // store: write the verified piece into the files it spans.
                                        await storage.WritePieceAsync(piece.Index, piece.Data, ct).ConfigureAwait(false);
                                        // ledger: it is on disk now; the resume saver records it at its next save.
                                        state.Stored(piece.Index);
                                    }
                                    state.PeersUsed.Add(endpoint.ToString());
                                    break;
                                case BlockResultKind.PieceFailed:
                                    // One peer sent all of it, so that peer lied. (The swarm engine is more forgiving:
                                    // it bans only after repeated failures.)
                                    state.FailedPieces.Add(outcome.PieceIndex);
                                    return $"sent piece {outcome.PieceIndex} with data that fails its {(torrent.IsV2Only ? "merkle" : "SHA-1")} hash";
                                case BlockResultKind.Unrequested or BlockResultKind.Duplicate:
                                    options.Log?.Invoke($"{endpoint}: ignored a block we did not need (piece {outcome.PieceIndex})");
                                    break;
                            }
                            break;
                        case MessageKind.Hashes:
                            // A run of a piece layer; the last run is checked against the file's pieces root.
                            if (hashes.OnHashes(message, out var file) == HashesOutcome.Wrong)
                                return $"sent a piece layer for '{torrent.Files[file].DisplayPath}' that does not hash up to its pieces root";
                            break;
                        case MessageKind.HashReject:
                            hashes.OnReject(message);
                            if (hashes.Waiting) break;
                            options.Log?.Invoke($"{endpoint} has not got the piece layers we need");
                            return null;
                        // interested, not interested, request, cancel: we upload nothing on this path, so the peer stays choked.
                        // BEP 6 allowed fast and suggest: accepted by the connection, not used (we request only when unchoked).
                    }
                } while (!pieces.IsComplete && peer.TryReceive(out message));

                if (peer.PeerPieces is not null && !pieces.IsInteresting(key) && pieces.RequestsInFlight(key) == 0 && !hashes.Waiting)
                {
                    options.Log?.Invoke($"{endpoint} has none of the pieces we still need");
                    return null;
                }
                // A peer may refuse, but asking again at once is a busy loop (millions of requests a minute to a peer
                // that rejects everything): wait a second first. The stall clock runs on, so such a peer is given up on.
                if (rejected) await Task.Delay(RejectPause, options.Session.Time, stall.Token).ConfigureAwait(false);
                if (!peer.PeerChoking) await RequestMoreAsync(peer, key, pieces, requests, batch, ct).ConfigureAwait(false);
                state.Report(peer.PeerChoking ? null : endpoint.ToString());
            }
            return null;
        }
        finally
        {
            pieces.RemovePeer(key); // its outstanding requests go back to the pool for the next peer
        }
    }

    /// <summary>request: keep the pipeline full, up to <see cref="DownloadOptions.RequestsPerPeer"/> blocks in flight.</summary>
    private static async ValueTask RequestMoreAsync(PeerConnection peer, PeerKey key, PieceManager pieces, BlockRequest[] requests,
        PeerMessage[] batch, CancellationToken ct)
    {
        var count = pieces.FillRequests(key, requests);
        if (count == 0) return;
        for (var i = 0; i < count; i++) batch[i] = PeerMessage.Request(requests[i].Index, requests[i].Begin, requests[i].Length);
        await peer.SendAsync(batch.AsMemory(0, count), ct).ConfigureAwait(false); // one write for the whole batch
    }

    private static AnnounceRequest Announce(Torrent torrent, DownloadOptions options, PieceManager pieces, AnnounceEvent e) =>
        new(torrent.InfoHash, options.Session.PeerId, options.Session.ListenPort == 0 ? 6881 : options.Session.ListenPort,
            Uploaded: 0, Downloaded: pieces.DownloadedBytes, Left: pieces.RemainingBytes, Event: e);

    private static async Task AnnounceQuietlyAsync(TrackerClient tracker, Torrent torrent, DownloadOptions options,
        PieceManager pieces, AnnounceEvent e)
    {
        if (tracker.Tiers.Count == 0) return;
        using var limit = new Deadline(TimeSpan.FromSeconds(5), options.Session.Time);
        try
        {
            await tracker.AnnounceAsync(Announce(torrent, options, pieces, e), limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TrackerException or OperationCanceledException)
        {
            options.Log?.Invoke($"tracker: '{e.ToString().ToLowerInvariant()}' announce failed: {ex.Message}");
        }
    }
}
