using TorrentLab.Pieces;

namespace TorrentLab.Web;

// Streaming one file of a torrent of the web interface while it downloads (the route: TorrentApi.Stream.cs).
internal sealed partial class ManagedTorrent
{
    /// <summary>Opens file <paramref name="number"/> (numbered from 1 as <see cref="Files"/> gives them) as a seekable
    /// stream that reads while the torrent downloads (the handle's <see cref="Client.TorrentHandle.OpenReadAsync"/>: the
    /// pieces under and ahead of the read position first, each read waiting for its piece).</summary>
    /// <param name="number">The file's number.</param>
    /// <returns>The stream, and the file's path in the torrent (for its content type).</returns>
    /// <exception cref="WebApiException">404: no such file. 409: the file is skipped, or the torrent is not running and
    /// the file is not complete (a read would wait for pieces nobody fetches), or its data is moving.</exception>
    public async Task<(Stream Stream, string Path)> OpenFileAsync(int number)
    {
        var userFiles = Enumerable.Range(0, Torrent.Files.Count).Where(i => !Torrent.Files[i].IsPadding).ToArray();
        if (number < 1 || number > userFiles.Length)
            throw new WebApiException(404, $"file {number} is out of range: the torrent has {userFiles.Length} file(s), numbered from 1");
        var index = userFiles[number - 1];
        var file = Torrent.Files[index];
        if (Handle.FilePriorities[index] == FilePriority.Skip)
            throw new WebApiException(409, $"file {number} is skipped: set its priority to stream it");
        var state = State;
        if (state is TorrentState.Moving or TorrentState.Checking)
            throw new WebApiException(409, $"the torrent is {(state == TorrentState.Moving ? "moving its data" : "checking its data")}: stream file {number} once it is done");
        if (state is not (TorrentState.Downloading or TorrentState.Seeding) && !IsComplete(file, Handle.Pieces))
            throw new WebApiException(409, $"the torrent is {state.ToString().ToLowerInvariant()} and file {number} is not complete: start it to stream the file");
        return (await Handle.OpenReadAsync(index).ConfigureAwait(false), file.DisplayPath);
    }

    private bool IsComplete(Metainfo.TorrentFile file, Downloads.PieceStates pieces)
    {
        if (file.Length == 0) return true;
        var first = (int)(file.Offset / Torrent.PieceLength);
        var last = (int)((file.Offset + file.Length - 1) / Torrent.PieceLength);
        for (var i = first; i <= last; i++) if (pieces[i] != Downloads.PieceState.Verified) return false;
        return true;
    }
}
