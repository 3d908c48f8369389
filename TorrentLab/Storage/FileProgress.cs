using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>How complete one file is: how many of the pieces that hold its bytes are verified.</summary>
/// <param name="File">The torrent's file entry.</param>
/// <param name="VerifiedPieces">Verified pieces among those overlapping the file.</param>
/// <param name="TotalPieces">Pieces overlapping the file (a piece shared with a neighbour counts for both; 0 for an empty file).</param>
public sealed record FileProgress(TorrentFile File, int VerifiedPieces, int TotalPieces)
{
    /// <summary>True when every piece of the file is verified (an empty file is always complete).</summary>
    public bool IsComplete => VerifiedPieces == TotalPieces;

    /// <summary>0..100.</summary>
    public double Percent => TotalPieces == 0 ? 100 : 100.0 * VerifiedPieces / TotalPieces;

    /// <summary>The progress of every non-pad file of <paramref name="torrent"/>, in torrent order.</summary>
    public static IReadOnlyList<FileProgress> Compute(Torrent torrent, Bitfield have)
    {
        var list = new List<FileProgress>();
        foreach (var file in torrent.Files)
        {
            if (file.IsPadding) continue;
            if (file.Length == 0) { list.Add(new FileProgress(file, 0, 0)); continue; }
            var first = (int)(file.Offset / torrent.PieceLength);
            var last = (int)((file.Offset + file.Length - 1) / torrent.PieceLength);
            var verified = 0;
            for (var i = first; i <= last; i++) if (have[i]) verified++;
            list.Add(new FileProgress(file, verified, last - first + 1));
        }
        return list;
    }
}
