using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Web;

// Streaming one file of a torrent of the web interface while it downloads (the route: TorrentApi.Stream.cs).
internal sealed partial class ManagedTorrent
{
    /// <summary>Opens file <paramref name="number"/> (numbered from 1 as <see cref="Files"/> gives them) as a seekable
    /// stream that reads while the torrent downloads (<see cref="TorrentClient.OpenRead"/>: the pieces under and ahead
    /// of the read position first, each read waiting for its piece).</summary>
    /// <param name="number">The file's number.</param>
    /// <param name="folder">The torrent's save folder (absolute).</param>
    /// <returns>The stream, and the file's path in the torrent (for its content type).</returns>
    /// <exception cref="WebApiException">404: no such file. 409: the file is skipped, or the torrent is not running and
    /// the file is not complete (a read would wait for pieces nobody fetches), or its data is moving.</exception>
    public (Stream Stream, string Path) OpenFile(int number, string folder)
    {
        var userFiles = Enumerable.Range(0, Torrent.Files.Count).Where(i => !Torrent.Files[i].IsPadding).ToArray();
        if (number < 1 || number > userFiles.Length)
            throw new WebApiException(404, $"file {number} is out of range: the torrent has {userFiles.Length} file(s), numbered from 1");
        var index = userFiles[number - 1];
        var file = Torrent.Files[index];
        PieceStates pieces;
        lock (_lock)
        {
            pieces = _pieces;
            if (_selection.Files[index] == FilePriority.Skip)
                throw new WebApiException(409, $"file {number} is skipped: set its priority to stream it");
            if (State is TorrentState.Moving or TorrentState.Checking)
                throw new WebApiException(409, $"the torrent is {(State == TorrentState.Moving ? "moving its data" : "checking its data")}: stream file {number} once it is done");
            if (!IsRunning && !IsComplete(file, pieces))
                throw new WebApiException(409, $"the torrent is {StateName(State)} and file {number} is not complete: start it to stream the file");
        }
        if (Session is null) throw new WebApiException(409, "this torrent runs in a session of its own: its files cannot be streamed");
        return (TorrentClient.OpenRead(Session, Torrent, folder, index, pieces), file.DisplayPath);
    }

    private bool IsComplete(Metainfo.TorrentFile file, PieceStates pieces)
    {
        if (file.Length == 0) return true;
        var first = (int)(file.Offset / Torrent.PieceLength);
        var last = (int)((file.Offset + file.Length - 1) / Torrent.PieceLength);
        for (var i = first; i <= last; i++) if (pieces[i] != PieceState.Verified) return false;
        return true;
    }

    private static string StateName(TorrentState state) => state.ToString().ToLowerInvariant();
}
