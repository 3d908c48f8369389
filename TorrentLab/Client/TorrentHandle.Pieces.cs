using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>The pieces known verified, the files they complete, and the alerts of both.</summary>
public sealed partial class TorrentHandle
{
    private readonly VerifiedPieces _pieces; // the pieces known verified
    private PieceStates? _shown; // the running download's map (requested and failed pieces); after a run, its failed ones
    private ReadDemand? _reads; // the written-piece signal, heard while a run may write pieces
    private int _held = -1;     // the piece that completes the wanted ones, verified before the run said what it did
    private readonly PieceMapMemory _mapMemory = new(); // who sent each piece, across runs; the last run's moments

    /// <summary>Pieces verified on disk, as last reported.</summary>
    public int PiecesDone { get { lock (_lock) return _pieces.Count; } }

    /// <summary>Payload bytes of the wanted pieces verified (the whole torrent's when no file is skipped).</summary>
    public long BytesDone { get { lock (_lock) return _pieces.BytesDone; } }

    /// <summary>Payload bytes of the pieces its file priorities want.</summary>
    public long WantedBytes { get { lock (_lock) return _selection.WantedBytes; } }

    /// <summary>Every piece's state: verified, and while it downloads, requested or failed (a piece whose last copy
    /// failed its hash stays shown as failed after the run, until a good copy verifies); who sent each piece that
    /// arrived since the torrent was added, across its runs; the moments its last run changed its mode.</summary>
    public PieceStates Pieces
    {
        get
        {
            lock (_lock) return _mapMemory.On(_shown ?? _pieces.Map());
        }
    }

    /// <summary>True when every piece its file priorities want is verified.</summary>
    /// <remarks>A running torrent's last wanted piece counts once its run said what it did: <see cref="Result"/> is set
    /// first (the piece is verified and written a moment before; the alerts of both come then).</remarks>
    public bool IsComplete { get { lock (_lock) return CompleteLocked; } }

    private bool CompleteLocked => _pieces.IsDoneFor(_selection);

    /// <summary>Forgets every piece (a recheck starts from nothing and reports what it finds).</summary>
    private void ForgetPiecesLocked()
    {
        _pieces.Forget();
        _shown = null;
        _mapMemory.Forget();
        Bump();
    }

    /// <summary>The file priorities changed (under _lock): the wanted bytes are counted again, and a file now wanted
    /// whose pieces were all there already is reported complete.</summary>
    private void SelectionChangedLocked(PieceSelection selection)
    {
        var before = _selection;
        _selection = selection;
        _pieces.Recount(selection);
        ReleaseHeldLocked(); // the piece held as the last wanted one may be neither now: counted, or held again
        if (_run is not null && _downloaded is null && _seedOnly is null && State == TorrentState.Seeding && !CompleteLocked)
            SetState(TorrentState.Downloading); // a seeding torrent that wants more downloads again in its swarm
        for (var f = 0; f < Torrent.Files.Count; f++)
            if (before.IsSkipped(f) && !selection.IsSkipped(f) && _pieces.FileComplete(f))
                _session.Report(AlertLocked(TorrentAlertKind.FileCompleted) with { Index = f });
    }

    /// <summary>Marks the verified pieces of <paramref name="pieces"/> (under _lock), reporting those new.</summary>
    private void VerifiedLocked(PieceStates pieces)
    {
        if (_pieces.All) return;
        foreach (var i in pieces.IndexesOf(PieceState.Verified))
        {
            VerifiedLocked(i);
            if (_pieces.All) return;
        }
    }

    /// <summary>Every wanted piece is verified (a run completed): those not reported yet are finished now.</summary>
    private void AllWantedVerifiedLocked()
    {
        for (var i = 0; i < Torrent.PieceCount && !_pieces.All; i++)
            if (_selection.IsWanted(i)) VerifiedLocked(i);
    }

    /// <summary>Piece <paramref name="index"/> is verified (under _lock): reported once, then each file it completes.</summary>
    private void VerifiedLocked(int index)
    {
        if (_pieces.Has(index)) return;
        if (_run is not null && _downloaded is null && _seedOnly is null && _selection.IsWanted(index)
            && _pieces.BytesDone + Torrent.GetPiecePayloadLength(index) >= _selection.WantedBytes)
        {
            _held = index; // the last wanted piece: it counts with the run's result (Downloaded), or at the run's end
            return;
        }
        _pieces.Set(index, _selection);
        Bump();
        _session.Report(AlertLocked(TorrentAlertKind.PieceFinished) with { Index = index });
        _pieces.CountFiles(index, f =>
        {
            if (!_selection.IsSkipped(f)) _session.Report(AlertLocked(TorrentAlertKind.FileCompleted) with { Index = f });
        });
        if (_pieces.All) _shown = null; // the last report's map is older than this piece: the map is the complete one now
    }

    /// <summary>Counts the piece held back for the run's result (under _lock), if any.</summary>
    private void ReleaseHeldLocked()
    {
        if (_held < 0) return;
        var held = _held;
        _held = -1;
        VerifiedLocked(held);
    }

    /// <summary>A run may write pieces: the swarm's signal of each written piece is heard (under _lock).</summary>
    private void ListenForWrittenPiecesLocked()
    {
        if (_pieces.All || _reads is not null) return; // every piece is here: nothing will be written
        _reads = _session.Session.Reads.Take(Torrent.InfoHash);
        _reads.PieceWritten += OnPieceWritten;
    }

    /// <summary>The run ended, or the handle left its session: written pieces are no longer heard (under _lock).</summary>
    private void StopListeningLocked()
    {
        if (_reads is null) return;
        _reads.PieceWritten -= OnPieceWritten;
        _session.Session.Reads.Release(Torrent.InfoHash, _reads);
        _reads = null;
    }

    /// <summary>The swarm wrote a piece: reported at once, in the order pieces are written (a run's progress reports
    /// come about once a second, and list pieces by index).</summary>
    private void OnPieceWritten(int piece)
    {
        lock (_lock)
        {
            // A piece written: the run downloads, whether or not its first progress report came yet (a small torrent
            // on a busy machine may be whole before it does).
            if (State == TorrentState.Checking && _run is not null) SetState(TorrentState.Downloading);
            VerifiedLocked(piece);
        }
    }
}
