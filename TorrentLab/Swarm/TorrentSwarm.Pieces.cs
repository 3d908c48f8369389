using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// What happens around a piece: writing it (beside the loops: PieceHandOver.cs), announcing it, endgame cancels; the
// senders of a bad one are blamed by PieceBlame.cs.
internal sealed partial class TorrentSwarm
{
    /// <summary>Pieces whose last copy failed its hash and that are not verified yet (for the piece map).</summary>
    public int[] FailedPiecesSnapshot() => _blame.FailedSnapshot();

    /// <summary>Who sent each verified piece (for the piece map); null before any piece was verified.</summary>
    public PieceSenders? PieceSendersSnapshot() => _blame.Senders.Snapshot();

    private readonly SwarmMoments _moments = new();

    /// <summary>Notes a moment the engine changed its mode about <paramref name="peer"/> (for the piece map's timeline).</summary>
    public void Moment(PieceMapMomentKind kind, SwarmPeer peer, int piece = -1) =>
        _moments.Add(new PieceMapMoment(Time.GetUtcNow(), kind, peer.Address, piece, Pieces.WantedMissing));

    /// <summary>The timeline of the engine's moments, oldest first, the piece manager's among the swarm's own.</summary>
    public IReadOnlyList<PieceMapMoment> MomentsSnapshot() => _moments.Snapshot(Pieces);

    /// <summary>Peers that sent blocks of at least one verified piece.</summary>
    public IReadOnlyList<string> PeersUsed => _blame.PeersUsed;

    /// <summary>The one place a peer reports what became of a block it sent: endgame cancels go to the others, a
    /// completed piece is checked, a verified one is written and announced (its senders, as the piece manager recorded
    /// them with the blocks, count as used), a failed one is held against everyone who sent part of it.</summary>
    /// <param name="from">The peer that sent the block.</param>
    /// <param name="result">What the piece manager made of it (<see cref="PieceManager.TakeBlock"/>).</param>
    /// <param name="block">The block (index, begin, length).</param>
    /// <param name="ct">Cancels checking and writing a completed piece.</param>
    public async ValueTask OnBlockAsync(SwarmPeer from, BlockResult result, BlockRequest block, CancellationToken ct)
    {
        if (result.Kind is BlockResultKind.Unrequested or BlockResultKind.Duplicate) return;
        CancelElsewhere(result.CancelPeers, block.Index, block.Begin, block.Length);
        if (result.Kind != BlockResultKind.PieceComplete) return;
        if (_handOver.BesideTheLoops) await _handOver.RunAsync(stop => OnCheckedAsync(Pieces.VerifyComplete(result), besideTheLoop: true, stop), ct).ConfigureAwait(false);
        else await OnCheckedAsync(Pieces.VerifyComplete(result), besideTheLoop: false, ct).ConfigureAwait(false);
    }

    /// <summary>What became of a block a web seed fetched, as <see cref="OnBlockAsync"/> is for a peer's.</summary>
    public async ValueTask OnWebSeedBlockAsync(WebSeed from, BlockResult result, BlockRequest block, CancellationToken ct)
    {
        if (result.Kind is BlockResultKind.Unrequested or BlockResultKind.Duplicate) return;
        Progress.Transferred(received: block.Length, uploaded: 0);
        CancelElsewhere(result.CancelPeers, block.Index, block.Begin, block.Length);
        if (result.Kind == BlockResultKind.PieceVerified)
        {
            if (result.Culprits.Count > 0) _blame.BadBlocksFound(result.PieceIndex, result.Culprits);
            await OnVerifiedAsync(result.Piece!, ct).ConfigureAwait(false);
        }
        else if (result.Kind == BlockResultKind.PieceFailed) _blame.PieceFailed(result.PieceIndex, result.Contributors, result.Culprits);
    }

    /// <summary>The cores this process may use (tests set it, so that what they check does not depend on the machine).</summary>
    internal int Cores { get; init; } = Session.Cores;

    /// <summary>What a checked piece leads to: written and announced, or held against its senders.</summary>
    private async ValueTask OnCheckedAsync(BlockResult result, bool besideTheLoop, CancellationToken ct)
    {
        if (result.Kind == BlockResultKind.PieceVerified)
        {
            if (result.Culprits.Count > 0) _blame.BadBlocksFound(result.PieceIndex, result.Culprits);
            // Beside the loop already, the write follows here (handing it over again from inside a slot could wait for
            // the slot it holds); on the loop, a long piece's write is handed over.
            await (besideTheLoop ? OnPieceVerifiedAsync(result.Piece!, ct) : OnVerifiedAsync(result.Piece!, ct)).ConfigureAwait(false);
        }
        else if (result.Kind == BlockResultKind.PieceFailed) _blame.PieceFailed(result.PieceIndex, result.Contributors, result.Culprits);
    }

    /// <summary>A verified piece goes to disk. One of at least <see cref="DirectWriter.RunLength"/> is written past
    /// the page cache wherever the file system allows it, which waits about a millisecond for the device: the receive
    /// loop hands it to a write of its own and goes on receiving. A smaller one is copied into the page cache, work for
    /// the CPU that a hand-over only moves to another thread: the loop writes it itself (bench/README.md, "Decisions in
    /// the code").</summary>
    private ValueTask OnVerifiedAsync(VerifiedPiece piece, CancellationToken ct) =>
        Torrent.GetPieceLength(piece.Index) >= DirectWriter.RunLength ? HandOverVerifiedAsync(piece, ct) : OnPieceVerifiedAsync(piece, ct);

    /// <summary>Hands a verified piece to a write of its own (<see cref="OnPieceVerifiedAsync"/>).</summary>
    private async ValueTask HandOverVerifiedAsync(VerifiedPiece piece, CancellationToken ct)
    {
        try
        {
            await _handOver.RunAsync(stop => OnPieceVerifiedAsync(piece, stop), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            piece.Dispose(); // no slot came: nobody else will return its buffer
            throw;
        }
    }

    /// <summary>Writes a verified piece, then tells every peer (<c>have</c>) and updates interest; the last piece
    /// completes the download.</summary>
    private async ValueTask OnPieceVerifiedAsync(VerifiedPiece piece, CancellationToken ct)
    {
        using (piece)
        {
            await Storage.WritePieceAsync(piece.Index, piece.Data, ct).ConfigureAwait(false);
        }
        var complete = _wanted.Written(piece.Index);
        _blame.Verified(piece);
        // BEP 3: "whenever a downloader completes a piece and verifies it, it announces it with 'have'".
        foreach (var peer in PeersSnapshot()) peer.Enqueue(PeerMessage.Have(piece.Index));
        _reads.Written(piece.Index); // a stream reading it goes on
        if (complete) OnComplete();
    }

    /// <summary>Takes a new file selection while the download runs (<see cref="Downloads.LiveChanges"/>): the piece manager wants
    /// what it wants from now on, the storage creates a file made wanted, the ledger records the priorities at its next
    /// save, and every peer's interest is looked at again. A selection the written pieces already satisfy completes the
    /// download. False, and nothing changed, once the download completed (or is completing).</summary>
    internal bool TrySetSelection(PieceSelection selection, StorageLayout layout)
    {
        if (_wanted.TrySet(selection, layout, Pieces, () => Downloading && !_disposed) is not { } complete) return false;
        _log?.Invoke($"file priorities changed: {selection.WantedCount} of {Torrent.PieceCount} pieces wanted");
        if (complete) OnComplete();
        else foreach (var peer in PeersSnapshot()) peer.Poke(); // interested again, and asking, at once
        return true;
    }

    /// <summary>A completed download that seeds comes to want more (a file it skipped is now wanted): the swarm downloads
    /// again with its peers, takes the seeding torrent's announcer back (the session routes here again), and a new
    /// <see cref="Completion"/> completes when the new selection is written. False, and nothing changed, when the
    /// selection wants nothing not written, or the swarm downloads or has stopped.</summary>
    internal bool TryDownloadMore(PieceSelection selection, StorageLayout layout, Announcer? announcer)
    {
        if (Downloading || _disposed || _stop.IsCancellationRequested || !_wanted.TryWantMore(selection, layout, Pieces)) return false;
        _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _owner, null);
        _announcing.TakeBack(announcer, Totals);
        _stall.Restart();
        Downloading = true;
        lock (_tasksLock) _tasks.AddRange(_webSeeds.Start(this, _session, _options, _stop.Token));
        foreach (var peer in PeersSnapshot())
        {
            peer.WithdrawUploadOnly();
            peer.Poke(); // interested again, and asking
        }
        _choking.Run(); // tit for tat again
        return true;
    }

    /// <summary>Fetches pieces in order (or rarest first) from now on, while the download runs; false once it completed.</summary>
    internal bool TrySetSequential(bool sequential)
    {
        if (!Downloading || _disposed) return false;
        Pieces.SetPicker(sequential ? new SequentialPicker() : new RarestFirstPicker());
        return true;
    }

    private void OnComplete()
    {
        if (!_complete.TrySetResult()) return;
        Downloading = false;
        var selection = _wanted.Selection;
        _log?.Invoke(selection.IsEverything ? $"download complete: {Torrent.PieceCount} pieces"
            : $"download complete: the {selection.WantedCount} wanted pieces of {Torrent.PieceCount}");
        _announcing.Completed();
        foreach (var peer in PeersSnapshot())
        {
            if (peer.IsSeed) peer.Drop("both sides are seeds", violation: false);
            else if (peer.UploadOnly && WrittenSnapshot().IsComplete) peer.Drop("both sides want nothing more (upload_only, BEP 21)", violation: false);
            else
            {
                if (peer.Connection.PeerInterested) peer.AnnounceUploadOnly();   // others learn it when they next say (not) interested
                peer.Poke();
            }
        }
        _choking.Run(); // from now on we rank by upload rate
    }

    /// <summary>Endgame: a block arrived, so the other peers asked for it get a <c>cancel</c>.</summary>
    private void CancelElsewhere(IReadOnlyList<IBlockSource> peers, int index, int begin, int length)
    {
        foreach (var other in peers.OfType<SwarmPeer>()) // a web seed's round is one HTTP request: nothing to cancel
        {
            other.ForgetRequests(new BlockRequest(index, begin, length));
            other.Enqueue(PeerMessage.Cancel(index, begin, length));
        }
    }
}
