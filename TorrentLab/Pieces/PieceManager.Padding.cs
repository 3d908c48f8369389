using TorrentLab.Metainfo;

namespace TorrentLab.Pieces;

// BEP 47 pad files (and a v2 torrent's alignment gaps) are zeros that exist only in the piece stream: a block that
// lies wholly inside padding is never requested, it is filled with zeros when its piece starts and counts as received.
// A hybrid torrent (BEP 52) pads after every file, so without this a third of a small-file torrent's requests would
// fetch zeros. The SHA-1 still covers the zeros, as the creator hashed them.
internal sealed partial class PieceManager
{
    private (long Start, long End)[]? _padding; // merged runs of pad files in the stream, in order; null when none

    private static (long Start, long End)[]? PaddingRuns(Torrent torrent)
    {
        var runs = new List<(long Start, long End)>();
        foreach (var file in torrent.Files)
        {
            if (!file.IsPadding || file.Length == 0) continue;
            if (runs.Count > 0 && runs[^1].End == file.Offset) runs[^1] = (runs[^1].Start, file.Offset + file.Length);
            else runs.Add((file.Offset, file.Offset + file.Length));
        }
        return runs.Count == 0 ? null : [.. runs];
    }

    /// <summary>Marks the piece's blocks that hold nothing but padding as received zeros; a piece of nothing but
    /// padding is left to download normally (no valid torrent has one).</summary>
    private void FillPadding(ActivePiece piece)
    {
        if (_padding is null) return;
        var pieceStart = (long)piece.Index * _torrent.PieceLength;
        var pad = new bool[piece.Blocks.Length];
        var count = 0;
        for (var b = 0; b < pad.Length; b++)
        {
            var request = piece.Request(b);
            count += (pad[b] = IsPadding(pieceStart + request.Begin, request.Length)) ? 1 : 0;
        }
        if (count == 0 || count == pad.Length) return;
        for (var b = 0; b < pad.Length; b++)
        {
            if (!pad[b]) continue;
            piece.BlockData(b).Clear();
            piece.Blocks[b].Received = true;
            piece.Received++;
            piece.Unrequested--;
        }
    }

    private bool IsPadding(long start, int length)
    {
        var runs = _padding!;
        var (lo, hi) = (0, runs.Length - 1);
        while (lo <= hi) // the last run starting at or before `start`
        {
            var mid = (lo + hi) / 2;
            if (runs[mid].Start <= start) lo = mid + 1;
            else hi = mid - 1;
        }
        return hi >= 0 && runs[hi].End >= start + length;
    }
}
