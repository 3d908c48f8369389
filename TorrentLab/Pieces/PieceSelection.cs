using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Which pieces a download wants, and how much: each piece takes the highest priority of the files whose
/// bytes it holds (pad files do not count), so a piece shared by a skipped file and a wanted one is fetched.</summary>
/// <remarks><code>
/// files:   |--- a.bin (skip) ---|-- b.bin (high) --|------ c.bin (skip) ------|
/// pieces:  |   0   |   1   |   2   |   3   |   4   |   5   |   6   |   7   |
/// wanted:   skip    skip    high    high    high    skip    skip    skip
/// </code>Pieces 2 and 4 also hold bytes of a.bin and c.bin: those bytes are written where they belong.</remarks>
public sealed class PieceSelection
{
    private const int SharedListsUpTo = 64; // files: the all-normal priority lists of torrents this small are shared
    private static readonly FilePriority[]?[] NormalLists = new FilePriority[]?[SharedListsUpTo + 1];
    private readonly byte[]? _rank; // per piece: the highest FilePriority of its files (0: skip); null: every piece Normal
    private readonly int _wantedCount;
    private readonly long _wantedBytes;

    private PieceSelection(Torrent torrent, FilePriority[] files)
    {
        var rank = new byte[torrent.PieceCount];
        for (var f = 0; f < files.Length; f++)
        {
            var file = torrent.Files[f];
            if (file.IsPadding || file.Length == 0 || files[f] == FilePriority.Skip) continue;
            var first = (int)(file.Offset / torrent.PieceLength);
            var last = (int)((file.Offset + file.Length - 1) / torrent.PieceLength);
            for (var p = first; p <= last; p++) rank[p] = Math.Max(rank[p], (byte)files[f]);
        }
        var levels = new HashSet<byte>();
        for (var p = 0; p < rank.Length; p++)
        {
            if (rank[p] == 0) continue;
            levels.Add(rank[p]);
            _wantedCount++;
            _wantedBytes += torrent.GetPiecePayloadLength(p);   // padding is not payload (BEP 47)
        }
        HasLevels = levels.Count > 1;
        IsEverything = _wantedCount == torrent.PieceCount;
        // The whole torrent at normal priority (what nearly every torrent of a long-running client is) keeps no per-piece
        // array and shares its per-file list: ten thousand seeding torrents, or one of a million pieces, hold none.
        var allNormal = files.All(p => p == FilePriority.Normal);
        _rank = IsEverything && allNormal && Array.TrueForAll(rank, r => r == (byte)FilePriority.Normal) ? null : rank;
        Files = allNormal ? NormalList(files) : files;
    }

    private static FilePriority[] NormalList(FilePriority[] made) =>
        made.Length > SharedListsUpTo ? made : Interlocked.CompareExchange(ref NormalLists[made.Length], made, null) ?? made;

    /// <summary>Every file at normal priority: the whole torrent.</summary>
    public static PieceSelection All(Torrent torrent) =>
        new(torrent, Enumerable.Repeat(FilePriority.Normal, torrent.Files.Count).ToArray());

    /// <summary>The selection for one priority per file of <paramref name="torrent"/> (in <see cref="Torrent.Files"/>
    /// order, pad files included and ignored); null means <see cref="All"/>.</summary>
    /// <exception cref="ArgumentException">The list does not have one entry per file, or holds an unknown value.</exception>
    public static PieceSelection For(Torrent torrent, IReadOnlyList<FilePriority>? files)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        if (files is null) return All(torrent);
        if (files.Count != torrent.Files.Count)
            throw new ArgumentException($"expected one priority per file ({torrent.Files.Count}), got {files.Count}", nameof(files));
        foreach (var p in files)
            if (!Enum.IsDefined(p)) throw new ArgumentException($"unknown file priority {(int)p}", nameof(files));
        return new PieceSelection(torrent, [.. files]);
    }

    /// <summary>The priority of each file, in torrent order.</summary>
    public IReadOnlyList<FilePriority> Files { get; }

    /// <summary>True when every piece is wanted (nothing skipped).</summary>
    public bool IsEverything { get; }

    /// <summary>True when the wanted pieces have more than one priority, so the picker works level by level.</summary>
    public bool HasLevels { get; }

    /// <summary>Pieces wanted.</summary>
    public int WantedCount => _wantedCount;

    /// <summary>File bytes of the wanted pieces, padding left out (what "complete" means for this download).</summary>
    public long WantedBytes => _wantedBytes;

    /// <summary>The priority of piece <paramref name="index"/>: the highest of its files'.</summary>
    public FilePriority Rank(int index) => _rank is null ? FilePriority.Normal : (FilePriority)_rank[index];

    /// <summary>True when piece <paramref name="index"/> is to be downloaded.</summary>
    public bool IsWanted(int index) => _rank is null || _rank[index] != 0;

    /// <summary>True when file <paramref name="file"/> is skipped.</summary>
    public bool IsSkipped(int file) => Files[file] == FilePriority.Skip;

    /// <summary>The wanted bytes and the number of skipped files (pad files aside) when any file is skipped; null when none is.</summary>
    public (long Bytes, int SkippedFiles)? Skipping(Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        var skipped = Enumerable.Range(0, Files.Count).Count(i => Files[i] == FilePriority.Skip && !torrent.Files[i].IsPadding);
        return skipped == 0 ? null : (_wantedBytes, skipped);
    }

    /// <summary>How many wanted pieces <paramref name="have"/> holds, and their file bytes (padding left out).</summary>
    public (int Pieces, long Bytes) WantedIn(Bitfield have, Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(have);
        var (count, bytes) = (0, 0L);
        foreach (var i in have.SetIndexes())
        {
            if (!IsWanted(i)) continue;
            count++;
            bytes += torrent.GetPiecePayloadLength(i);
        }
        return (count, bytes);
    }

    /// <summary>True when <paramref name="have"/> holds every wanted piece.</summary>
    public bool IsDoneIn(Bitfield have)
    {
        ArgumentNullException.ThrowIfNull(have);
        if (IsEverything) return have.IsComplete;
        for (var i = 0; i < _rank!.Length; i++) if (_rank[i] != 0 && !have[i]) return false;
        return true;
    }
}
