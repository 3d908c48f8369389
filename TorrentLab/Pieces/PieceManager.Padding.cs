namespace TorrentLab.Pieces;

// BEP 47 pad files (and a v2 torrent's alignment gaps) are zeros that exist only in the piece stream: a block that
// lies wholly inside padding is never requested, it is filled with zeros when its piece starts and counts as received.
// A hybrid torrent (BEP 52) pads after every file, so without this a third of a small-file torrent's requests would
// fetch zeros. The SHA-1 still covers the zeros, as the creator hashed them.
internal sealed partial class PieceManager
{
    private readonly PaddingMap? _padding;

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
            count += (pad[b] = _padding.Covers(pieceStart + request.Begin, request.Length)) ? 1 : 0;
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
}
