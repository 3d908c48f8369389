using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>A torrent's pieces known verified, the files they complete and the wanted bytes they hold, as its handle
/// counts them between runs and while one runs; not thread-safe (the handle calls it under its lock).</summary>
/// <remarks>A torrent whose every piece is verified keeps no bit per piece and no count per file: ten thousand
/// complete torrents hold nothing here.</remarks>
internal sealed class VerifiedPieces
{
    private readonly Torrent _layout; // the pieces and files (a rename moves files, never their offsets or lengths)
    private Bitfield? _verified; // null: every piece
    private int[]? _missing;     // per file, its pieces not verified yet; null when every piece is

    /// <summary>Starts from <paramref name="known"/> (the ledger's map, or the caller's).</summary>
    /// <exception cref="ArgumentException">The map is not one state per piece of the torrent.</exception>
    public VerifiedPieces(Torrent torrent, PieceStates known, PieceSelection selection)
    {
        _layout = torrent;
        if (known.Count != torrent.PieceCount)
            throw new ArgumentException($"the piece map has {known.Count} pieces, the torrent {torrent.PieceCount}", nameof(known));
        var verified = known.Verified();
        _verified = verified.IsComplete ? null : verified;
        _missing = _verified is null ? null : MissingPerFile(_verified);
        Recount(selection);
    }

    /// <summary>Payload bytes of the wanted pieces verified, for the selection last given.</summary>
    public long BytesDone { get; private set; }

    /// <summary>Pieces verified.</summary>
    public int Count => _verified?.Count ?? _layout.PieceCount;

    /// <summary>True when every piece is verified.</summary>
    public bool All => _verified is null;

    /// <summary>The verified pieces; null when every piece is.</summary>
    public Bitfield? Bits => _verified;

    /// <summary>True when piece <paramref name="index"/> is verified.</summary>
    public bool Has(int index) => _verified is null || _verified[index];

    /// <summary>True when every piece <paramref name="selection"/> wants is verified.</summary>
    public bool IsDoneFor(PieceSelection selection) => _verified is null || selection.IsDoneIn(_verified);

    /// <summary>Every piece's state: verified or not.</summary>
    public PieceStates Map() => _verified is null ? PieceStates.AllVerified(_layout.PieceCount) : PieceStates.From(_verified);

    /// <summary>Forgets every piece (a recheck starts from nothing).</summary>
    public void Forget()
    {
        _verified = new Bitfield(_layout.PieceCount);
        _missing = MissingPerFile(_verified);
        BytesDone = 0;
    }

    /// <summary>Counts the wanted bytes verified again, for a new <paramref name="selection"/>.</summary>
    public void Recount(PieceSelection selection)
    {
        if (_verified is null)
        {
            BytesDone = selection.WantedBytes;
            return;
        }
        var bytes = 0L;
        foreach (var i in _verified.SetIndexes()) if (selection.IsWanted(i)) bytes += _layout.GetPiecePayloadLength(i);
        BytesDone = bytes;
    }

    /// <summary>True when file <paramref name="file"/> has pieces (not a pad file, not empty) and all of them are verified.</summary>
    public bool FileComplete(int file) => HasPieces(file, out _, out _) && (_missing is null || _missing[file] == 0);

    /// <summary>Marks piece <paramref name="index"/> verified (not verified before) and counts its bytes when
    /// <paramref name="selection"/> wants it.</summary>
    public void Set(int index, PieceSelection selection)
    {
        _verified!.Set(index);
        if (selection.IsWanted(index)) BytesDone += _layout.GetPiecePayloadLength(index);
    }

    /// <summary>After <see cref="Set"/>: tells <paramref name="completed"/> each file piece <paramref name="index"/>
    /// completed, then lets go of the bits once every piece is verified.</summary>
    public void CountFiles(int index, Action<int> completed)
    {
        var start = (long)index * _layout.PieceLength;
        var end = start + _layout.GetPieceLength(index);
        for (var f = FirstFileAt(start); f < _layout.Files.Count && _layout.Files[f].Offset < end; f++)
        {
            if (!HasPieces(f, out _, out _) || --_missing![f] != 0) continue;
            completed(f);
        }
        if (_verified!.IsComplete)
        {
            _verified = null; // every piece: nothing more to count
            _missing = null;
        }
    }

    /// <summary>Per file, how many of its pieces <paramref name="verified"/> lacks (pad and empty files: none).</summary>
    private int[] MissingPerFile(Bitfield verified)
    {
        var missing = new int[_layout.Files.Count];
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
        var f = _layout.Files[file];
        first = (int)(f.Offset / _layout.PieceLength);
        last = f.Length == 0 ? first - 1 : (int)((f.Offset + f.Length - 1) / _layout.PieceLength);
        return !f.IsPadding && f.Length > 0;
    }

    /// <summary>The first file that ends after byte <paramref name="offset"/> of the torrent (files lie in order).</summary>
    private int FirstFileAt(long offset)
    {
        var (low, high) = (0, _layout.Files.Count - 1);
        while (low < high)
        {
            var mid = (low + high) / 2;
            var file = _layout.Files[mid];
            if (file.Offset + file.Length <= offset) low = mid + 1;
            else high = mid;
        }
        return low;
    }
}
