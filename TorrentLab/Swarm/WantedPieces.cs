using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>What the download wants and what of it is written: the pieces on disk (served, announced with
/// <c>have</c>, listed in the resume ledger), the file selection a running download may change, and the counts its
/// progress and announces report (BEP 3's <c>left</c>, BEP 21's partial seed).</summary>
internal sealed class WantedPieces
{
    private readonly Torrent _torrent;
    private readonly Lock _lock = new();
    private readonly Bitfield _written; // guarded by _lock
    private PieceSelection _selection; // replaced whole by TrySet, under _lock
    private int _wantedWritten; // wanted pieces written; guarded by _lock
    private bool _completing;   // the last wanted piece was written: the selection no longer changes; under _lock
    private long _writtenBytes, _wantedWrittenBytes;

    public WantedPieces(Torrent torrent, Bitfield have, PieceSelection selection)
    {
        _torrent = torrent;
        _selection = selection;
        _written = Bitfield.FromWire(have.ToBytes(), have.Length);
        foreach (var i in have.SetIndexes()) _writtenBytes += torrent.GetPieceLength(i);
        (_wantedWritten, _wantedWrittenBytes) = selection.WantedIn(have, torrent);
    }

    /// <summary>The pieces wanted (from the files' priorities), as set last.</summary>
    public PieceSelection Selection => _selection;

    /// <summary>Every wanted piece was on disk from the start.</summary>
    public bool DoneAtStart => _wantedWritten == _selection.WantedCount;

    /// <summary>True when piece <paramref name="index"/> is written and may be served.</summary>
    public bool CanServe(int index) { lock (_lock) return _written[index]; }

    /// <summary>The pieces on disk: what the resume ledger may list.</summary>
    public Bitfield Snapshot() { lock (_lock) return Bitfield.FromWire(_written.ToBytes(), _written.Length); }

    /// <summary>True when every piece is written (a full seed, not a partial one).</summary>
    public bool HasEveryPiece { get { lock (_lock) return _written.IsComplete; } }

    /// <summary>The wanted pieces written, and their payload bytes (for the progress report).</summary>
    public (int Pieces, long Bytes) WantedWritten
    {
        get
        {
            int done;
            lock (_lock) done = _wantedWritten;
            return (done, Interlocked.Read(ref _wantedWrittenBytes));
        }
    }

    // BEP 3's "left": what this download still wants (the skipped files' bytes are not coming).
    // BEP 21: a partial seed (nothing more wanted, not everything held) announces what it lacks, with event=paused,
    // so a tracker counts it as incomplete but not downloading.
    /// <summary>The bytes still to come, and whether we are a partial seed (<paramref name="downloading"/> is false and
    /// some skipped pieces are not here).</summary>
    public (long Left, bool PartialSeed) Left(bool downloading)
    {
        if (!downloading && !HasEveryPiece) return (Math.Max(0, _torrent.TotalLength - Interlocked.Read(ref _writtenBytes)), true);
        return (_selection.WantedBytes - Interlocked.Read(ref _wantedWrittenBytes), false);
    }

    /// <summary>Piece <paramref name="index"/> is on disk; true when it was the last wanted one.</summary>
    public bool Written(int index)
    {
        bool complete;
        lock (_lock)
        {
            var wanted = _written.Set(index) && _selection.IsWanted(index);
            if (wanted)
            {
                _wantedWritten++;
                Interlocked.Add(ref _wantedWrittenBytes, _torrent.GetPiecePayloadLength(index));
            }
            complete = wanted && _wantedWritten == _selection.WantedCount;
            _completing |= complete;
        }
        Interlocked.Add(ref _writtenBytes, _torrent.GetPieceLength(index));
        return complete;
    }

    /// <summary>Takes a new selection: the piece manager and the storage layout want what it wants from now on.</summary>
    /// <param name="selection">The pieces wanted from now on.</param>
    /// <param name="layout">The storage layout, which creates a file made wanted.</param>
    /// <param name="pieces">The piece manager, told under the lock: a piece written now counts under one selection.</param>
    /// <param name="mayChange">Read under the lock: the download still runs.</param>
    /// <returns>Null, and nothing changed, when <paramref name="mayChange"/> says no or the last wanted piece was
    /// written; else whether the written pieces already satisfy the new selection.</returns>
    public bool? TrySet(PieceSelection selection, StorageLayout layout, PieceManager pieces, Func<bool> mayChange)
    {
        lock (_lock)
        {
            if (!mayChange() || _completing) return null;
            return SetLocked(selection, layout, pieces);
        }
    }

    /// <summary>A completed download comes to want more (a file it skipped is now wanted): the selection is set, and the
    /// download goes on; false, with nothing changed, when <paramref name="selection"/> wants no piece not written.</summary>
    public bool TryWantMore(PieceSelection selection, StorageLayout layout, PieceManager pieces)
    {
        lock (_lock)
        {
            if (selection.WantedIn(_written, _torrent).Pieces == selection.WantedCount) return false;
            _completing = false;
            return !SetLocked(selection, layout, pieces);
        }
    }

    /// <summary>Sets the selection (under _lock); true when every wanted piece is written.</summary>
    private bool SetLocked(PieceSelection selection, StorageLayout layout, PieceManager pieces)
    {
        _selection = selection;
        layout.Selection = selection;
        var (count, bytes) = selection.WantedIn(_written, _torrent);
        _wantedWritten = count;
        Interlocked.Exchange(ref _wantedWrittenBytes, bytes);
        var complete = count == selection.WantedCount;
        _completing |= complete;
        pieces.SetSelection(selection);
        return complete;
    }
}
