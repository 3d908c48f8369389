using TorrentLab.Pieces;

namespace TorrentLab.Client;

/// <summary>Reading a file of the torrent while it downloads (<see cref="TorrentFileStream"/>).</summary>
public sealed partial class TorrentHandle
{
    /// <summary>Opens file <paramref name="fileIndex"/> (<see cref="Metainfo.Torrent.Files"/> order) as a seekable,
    /// read-only stream that reads while the torrent downloads: the pieces under the read position and those of the
    /// next <see cref="Readahead"/> bytes (4 MiB unless set) are fetched before any other, and a read waits until the piece under it is verified
    /// and written, then returns its bytes from disk. A file already downloaded reads straight from disk.</summary>
    /// <remarks>
    /// <para>A skipped file is made wanted first (<see cref="FilePriority.Normal"/>, through
    /// <see cref="SetFilePrioritiesAsync"/>: live while it downloads or seeds with peers; a completed one starts again). A read waits while the torrent is
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
            onDisk = _pieces.Bits is { } verified ? Wire.Bitfield.FromWire(verified.ToBytes(), verified.Length) : Wire.Bitfield.Full(Torrent.PieceCount);
            folder = _options.OutputDirectory;
        }
        return TorrentFileStream.Open(_session.Session, Torrent, folder, fileIndex, onDisk,
            piece => { lock (_lock) return _pieces.Has(piece); }, () => Readahead);
    }

    private long _readahead = TorrentFileStream.ReadaheadBytes;

    /// <summary>How far ahead of a stream's read position (<see cref="OpenReadAsync"/>) pieces are fetched before any
    /// other, in bytes: 4 MiB unless set (about 2 s of a 15 Mbit/s film). More suits a fast reader or a slow swarm;
    /// 0 fetches only the piece under the position. A change reaches the streams open now at their next read or seek.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public long Readahead
    {
        get => Volatile.Read(ref _readahead);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _readahead, value);
        }
    }

    /// <summary>The handle left its session: it no longer hears written pieces.</summary>
    internal void Removed()
    {
        lock (_lock) StopListeningLocked();
    }
}
