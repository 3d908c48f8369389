using Microsoft.Win32.SafeHandles;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>One file of a torrent as a seekable, read-only stream that reads while the torrent downloads
/// (<see cref="TorrentHandle.OpenReadAsync"/>), as anacrolix/torrent's <c>Reader</c>.</summary>
/// <remarks>
/// <para>A read maps the position to the piece under it (the file's offset in the torrent's byte stream plus the
/// position, over the piece length: BEP 3 cuts pieces from all files laid end to end, so a file's first and last
/// piece may be shared with its neighbours) and returns bytes of that piece only, once it is verified and written:
/// it waits on the swarm's written-piece signal (<see cref="ReadDemand"/>), never polls. The bytes come from the file
/// on disk, where the swarm wrote them.</para>
/// <para>Readahead: the pieces under the position and those holding the next readahead bytes (the handle's
/// <see cref="TorrentHandle.Readahead"/>, <see cref="ReadaheadBytes"/> unless set) are this stream's window, which the swarm starts before any other wanted piece. Seeking moves the window at once, so the
/// pieces at the new position are asked for before the first read there. Disposing drops the window.</para>
/// <para>A piece of a file the torrent does not want is never fetched: the handle makes a skipped file wanted when it
/// opens it. While the torrent is paused a read waits until it runs again (or its cancellation token fires).</para>
/// </remarks>
internal sealed class TorrentFileStream : Stream
{
    /// <summary>How far ahead of the read position pieces are fetched first: 4 MiB is about 2 s of a 15 Mbit/s video
    /// (a film at 1080p), enough that a player reading at that rate finds the next pieces written, yet few enough
    /// pieces (16 of 256 KiB) that the rest of the torrent is not starved.</summary>
    public const int ReadaheadBytes = 4 << 20;

    private readonly Lock _lock = new();
    private readonly Session _session;
    private readonly Torrent _torrent;
    private readonly TorrentFile _file;
    private readonly string _path;
    private readonly ReadDemand _demand;
    private readonly Func<int, bool>? _known;  // what the caller knows is on disk now (a handle's verified pieces)
    private readonly Func<long>? _readahead;   // the readahead in bytes, read at each move of the window; null: ReadaheadBytes
    private readonly Bitfield _seen;           // on disk when opened, and written since (guarded by _lock)
    private SafeFileHandle? _handle;           // opened at the first read (the file may not exist before its first piece)
    private long _position;
    private bool _disposed;

    /// <summary>Opens file <paramref name="fileIndex"/> of <paramref name="torrent"/>, saved below <paramref name="folder"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such file.</exception>
    /// <exception cref="ArgumentException">A pad file (BEP 47).</exception>
    /// <exception cref="StorageException">The file's path would leave the folder.</exception>
    public static TorrentFileStream Open(Session session, Torrent torrent, string folder, int fileIndex, Bitfield onDisk, Func<int, bool>? known,
        Func<long>? readahead = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfNegative(fileIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fileIndex, torrent.Files.Count);
        if (torrent.Files[fileIndex].IsPadding)
            throw new ArgumentException($"file {fileIndex} is a pad file (BEP 47): it has no data of its own to read", nameof(fileIndex));
        var path = new StorageLayout(torrent, folder).FullPaths[fileIndex];
        return new TorrentFileStream(session, torrent, fileIndex, path, onDisk, known, readahead);
    }

    /// <param name="session">The session the torrent runs in (its streams' windows and written-piece signal).</param>
    /// <param name="torrent">The torrent.</param>
    /// <param name="fileIndex">The file, in <see cref="Torrent.Files"/> order.</param>
    /// <param name="path">The file's full path on disk.</param>
    /// <param name="onDisk">The pieces verified on disk when the stream opens.</param>
    /// <param name="known">Asked, when a piece is not known yet, whether it is on disk by now; null: nothing more.</param>
    /// <param name="readahead">The readahead in bytes, asked at each move of the window; null: <see cref="ReadaheadBytes"/>.</param>
    private TorrentFileStream(Session session, Torrent torrent, int fileIndex, string path, Bitfield onDisk, Func<int, bool>? known = null,
        Func<long>? readahead = null)
    {
        _readahead = readahead;
        _session = session;
        _torrent = torrent;
        _file = torrent.Files[fileIndex];
        _path = path;
        _known = known;
        _seen = Bitfield.FromWire(onDisk.ToBytes(), onDisk.Length);
        _demand = session.Reads.Take(torrent.InfoHash);
        _demand.PieceWritten += OnWritten;
        MoveWindow();
    }

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;

    /// <inheritdoc/>
    public override bool CanSeek => !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <summary>The file's length, as the torrent gives it (whether downloaded or not).</summary>
    public override long Length => _file.Length;

    /// <summary>Where the next read starts; setting it moves the readahead window there.</summary>
    public override long Position
    {
        get => Volatile.Read(ref _position);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ObjectDisposedException.ThrowIf(_disposed, this);
            Volatile.Write(ref _position, value);
            MoveWindow();
        }
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "expected Begin, Current or End"),
        };
        if (target < 0) throw new IOException($"cannot seek to {target}: before the start of '{_file.DisplayPath}'");
        Position = target;
        return target;
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads as <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, blocking the calling thread while it waits.</summary>
    public override int Read(Span<byte> buffer)
    {
        var copy = new byte[buffer.Length];
        var n = ReadAsync(copy, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        copy.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads from the position up to the end of the piece under it: waits until that piece is verified and
    /// written, then returns its bytes from disk (0 at the end of the file).</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; the position is unchanged.</exception>
    /// <exception cref="IOException">The file cannot be read (moved or deleted meanwhile, or shorter than the torrent says).</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var position = Position;
        if (buffer.Length == 0 || position >= Length) return 0;
        var at = _file.Offset + position; // in the torrent's byte stream
        var piece = (int)(at / _torrent.PieceLength);
        var inPiece = (piece + 1L) * _torrent.PieceLength - at;
        var count = (int)Math.Min(buffer.Length, Math.Min(inPiece, Length - position));
        await _demand.WhenOnDiskAsync(piece, IsOnDisk, cancellationToken).ConfigureAwait(false);
        var handle = Handle();
        var done = 0;
        while (done < count)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer.Slice(done, count - done), position + done, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException($"'{_file.DisplayPath}' ends at {position + done} bytes on disk, the torrent says {Length}");
            done += n;
        }
        // A seek meanwhile wins: the position moves on only from where this read began.
        Interlocked.CompareExchange(ref _position, position + done, position);
        MoveWindow();
        return done;
    }

    private SafeFileHandle Handle()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Shared with the swarm's writes (and a move or delete of the torrent's data).
            return _handle ??= File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
    }

    private bool IsOnDisk(int piece)
    {
        lock (_lock) if (_seen[piece]) return true;
        if (_known?.Invoke(piece) != true) return false;
        lock (_lock) _seen.Set(piece);
        return true;
    }

    private void OnWritten(int piece)
    {
        lock (_lock) _seen.Set(piece);
    }

    /// <summary>The window: the piece under the position to the one holding the last byte of the readahead; none past
    /// the end (a read there returns 0 at once).</summary>
    private void MoveWindow()
    {
        lock (_lock)
        {
            if (_disposed) return;
            var position = Position;
            if (position >= Length)
            {
                _demand.ClearWindow(this);
                return;
            }
            var ahead = Math.Max(0, _readahead?.Invoke() ?? ReadaheadBytes);
            var end = (ahead >= Length - position ? Length : position + Math.Max(1, ahead)) - 1; // 0: the piece under the position only
            var first = (int)((_file.Offset + position) / _torrent.PieceLength);
            var last = (int)((_file.Offset + end) / _torrent.PieceLength);
            // Only pieces not on disk yet: a file already there asks for nothing.
            while (first <= last && _seen[first]) first++;
            if (first > last) _demand.ClearWindow(this);
            else _demand.SetWindow(this, new PieceRange(first, last));
        }
    }

    /// <inheritdoc/>
    public override void Flush() { }

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("a torrent's file is read-only: its length is the torrent's");

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a torrent's file is read-only");

    /// <summary>Drops the readahead window (its pieces go back to the torrent's usual order) and closes the file.</summary>
    protected override void Dispose(bool disposing)
    {
        SafeFileHandle? handle;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            handle = _handle;
        }
        _demand.ClearWindow(this);
        _demand.PieceWritten -= OnWritten;
        _session.Reads.Release(_torrent.InfoHash, _demand);
        handle?.Dispose();
        base.Dispose(disposing);
    }
}
