using TorrentLab.Metainfo;

namespace TorrentLab.Pieces;

/// <summary>Where a torrent's BEP 47 pad files (and a v2 torrent's alignment gaps) lie in its piece stream, as merged
/// runs in order; asked whether a block lies wholly inside them.</summary>
internal sealed class PaddingMap
{
    private readonly (long Start, long End)[] _runs;

    private PaddingMap((long Start, long End)[] runs) => _runs = runs;

    /// <summary>The padding of <paramref name="torrent"/>; null when it has none.</summary>
    public static PaddingMap? Of(Torrent torrent)
    {
        var runs = new List<(long Start, long End)>();
        foreach (var file in torrent.Files)
        {
            if (!file.IsPadding || file.Length == 0) continue;
            if (runs.Count > 0 && runs[^1].End == file.Offset) runs[^1] = (runs[^1].Start, file.Offset + file.Length);
            else runs.Add((file.Offset, file.Offset + file.Length));
        }
        return runs.Count == 0 ? null : new PaddingMap([.. runs]);
    }

    /// <summary>True when the <paramref name="length"/> bytes at stream offset <paramref name="start"/> are all padding.</summary>
    public bool Covers(long start, int length)
    {
        var (lo, hi) = (0, _runs.Length - 1);
        while (lo <= hi) // the last run starting at or before `start`
        {
            var mid = (lo + hi) / 2;
            if (_runs[mid].Start <= start) lo = mid + 1;
            else hi = mid - 1;
        }
        return hi >= 0 && _runs[hi].End >= start + length;
    }
}
