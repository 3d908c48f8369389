using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>The pieces known verified, the files they complete, and the alerts of both.</summary>
public sealed partial class TorrentHandle
{
    private Bitfield? _verified; // the pieces known verified; null: every piece (a complete torrent keeps no bit per piece)
    private int[]? _missing;     // per file, its pieces not verified yet; null when every piece is
    private long _bytesDone;     // wanted payload bytes verified
    private PieceStates? _shown; // the running download's map (requested and failed pieces); after a run, its failed ones
    private ReadDemand? _reads; // the written-piece signal, heard while a run may write pieces
    private int _held = -1;     // the piece that completes the wanted ones, verified before the run said what it did

    /// <summary>Pieces verified on disk, as last reported.</summary>
    public int PiecesDone { get { lock (_lock) return _verified?.Count ?? Torrent.PieceCount; } }

    /// <summary>Payload bytes of the wanted pieces verified (the whole torrent's when no file is skipped).</summary>
    public long BytesDone { get { lock (_lock) return _bytesDone; } }

    /// <summary>Payload bytes of the pieces its file priorities want.</summary>
    public long WantedBytes { get { lock (_lock) return _selection.WantedBytes; } }

    /// <summary>Every piece's state: verified, and while it downloads, requested or failed (a piece whose last copy
    /// failed its hash stays shown as failed after the run, until a good copy verifies).</summary>
    public PieceStates Pieces
    {
        get
        {
            lock (_lock)
                return _shown ?? (_verified is null ? PieceStates.AllVerified(Torrent.PieceCount) : PieceStates.From(_verified));
        }
    }

    /// <summary>True when every piece its file priorities want is verified.</summary>
    /// <remarks>A running torrent's last wanted piece counts once its run said what it did: <see cref="Result"/> is set
    /// first (the piece is verified and written a moment before; the alerts of both come then).</remarks>
    public bool IsComplete { get { lock (_lock) return CompleteLocked; } }

    private bool CompleteLocked => _verified is null || _selection.IsDoneIn(_verified);

    /// <summary>Starts from <paramref name="known"/> (the ledger's map, or the caller's), reporting nothing.</summary>
    private void KnowLocked(PieceStates known)
    {
        if (known.Count != Torrent.PieceCount)
            throw new ArgumentException($"the piece map has {known.Count} pieces, the torrent {Torrent.PieceCount}", nameof(known));
        var verified = known.Verified();
        _verified = verified.IsComplete ? null : verified;
        _missing = _verified is null ? null : MissingPerFile(_verified);
        _bytesDone = WantedBytesVerifiedLocked();
    }

    /// <summary>Forgets every piece (a recheck starts from nothing and reports what it finds).</summary>
    private void ForgetPiecesLocked()
    {
        _verified = new Bitfield(Torrent.PieceCount);
        _missing = MissingPerFile(_verified);
        _bytesDone = 0;
        _shown = null;
        Bump();
    }

    /// <summary>Per file, how many of its pieces <paramref name="verified"/> lacks (pad and empty files: none).</summary>
    private int[] MissingPerFile(Bitfield verified)
    {
        var missing = new int[Torrent.Files.Count];
        for (var f = 0; f < missing.Length; f++)
        {
            if (!HasPieces(f, out var first, out var last)) continue;
            for (var i = first; i <= last; i++) if (!verified[i]) missing[f]++;
        }
        return missing;
    }

    /// <summary>The pieces of file <paramref name="file"/>; false for a pad file or an empty one (complete from the start).</summary>
    private bool HasPieces(int file, out int first, out int last)
    {
        var f = Torrent.Files[file];
        first = (int)(f.Offset / Torrent.PieceLength);
        last = f.Length == 0 ? first - 1 : (int)((f.Offset + f.Length - 1) / Torrent.PieceLength);
        return !f.IsPadding && f.Length > 0;
    }

    private long WantedBytesVerifiedLocked()
    {
        if (_verified is null) return _selection.WantedBytes;
        var bytes = 0L;
        foreach (var i in _verified.SetIndexes()) if (_selection.IsWanted(i)) bytes += Torrent.GetPiecePayloadLength(i);
        return bytes;
    }

    /// <summary>The file priorities changed (under _lock): the wanted bytes are counted again, and a file now wanted
    /// whose pieces were all there already is reported complete.</summary>
    private void SelectionChangedLocked(PieceSelection selection)
    {
        var before = _selection;
        _selection = selection;
        _bytesDone = WantedBytesVerifiedLocked();
        ReleaseHeldLocked(); // the piece held as the last wanted one may be neither now: counted, or held again
        for (var f = 0; f < Torrent.Files.Count; f++)
            if (before.IsSkipped(f) && !selection.IsSkipped(f) && HasPieces(f, out _, out _) && (_missing is null || _missing[f] == 0))
                _session.Report(AlertLocked(TorrentAlertKind.FileCompleted) with { Index = f });
    }

    /// <summary>Marks the verified pieces of <paramref name="pieces"/> (under _lock), reporting those new.</summary>
    private void VerifiedLocked(PieceStates pieces)
    {
        if (_verified is null) return;
        foreach (var i in pieces.IndexesOf(PieceState.Verified))
        {
            VerifiedLocked(i);
            if (_verified is null) return;
        }
    }

    /// <summary>Every wanted piece is verified (a run completed): those not reported yet are finished now.</summary>
    private void AllWantedVerifiedLocked()
    {
        for (var i = 0; i < Torrent.PieceCount && _verified is not null; i++)
            if (_selection.IsWanted(i)) VerifiedLocked(i);
    }

    /// <summary>Piece <paramref name="index"/> is verified (under _lock): reported once, then each file it completes.</summary>
    private void VerifiedLocked(int index)
    {
        if (_verified is null || _verified[index]) return;
        if (_run is not null && _downloaded is null && _seedOnly is null && _selection.IsWanted(index)
            && _bytesDone + Torrent.GetPiecePayloadLength(index) >= _selection.WantedBytes)
        {
            _held = index; // the last wanted piece: it counts with the run's result (Downloaded), or at the run's end
            return;
        }
        _verified.Set(index);
        if (_selection.IsWanted(index)) _bytesDone += Torrent.GetPiecePayloadLength(index);
        Bump();
        _session.Report(AlertLocked(TorrentAlertKind.PieceFinished) with { Index = index });
        var start = (long)index * Torrent.PieceLength;
        var end = start + Torrent.GetPieceLength(index);
        for (var f = FirstFileAt(start); f < Torrent.Files.Count && Torrent.Files[f].Offset < end; f++)
        {
            if (!HasPieces(f, out _, out _) || --_missing![f] != 0) continue;
            if (!_selection.IsSkipped(f)) _session.Report(AlertLocked(TorrentAlertKind.FileCompleted) with { Index = f });
        }
        if (_verified.IsComplete)
        {
            _verified = null; // every piece: nothing more to count
            _missing = null;
        }
    }

    /// <summary>Counts the piece held back for the run's result (under _lock), if any.</summary>
    private void ReleaseHeldLocked()
    {
        if (_held < 0) return;
        var held = _held;
        _held = -1;
        VerifiedLocked(held);
    }

    /// <summary>The first file that ends after byte <paramref name="offset"/> of the torrent (files lie in order).</summary>
    private int FirstFileAt(long offset)
    {
        var (low, high) = (0, Torrent.Files.Count - 1);
        while (low < high)
        {
            var mid = (low + high) / 2;
            var file = Torrent.Files[mid];
            if (file.Offset + file.Length <= offset) low = mid + 1;
            else high = mid;
        }
        return low;
    }

    /// <summary>A run may write pieces: the swarm's signal of each written piece is heard (under _lock).</summary>
    private void ListenForWrittenPiecesLocked()
    {
        if (_verified is null || _reads is not null) return; // every piece is here: nothing will be written
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

    private bool IsVerified(int piece)
    {
        lock (_lock) return _verified is null || _verified[piece];
    }
}
