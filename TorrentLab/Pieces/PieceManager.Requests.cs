using TorrentLab.Wire;

namespace TorrentLab.Pieces;

// Handing out block requests, and taking them back (choke, disconnect, timeout).
internal sealed partial class PieceManager
{
    /// <summary>Fills <paramref name="into"/> with new block requests for a peer that unchoked us, and returns how
    /// many it wrote. Never more than the span's length, nor than the peer's free pipeline slots
    /// (<see cref="PieceManagerOptions.MaxRequestsPerPeer"/> minus <see cref="RequestsInFlight"/>).</summary>
    /// <remarks>Order: unrequested blocks of pieces already in progress (oldest first), then new pieces chosen by the
    /// picker while the in-progress bound allows, then (endgame only, one at a time) a block other peers were already asked for.</remarks>
    public int FillRequests(IBlockSource peer, Span<BlockRequest> into)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            var budget = Math.Min(into.Length, _options.MaxRequestsPerPeer - state.Outstanding.Count);
            if (budget <= 0 || state.Interesting == 0) return 0;
            var now = _clock.GetUtcNow().UtcTicks;
            var count = 0;

            // 0. A peer that alone has pieces we can start (a lone seed, before its first copy is out) is asked for
            // those before anything others could send: what we take from it that others have is upload it cannot
            // give to a piece nobody else has (rarest first over partial pieces too, as libtorrent ranks them).
            // The picker's choice is made once here and used by the first piece started below: a pick is a walk over the
            // pieces, and nothing before that start changes which pieces are candidates.
            var pick = PickLocked(state);
            var soleFirst = pick >= 0 && _availability[pick] == 1;
            while (soleFirst && count < budget)
            {
                for (var p = 0; p < _inProgress.Count && count < budget; p++)
                {
                    var piece = _inProgress[p];
                    if (piece.Unrequested > 0 && !piece.Verifying && state.Has[piece.Index] && _availability[piece.Index] == 1)
                        count += Assign(piece, peer, state, into[count..budget], now, avoidTimedOut: true);
                }
                if (count >= budget || _inProgress.Count >= MaxPiecesInProgress && !TryEvictStranded()) break;
                var index = NextPick(state, ref pick);
                if (index < 0 || _availability[index] != 1) break;
                NotePickLocked(peer, now);
                count += Assign(StartPicked(state, index), peer, state, into[count..budget], now);
            }
            if (soleFirst && count > 0) return count; // the rest of its pipeline waits for more of the same

            // 1. Finish what is started: frees buffers early and completes pieces we can then share.
            for (var p = 0; p < _inProgress.Count && count < budget; p++)
            {
                var piece = _inProgress[p];
                if (piece.Unrequested > 0 && !piece.Verifying && state.Has[piece.Index])
                    count += Assign(piece, peer, state, into[count..budget], now, avoidTimedOut: true);
            }

            // 2. Start new pieces, within the memory bound.
            var pickerExhausted = false;
            while (count < budget)
            {
                if (_inProgress.Count >= MaxPiecesInProgress && !TryEvictStranded()) break;
                var index = NextPick(state, ref pick);
                if (index < 0) { pickerExhausted = true; break; }
                NotePickLocked(peer, now);
                count += Assign(StartPicked(state, index), peer, state, into[count..budget], now);
            }

            // 3. The blocks that expired with this peer, now that it has nothing else to ask for: handed back at once,
            // a peer that ignores some requests would take them again before any other peer could ask, and hold them.
            if (count < budget && state.TimedOut.Count > 0)
            {
                for (var p = 0; p < _inProgress.Count && count < budget; p++)
                {
                    var piece = _inProgress[p];
                    if (piece.Unrequested > 0 && !piece.Verifying && state.Has[piece.Index])
                        count += Assign(piece, peer, state, into[count..budget], now, avoidTimedOut: false);
                }
            }

            // 4. Endgame: nothing new to start anywhere, so ask for blocks in flight elsewhere too.
            var endgame = count < budget && pickerExhausted && IsEndgameLocked();
            if (endgame) count += AssignDuplicates(peer, state, into[count..budget], now);
            if (endgame && _endgameBegan is null) _endgameBegan = (now, peer, _wantedMissing); // the piece map's timeline
            if (count == 0 && state.Outstanding.Count == 0) _idleFills[endgame ? 2 : pickerExhausted ? 1 : 0]++;
            return count;
        }
    }

    /// <summary>The peer choked us: BEP 3 says it discards our pending requests, so all of them go back to the pool.</summary>
    public void ReleaseBlocks(IBlockSource peer)
    {
        lock (_lock) ReleaseLocked(peer, Peer(peer));
    }

    /// <summary>The peer rejected one request (BEP 6 <c>reject</c>): that block goes back to the pool. With
    /// <paramref name="askOthersFirst"/> (a seed still unchoking us rejects a piece it sent another peer so that we take
    /// one nobody has) it is asked of this peer again only once it has nothing else for us, as a block that timed out
    /// with it is (<see cref="FillRequests"/>, step 3).</summary>
    /// <returns>False if the peer had no such request.</returns>
    public bool ReleaseBlock(IBlockSource peer, BlockRequest request, bool askOthersFirst = false)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            if (!state.Outstanding.Remove(request)) return false;
            if (askOthersFirst) state.TimedOut.Add(request);
            Unassign(request, peer);
            return true;
        }
    }

    /// <summary>Puts back every request older than <see cref="PieceManagerOptions.RequestTimeout"/> at
    /// <paramref name="now"/>, and returns them so the caller can send <c>cancel</c> and treat the peer as slow.
    /// A late answer is still accepted if the block is still missing.</summary>
    /// <remarks>A request waiting its turn is kept: its peer answered one of our requests within the timeout and none
    /// asked after this one. A slow link shared by many uploaders gives each a few KB/s, so a pipeline of 16 blocks is
    /// a minute of one peer's sending; expiring it at 30 s asked another peer for blocks still on their way, and a
    /// 784 kbit/s peer of the simulated swarm spent 15 % of its download on such second copies (one peer 127 MiB for
    /// a 100 MiB file). A request asked before one the peer answered was skipped and expires as before.</remarks>
    public IReadOnlyList<ExpiredRequest> ExpireRequests(DateTimeOffset now)
    {
        var deadline = now.UtcTicks - _options.RequestTimeout.Ticks;
        List<ExpiredRequest>? expired = null;
        lock (_lock)
        {
            foreach (var piece in _inProgress)
            {
                if (piece.Verifying || piece.InFlight == 0) continue;
                for (var b = 0; b < piece.Blocks.Length; b++)
                {
                    ref var slot = ref piece.Blocks[b];
                    if (slot.Received || slot.RequesterCount == 0 || !AnyBefore(slot, deadline)) continue;
                    foreach (var (peer, at, sequence) in Requests(slot))
                    {
                        if (at > deadline) continue;
                        var state = _peers[peer];
                        // Waiting its turn: the peer answered a request of ours within the timeout and none asked after
                        // this one (clients serve requests in order), so this one is queued behind those it still
                        // sends, not lost. libtorrent too counts the timeout from the peer's last block.
                        if (state.LastAnswerAt > deadline && sequence > state.NewestAnswered) continue;
                        var request = piece.Request(b);
                        state.Outstanding.Remove(request);
                        state.Withdrawn.Add(request); // a late answer is still welcome
                        state.TimedOut.Add(request);
                        Unassign(request, peer);
                        (expired ??= []).Add(new ExpiredRequest(peer, request));
                    }
                }
            }
        }
        return (IReadOnlyList<ExpiredRequest>?)expired ?? [];

        // Most slots have no request that old: looked at without the copy below (a list a slot a second, per swarm).
        static bool AnyBefore(in BlockSlot slot, long deadline)
        {
            if (slot.Peer is not null && slot.RequestedAt <= deadline) return true;
            if (slot.Extra is { } extra) foreach (var (_, at, _) in extra) if (at <= deadline) return true;
            return false;
        }

        static List<(IBlockSource, long, long)> Requests(in BlockSlot slot)
        {
            var list = new List<(IBlockSource, long, long)>(slot.RequesterCount);
            if (slot.Peer is not null) list.Add((slot.Peer, slot.RequestedAt, slot.Sequence));
            if (slot.Extra is not null) list.AddRange(slot.Extra);
            return list;
        }
    }

    /// <summary>The piece to start next for the peer: the pick made at the start of <see cref="FillRequests"/> the first
    /// time (then <paramref name="pick"/> is used up), a new one after. The first pick stays a candidate until then:
    /// assigning blocks of pieces in progress changes no candidate, and a stranded piece evicted has no holder.</summary>
    private int NextPick(PeerState state, ref int pick)
    {
        var index = pick;
        pick = Unpicked;
        return index == Unpicked || index >= 0 && !_pickContext.IsCandidate(index) ? PickLocked(state) : index;
    }

    private const int Unpicked = -2;

    /// <summary>A BEP 6 <c>suggest</c> from the peer: the piece is tried first the next time a new piece is started for
    /// it, if it is still one we can start (the latest suggestion first, at most <see cref="MaxSuggestions"/> kept).</summary>
    public void Suggest(IBlockSource peer, int index)
    {
        lock (_lock)
        {
            var state = Peer(peer);
            state.Suggested.Remove(index);
            state.Suggested.Insert(0, index);
            if (state.Suggested.Count > MaxSuggestions) state.Suggested.RemoveAt(state.Suggested.Count - 1);
        }
    }

    /// <summary>Suggestions kept per peer (libtorrent's default <c>max_suggest_pieces</c>).</summary>
    private const int MaxSuggestions = 16;

    /// <summary>A piece was picked for <paramref name="peer"/> (under _lock): the first pick by rarity after the random
    /// first pieces is the piece map's moment (<see cref="RarestFirstBegan"/>).</summary>
    private void NotePickLocked(IBlockSource peer, long now)
    {
        if (_rarestFirstBegan is null && _picker is RarestFirstPicker { RandomFirstPieces: var random }
            && _haveAtStart < random && _have.Count >= random) _rarestFirstBegan = (now, peer, _wantedMissing);
    }

    private int PickLocked(PeerState state)
    {
        var first = _pickContext.AdvanceFirstCandidate();
        if (first == PieceCount) return -1;
        // A stream waits for these: the pieces under its read position and its readahead, before anything else wanted.
        if (_options.Demand?.Windows is { Length: > 0 } windows)
        {
            foreach (var window in windows)
                for (var i = Math.Max(window.First, first); i <= window.Last && i < PieceCount; i++)
                    if (state.Has[i] && _pickContext.IsCandidate(i)) return i;
        }
        // BEP 6: a piece the peer suggested, while it is one we can start (and wanted at the highest level picked).
        for (var s = 0; s < state.Suggested.Count; s++)
        {
            var suggested = state.Suggested[s];
            if (!state.Has[suggested] || !_pickContext.IsCandidate(suggested) || _selection.HasLevels)
            {
                if (_have[suggested] || !_selection.IsWanted(suggested)) state.Suggested.RemoveAt(s--);
                continue;
            }
            return suggested;
        }
        var index = -1;
        if (!_selection.HasLevels) index = _picker.Pick(state.Has, _pickContext);
        else
        {
            // Priorities: the picker chooses among the highest level first, and a lower level only when it finds none.
            for (var level = FilePriority.High; level >= FilePriority.Low && index < 0; level--)
            {
                _pickContext.Level = level;
                index = _picker.Pick(state.Has, _pickContext);
            }
            _pickContext.Level = FilePriority.Skip;
        }
        if (index >= 0 && (!state.Has[index] || !_pickContext.IsCandidate(index)))
            throw new InvalidOperationException($"picker {_picker.GetType().Name} chose piece {index}, which is not a candidate for this peer");
        return index;
    }

    /// <summary>Starts the piece the picker chose for this peer. A suggestion of it is used up: kept while its piece was
    /// coming, it held one of the few places on the list (<see cref="MaxSuggestions"/>), and a lone seed that suggests a
    /// piece for each one taken (FirstCopyPacing) saw its newest suggestions pushed off the end; our downloader then
    /// picked at random and got pieces the seed was sending another (two that knew only the seed: 1.22 F from it
    /// before every piece had left once).</summary>
    private ActivePiece StartPicked(PeerState state, int index)
    {
        state.Suggested.Remove(index);
        return Start(index);
    }

    private ActivePiece Start(int index)
    {
        var piece = new ActivePiece(index, _torrent.GetPieceLength(index));
        FillPadding(piece);
        var was = _pickContext.IsStartable(index);
        _activeByIndex[index] = piece;
        _pickContext.Recount(index, was);
        _inProgress.Add(piece);
        _unrequestedBlocks += piece.Unrequested;
        return piece;
    }

    /// <summary>Drops a piece from the in-progress set (failed, evicted, or verified and handed over).</summary>
    private void Retire(ActivePiece piece)
    {
        var was = _pickContext.IsStartable(piece.Index);
        _activeByIndex[piece.Index] = null;
        _pickContext.Recount(piece.Index, was);
        _inProgress.Remove(piece);
        _unrequestedBlocks -= piece.Unrequested;
        if (!_have[piece.Index]) _pickContext.FirstCandidate = Math.Min(_pickContext.FirstCandidate, piece.Index);
    }

    /// <summary>At the bound, makes room by dropping a partial piece that no connected peer has and nobody is
    /// sending (its holders left): otherwise it would block the bound forever.</summary>
    private bool TryEvictStranded()
    {
        foreach (var piece in _inProgress)
        {
            if (piece.Verifying || piece.InFlight > 0 || _availability[piece.Index] > 0) continue;
            _wastedBytes += ReceivedBytes(piece);
            Retire(piece);
            piece.ReturnBuffer();
            return true;
        }
        return false;
    }

    private static long ReceivedBytes(ActivePiece piece)
    {
        long bytes = 0;
        for (var b = 0; b < piece.Blocks.Length; b++) if (piece.Blocks[b].Received) bytes += piece.Request(b).Length;
        return bytes;
    }

    private int Assign(ActivePiece piece, IBlockSource peer, PeerState state, Span<BlockRequest> into, long now, bool avoidTimedOut = false)
    {
        if (!ClaimForRequests(piece, peer)) return 0; // after a failed copy, one peer fetches it alone
        var count = 0;
        var passedOver = false; // a block left for other peers: the first unrequested block stays where it is
        for (var b = piece.FirstUnrequested; b < piece.Blocks.Length && count < into.Length; b++)
        {
            ref var slot = ref piece.Blocks[b];
            if (slot.Received || slot.RequesterCount > 0) continue;
            var request = piece.Request(b);
            if (state.TimedOut.Count > 0)
            {
                if (avoidTimedOut && state.TimedOut.Contains(request)) { passedOver = true; continue; }
                state.TimedOut.Remove(request);
            }
            slot.AddRequester(peer, now, ++_requestSequence);
            state.Outstanding.Add(request);
            into[count++] = request;
            if (!passedOver) piece.FirstUnrequested = b + 1;
        }
        piece.Unrequested -= count;
        _unrequestedBlocks -= count;
        return count;
    }

    /// <summary>Endgame, as libtorrent plays it: a peer with nothing in flight asks for one block that others were
    /// asked for, and only then. Of those, the one asked of the fewest peers, and of those the one asked for last: at
    /// the tail of another peer's queue, the block that peer would send last, so the copy usually arrives first and
    /// the <c>cancel</c> reaches the other peer in time.</summary>
    /// <remarks>Handing an idle peer every block in flight elsewhere at once (up to its whole pipeline) made fast
    /// seeders answer most of the tail twice or three times: 12-39 % more payload than the torrent from 3 loopback
    /// seeders (issue 39, finding 3).</remarks>
    private int AssignDuplicates(IBlockSource peer, PeerState state, Span<BlockRequest> into, long now)
    {
        if (state.Outstanding.Count > 0 || into.IsEmpty) return 0;
        ActivePiece? best = null;
        var (bestBlock, fewest, newest) = (-1, int.MaxValue, long.MinValue);
        foreach (var piece in _inProgress)
        {
            if (piece.Verifying || !state.Has[piece.Index] || !MayContribute(piece, peer)) continue;
            for (var b = 0; b < piece.Blocks.Length; b++)
            {
                ref var slot = ref piece.Blocks[b];
                var askedOf = slot.RequesterCount;
                if (slot.Received || askedOf >= _options.EndgameMaxRequestsPerBlock || slot.IsRequestedBy(peer)) continue;
                if (askedOf > fewest || (askedOf == fewest && slot.RequestedAt < newest)) continue;
                (best, bestBlock, fewest, newest) = (piece, b, askedOf, slot.RequestedAt);
            }
        }
        if (best is null) return 0;
        best.Blocks[bestBlock].AddRequester(peer, now, ++_requestSequence);
        var request = best.Request(bestBlock);
        state.Outstanding.Add(request);
        into[0] = request;
        return 1;
    }

    private void ReleaseLocked(IBlockSource peer, PeerState state)
    {
        foreach (var request in state.Outstanding) Withdraw(peer, state, request);
        state.Outstanding.Clear();
        ReleaseSoloPieces(peer);
    }

    /// <summary>Takes one of the peer's requests back (the caller removes it from Outstanding).</summary>
    private void Withdraw(IBlockSource peer, PeerState state, BlockRequest request)
    {
        Unassign(request, peer);
        state.Withdrawn.Add(request, WithdrawnWhy.Released); // blocks already on the wire may still arrive
    }

    /// <summary>Removes one peer's request from its block; a block nobody else was asked for becomes unrequested.
    /// The caller removes it from the peer's Outstanding set.</summary>
    private void Unassign(BlockRequest request, IBlockSource peer)
    {
        var piece = _activeByIndex[request.Index];
        if (piece is null || piece.Verifying) return;
        var block = request.Begin / WireLimits.BlockLength;
        ref var slot = ref piece.Blocks[block];
        if (!slot.RemoveRequester(peer) || slot.Received || slot.RequesterCount > 0) return;
        piece.Unrequested++;
        _unrequestedBlocks++;
        piece.FirstUnrequested = Math.Min(piece.FirstUnrequested, block);
    }
}
