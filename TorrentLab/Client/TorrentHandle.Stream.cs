using TorrentLab.Pieces;

namespace TorrentLab.Client;

/// <summary>Reading a file of the torrent while it downloads (<see cref="TorrentFileStream"/>).</summary>
public sealed partial class TorrentHandle
{
    /// <summary>Opens file <paramref name="fileIndex"/> (<see cref="Metainfo.Torrent.Files"/> order) as a seekable,
    /// read-only stream that reads while the torrent downloads: the pieces under the read position and those of the
    /// next 4 MiB (the readahead) are fetched before any other, and a read waits until the piece under it is verified
    /// and written, then returns its bytes from disk. A file already downloaded reads straight from disk.</summary>
    /// <remarks>
    /// <para>A skipped file is made wanted first (<see cref="FilePriority.Normal"/>, through
    /// <see cref="SetFilePrioritiesAsync"/>, which restarts a running torrent once). A read waits while the torrent is
    /// paused, until it runs again or the read's token is cancelled. Disposing the stream drops its readahead: the
    /// torrent goes back to its usual order (rarest first, or sequential).</para>
    /// <para>The stream reads the file where it is when opened: after <see cref="MoveDataAsync"/>, open it again.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">No such file.</exception>
    /// <exception cref="ArgumentException">The file is a pad file (BEP 47), which has no data of its own.</exception>
    public async Task<Stream> OpenReadAsync(int fileIndex, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, Torrent.Files.Count);
        var priorities = FilePriorities;
        if (priorities[fileIndex] == FilePriority.Skip && !Torrent.Files[fileIndex].IsPadding)
        {
            ct.ThrowIfCancellationRequested();
            await SetFilePrioritiesAsync([.. priorities.Select((p, i) => i == fileIndex ? FilePriority.Normal : p)]).ConfigureAwait(false);
        }
        Wire.Bitfield onDisk;
        string folder;
        lock (_lock)
        {
            onDisk = _verified is null ? Wire.Bitfield.Full(Torrent.PieceCount) : Wire.Bitfield.FromWire(_verified.ToBytes(), _verified.Length);
            folder = _options.OutputDirectory;
        }
        return TorrentFileStream.Open(_session.Session, Torrent, folder, fileIndex, onDisk, IsVerified);
    }

    /// <summary>The handle left its session: it no longer hears written pieces.</summary>
    internal void Removed()
    {
        lock (_lock) StopListeningLocked();
    }
}
