using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Stores a torrent's pieces in its files below an output folder, laid out as the metainfo says
/// (BEP 3 single- and multi-file; a piece may span several files; BEP 47 pad files are never written; files skipped by
/// the layout's selection are created only to hold the bytes of pieces they share with wanted files).</summary>
/// <remarks>
/// <see cref="Open(Torrent, string, bool, FileOwnership)"/> creates the folders and every file at its final size (sparse: space is allocated as pieces
/// arrive, so nothing is ever held whole in memory). Files stay open as handles used with <see cref="RandomAccess"/>,
/// which makes every method safe to call from many threads at once. Beyond <see cref="MaxOpenFiles"/> files, the
/// rest are opened per access. Every path is checked to stay inside the output folder, symbolic links included.
/// </remarks>
public sealed class FileStorage : IPieceStorage
{
    /// <summary>Files kept open at once; a torrent with more opens the rest per access (file descriptors are finite).</summary>
    public const int MaxOpenFiles = 256;

    private readonly StorageLayout _layout;
    private readonly StorageFileOpener _open;
    private readonly bool _writable;
    private readonly IStorageFile?[] _files;
    private readonly HashSet<int> _dirtyUnopened = []; // written through a per-access handle: fsync them on flush
    private FileOwnership? _ownership; // which existing files may be resized: checked before each is opened
    private int _disposed;

    private FileStorage(StorageLayout layout, StorageFileOpener open, bool writable)
    {
        _layout = layout;
        _open = open;
        _writable = writable;
        _files = new IStorageFile?[layout.Torrent.Files.Count];
    }

    /// <summary>The torrent stored.</summary>
    public Torrent Torrent => _layout.Torrent;

    /// <summary>The output folder's full path.</summary>
    public string Root => _layout.Root;

    /// <summary>Opens (and by default creates and preallocates) the files of <paramref name="torrent"/> below
    /// <paramref name="outputDir"/>. An existing file of the wrong size is resized to the torrent's size, if
    /// <paramref name="ownership"/> allows it (never a file the torrent did not write and did not adopt).</summary>
    /// <param name="torrent">The torrent whose files to open.</param>
    /// <param name="outputDir">The output folder; multi-file torrents live in its subfolder named after the torrent.</param>
    /// <param name="readOnly">For seeding a finished download: files must exist and are never modified.</param>
    /// <param name="ownership">The checked ownership (<see cref="FileOwnership.CheckAsync"/>); null reads the ledger
    /// and refuses only to shrink a file it does not know.</param>
    /// <exception cref="StorageException">A path leaves the output folder, or a file cannot be created or opened.</exception>
    /// <exception cref="ForeignFileException">A file the torrent did not write is in the way.</exception>
    public static FileStorage Open(Torrent torrent, string outputDir, bool readOnly = false, FileOwnership? ownership = null) =>
        Open(new StorageLayout(torrent, outputDir), readOnly, ownership);

    /// <summary>Opens the files of the download laid out by <paramref name="layout"/>; <paramref name="have"/> (the pieces
    /// already verified on disk) tells the free-space check what still has to be written.</summary>
    internal static FileStorage Open(StorageLayout layout, bool readOnly = false, FileOwnership? ownership = null, Bitfield? have = null) =>
        OpenWith(layout, RandomAccessFile.Open, !readOnly, readOnly ? null : ownership ?? FileOwnership.Read(layout), have);

    internal static FileStorage OpenWith(StorageLayout layout, StorageFileOpener open, bool writable, FileOwnership? ownership = null,
        Bitfield? have = null)
    {
        var storage = new FileStorage(layout, open, writable) { _ownership = ownership };
        try
        {
            storage.OpenAll(have);
            return storage;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    private void OpenAll(Bitfield? have)
    {
        if (_writable) DiskSpace.EnsureCanFit(_layout, have);
        var files = _layout.Torrent.Files;
        var kept = 0;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].IsPadding) continue;
            if (_writable && _layout.IsSkipped(i)) continue; // created by the first shared piece written to it, if any
            var path = _layout.FullPaths[i];
            IStorageFile file;
            _ownership?.EnsureWritable(i);
            try
            {
                if (_writable) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                file = _open(path, _writable);
            }
            catch (Exception e) when (StorageErrors.IsIo(e))
            {
                if (Directory.Exists(path))
                    throw new StorageException($"'{files[i].DisplayPath}' is a directory, but the torrent stores a file there; move it away", inner: e);
                throw StorageErrors.Wrap(e, $"opening '{files[i].DisplayPath}'");
            }
            try
            {
                if (_writable && file.Length != files[i].Length) file.SetLength(files[i].Length);
            }
            catch (Exception e) when (StorageErrors.IsIo(e))
            {
                file.Dispose();
                throw StorageErrors.Wrap(e, $"allocating {files[i].Length} bytes for '{files[i].DisplayPath}'");
            }
            if (files[i].Length > 0 && kept++ < MaxOpenFiles) _files[i] = file;
            else file.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
    {
        if (!_writable) throw new InvalidOperationException("this storage was opened read-only");
        var length = Torrent.GetPieceLength(index);
        if (data.Length != length) throw new ArgumentException($"piece {index} is {length} bytes, got {data.Length}", nameof(data));
        foreach (var s in _layout.Segments(_layout.PieceOffset(index), length))
        {
            var entry = Torrent.Files[s.File];
            if (entry.IsPadding) continue; // BEP 47: pad files are zeros that exist only in the piece stream
            var what = $"writing piece {index} to '{entry.DisplayPath}' at offset {s.FileOffset}";
            var bytes = data.Slice(s.BufferOffset, s.Length);
            await UseFile(s.File, what, (f, c) => f.WriteAsync(bytes, s.FileOffset, c), cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default)
    {
        var length = Torrent.GetPieceLength(index);
        if (begin < 0 || buffer.Length > length - begin)
            throw new ArgumentOutOfRangeException(nameof(begin), $"bytes {begin}..{begin + buffer.Length} are outside piece {index} ({length} bytes)");
        foreach (var s in _layout.Segments(_layout.PieceOffset(index) + begin, buffer.Length))
        {
            var target = buffer.Slice(s.BufferOffset, s.Length);
            var entry = Torrent.Files[s.File];
            if (entry.IsPadding) { target.Span.Clear(); continue; }
            var what = $"reading piece {index} from '{entry.DisplayPath}' at offset {s.FileOffset}";
            await UseFile(s.File, what, async (f, c) =>
            {
                for (var done = 0; done < target.Length;)
                {
                    var n = await f.ReadAsync(target[done..], s.FileOffset + done, c).ConfigureAwait(false);
                    if (n == 0) throw new StorageException($"'{entry.DisplayPath}' ends before offset {s.FileOffset + done} {what}");
                    done += n;
                }
            }, cancellation).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellation = default)
    {
        if (!_writable) return ValueTask.CompletedTask;
        for (var i = 0; i < _files.Length; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var file = _files[i];
            try { file?.Flush(); }
            catch (Exception e) when (StorageErrors.IsIo(e)) { throw StorageErrors.Wrap(e, $"flushing '{Torrent.Files[i].DisplayPath}'"); }
        }
        int[] dirty;
        lock (_dirtyUnopened) { dirty = [.. _dirtyUnopened]; _dirtyUnopened.Clear(); }
        foreach (var i in dirty)
        {
            try
            {
                using var file = _open(_layout.FullPaths[i], writable: true);
                file.Flush();
            }
            catch (Exception e) when (StorageErrors.IsIo(e)) { throw StorageErrors.Wrap(e, $"flushing '{Torrent.Files[i].DisplayPath}'"); }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs <paramref name="action"/> on file <paramref name="index"/> (the kept handle, or one opened for
    /// this access) and wraps I/O failures with what was being done.</summary>
    private async ValueTask UseFile(int index, string what, Func<IStorageFile, CancellationToken, ValueTask> action, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var kept = _files[index];
        try
        {
            if (kept is not null)
            {
                await action(kept, cancellation).ConfigureAwait(false);
                return;
            }
            if (_writable && _layout.IsSkipped(index)) PrepareSkipped(index);
            using var file = _open(_layout.FullPaths[index], _writable);
            await action(file, cancellation).ConfigureAwait(false);
            if (_writable) lock (_dirtyUnopened) _dirtyUnopened.Add(index);
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            if (Directory.Exists(_layout.FullPaths[index]))
                throw new StorageException($"'{Torrent.Files[index].DisplayPath}' was replaced by a directory {what}", inner: e);
            throw StorageErrors.Wrap(e, what);
        }
    }

    /// <summary>Before a piece shared with a wanted file is written into a skipped file: the same ownership check as at
    /// open, and its folder. The file is not given its full length: it holds only the shared pieces' bytes (sparse).</summary>
    private void PrepareSkipped(int index)
    {
        lock (_dirtyUnopened)
        {
            if (_dirtyUnopened.Contains(index)) return;
            _ownership?.EnsureWritable(index);
            Directory.CreateDirectory(Path.GetDirectoryName(_layout.FullPaths[index])!);
            _ownership?.Adopt(index);
        }
    }

    /// <summary>Closes every file. Call only after all reads and writes have finished.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        for (var i = 0; i < _files.Length; i++)
        {
            _files[i]?.Dispose();
            _files[i] = null;
        }
    }
}
