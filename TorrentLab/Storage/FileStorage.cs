using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Stores a torrent's pieces in its files below an output folder, laid out as the metainfo says
/// (BEP 3 single- and multi-file; a piece may span several files; BEP 47 pad files are never written; files skipped by
/// the layout's selection are created only to hold the bytes of pieces they share with wanted files).</summary>
/// <remarks>
/// <see cref="Open(Torrent, string, bool, FileOwnership)"/> creates the folders and every file at its final size (sparse: space is allocated as pieces
/// arrive, so nothing is ever held whole in memory). The swarm engine opens with <c>createNow: false</c> instead: a file
/// is then created by the first piece written to it or by <see cref="CreateRemainingAsync"/>, which the swarm runs in
/// the background, so a torrent of very many files listens, announces and dials at once. Files stay open as handles used with <see cref="RandomAccess"/>,
/// which makes every method safe to call from many threads at once. Beyond its budget of kept handles (a session's, or
/// <see cref="MaxOpenFiles"/> of its own), the least recently used are closed, and opened again when next used. Every path is checked to stay inside the output folder, symbolic links included.
/// </remarks>
internal sealed class FileStorage : IPieceStorage
{
    /// <summary>Files a storage of its own keeps open at once; a torrent with more opens the rest per access (file
    /// descriptors are finite). In a session, its torrents share the session's budget instead.</summary>
    public const int MaxOpenFiles = 256;

    private readonly StorageLayout _layout;
    private readonly StorageFileOpener _open;
    private volatile bool _writable;   // set once by BecomeWritable, never cleared
    private readonly KeptFile?[] _files;  // handles the budget keeps open for us (null: not kept, or closed for room)
    private readonly HashSet<int> _dirtyUnopened = []; // written through a per-access handle: fsync them on flush
    private FileOwnership? _ownership; // which existing files may be resized: checked before each is opened
    private readonly bool[] _created;  // opened (created, resized) already: by OpenAll, a first write or CreateRemainingAsync
    private readonly Lock _createGate = new();
    private readonly OpenFileBudget _budget; // where kept handles take their places: a session's, or the storage's own
    private int _disposed;

    private FileStorage(StorageLayout layout, StorageFileOpener open, bool writable, OpenFileBudget budget)
    {
        _budget = budget;
        _layout = layout;
        _open = open;
        _writable = writable;
        _files = new KeptFile?[layout.Torrent.Files.Count];
        _created = new bool[layout.Torrent.Files.Count];
    }

    /// <summary>The torrent stored.</summary>
    public Torrent Torrent => _layout.Torrent;

    /// <summary>Where each file is, and which are skipped (its selection changes with the download's).</summary>
    internal StorageLayout Layout => _layout;

    /// <summary>False when opened read only, to seed data that is there already.</summary>
    internal bool Writable => _writable;

    /// <summary>Takes writes from now on, as a storage opened writable with <c>createNow: false</c>: a seeding
    /// torrent's read-only data, for a download of more in the same swarm. The read-only handles are let go (closed as
    /// their reads end), the ownership is read from the ledger, and every file is opened again, created or sized by its
    /// first access or <see cref="CreateRemainingAsync"/>.</summary>
    /// <param name="have">The pieces verified on disk, for the free-space check.</param>
    /// <exception cref="StorageException">The disk cannot hold what is still to be written; it stays read only.</exception>
    internal void BecomeWritable(Bitfield have)
    {
        lock (_createGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_writable) return;
            DiskSpace.EnsureCanFit(_layout, have);
            _ownership = FileOwnership.Read(_layout);
            _writable = true;
            for (var i = 0; i < _files.Length; i++)
            {
                Volatile.Write(ref _created[i], false);
                if (Interlocked.Exchange(ref _files[i], null) is { } kept) _budget.Release(kept);
            }
        }
    }

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
    /// already verified on disk) tells the free-space check what still has to be written. With <paramref name="createNow"/>
    /// false (a writable storage only) it checks the free space only, and each file is created when its first piece
    /// arrives or <see cref="CreateRemainingAsync"/> reaches it. Kept handles take their places in
    /// <paramref name="budget"/> (a session's), or in one of its own of <see cref="MaxOpenFiles"/> when that is null.</summary>
    internal static FileStorage Open(StorageLayout layout, bool readOnly = false, FileOwnership? ownership = null, Bitfield? have = null,
        bool createNow = true, OpenFileBudget? budget = null) =>
        OpenWith(layout, RandomAccessFile.Open, !readOnly, readOnly ? null : ownership ?? FileOwnership.Read(layout), have, createNow || readOnly, budget);

    internal static FileStorage OpenWith(StorageLayout layout, StorageFileOpener open, bool writable, FileOwnership? ownership = null,
        Bitfield? have = null, bool createNow = true, OpenFileBudget? budget = null)
    {
        var storage = new FileStorage(layout, open, writable, budget ?? new OpenFileBudget(MaxOpenFiles)) { _ownership = ownership };
        try
        {
            if (writable) DiskSpace.EnsureCanFit(layout, have);
            if (createNow) storage.OpenAll();
            return storage;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    private void OpenAll()
    {
        for (var i = 0; i < _created.Length; i++) OpenOne(i);
    }

    /// <summary>Creates (or opens and sizes) every file not created yet, in torrent order, while pieces are written
    /// to others: the swarm engine's background half of <c>createNow: false</c>. A file a piece already reached is
    /// left as it is.</summary>
    /// <exception cref="StorageException">A file cannot be created; <see cref="ForeignFileException"/> when a file
    /// the torrent did not write is in the way.</exception>
    internal Task CreateRemainingAsync(CancellationToken cancellation) => Task.Run(() =>
    {
        for (var i = 0; i < _created.Length; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            OpenOne(i);
        }
    }, cancellation);

    /// <summary>Creates file <paramref name="i"/> at its final size (or opens it, read-only) once; keeps its handle
    /// while its budget has room. Padding and (writable) skipped files are left alone.</summary>
    private void OpenOne(int i)
    {
        var files = _layout.Torrent.Files;
        if (files[i].IsPadding) return;
        if (_writable && _layout.IsSkipped(i)) return; // created by the first shared piece written to it, if any
        lock (_createGate)
        {
            if (_created[i]) return;
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var path = _layout.FullPaths[i];
            // Read-only (seeding): a file that is not there holds none of our pieces (a partial seed whose skipped file
            // was never written); it is left unopened, and only a read of it, which the pieces we have never ask for, fails.
            if (!_writable && !File.Exists(path)) return;
            IStorageFile file;
            _ownership?.EnsureWritable(i);
            // Created late (first piece, or in the background): only while the path still names the folder the
            // download began in, as for the ledger (a folder swapped for a link must not receive our files).
            if (_writable) _layout.CheckSameRoot($"'{files[i].DisplayPath}' is not created there");
            var existed = true;
            List<(string Path, (ulong Device, ulong Inode)? Node)> madeFolders = [];
            try
            {
                if (_writable) madeFolders = CreateFolders(Path.GetDirectoryName(path)!);
                existed = File.Exists(path);
                file = _open(path, _writable);
            }
            catch (Exception e) when (StorageErrors.IsIo(e))
            {
                if (Directory.Exists(path))
                    throw new StorageException($"'{files[i].DisplayPath}' is a directory, but the torrent stores a file there; move it away", inner: e);
                throw StorageErrors.Wrap(e, $"opening '{files[i].DisplayPath}'");
            }
            if (_writable)
            {
                try
                {
                    // A swap that landed between the check above and the open: undo a file we created there.
                    _layout.CheckSameRootAfter(path, existed ? null : FolderIdentity.NodeOf(path), $"'{files[i].DisplayPath}' is not created there");
                }
                catch (StorageException)
                {
                    file.Dispose();
                    RemoveFolders(madeFolders); // the file's folders, made through the swap too
                    throw;
                }
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
            if (files[i].Length == 0 || !TryKeep(i, file)) file.Dispose();
            _created[i] = true;
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
            if (Volatile.Read(ref _files[i]) is not { } kept || !kept.TryEnter()) continue; // closed for room: in the dirty set
            try { kept.File.Flush(); }
            catch (Exception e) when (StorageErrors.IsIo(e)) { throw StorageErrors.Wrap(e, $"flushing '{Torrent.Files[i].DisplayPath}'"); }
            finally { kept.Exit(); }
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

    /// <summary>Keeps <paramref name="file"/> (file <paramref name="index"/>) open in the budget; false when the budget
    /// keeps nothing. Called under <see cref="_createGate"/>.</summary>
    private bool TryKeep(int index, IStorageFile file)
    {
        if (_budget.Keep(file, closed => Forget(index, closed)) is not { } kept) return false;
        Volatile.Write(ref _files[index], kept);
        return true;
    }

    /// <summary>The budget closed file <paramref name="index"/>'s handle to make room: the next access opens it again,
    /// and a flush syncs what was written through it.</summary>
    private void Forget(int index, KeptFile closed)
    {
        Interlocked.CompareExchange(ref _files[index], null, closed);
        if (_writable) lock (_dirtyUnopened) _dirtyUnopened.Add(index);
    }

    /// <summary>The kept handle of file <paramref name="index"/>, entered for one access: the one kept, or the file
    /// created now (its first piece, with <c>createNow: false</c>), or opened again after the budget closed it for room;
    /// null when the budget does not keep it.</summary>
    private KeptFile? EnterKept(int index)
    {
        if (Volatile.Read(ref _files[index]) is { } kept && kept.TryEnter()) return kept;
        if (!_created[index]) OpenOne(index);
        else if (Torrent.Files[index].Length > 0)
        {
            lock (_createGate)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                if (Volatile.Read(ref _files[index]) is null)
                {
                    var file = _open(_layout.FullPaths[index], _writable);
                    if (!TryKeep(index, file)) file.Dispose();
                }
            }
        }
        // Closed for room again before we entered it (a budget smaller than the files in use): one access of its own.
        return Volatile.Read(ref _files[index]) is { } now && now.TryEnter() ? now : null;
    }

    /// <summary>Runs <paramref name="action"/> on file <paramref name="index"/> (the kept handle, or one opened for
    /// this access) and wraps I/O failures with what was being done.</summary>
    private async ValueTask UseFile(int index, string what, Func<IStorageFile, CancellationToken, ValueTask> action, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            if (_writable && _layout.IsSkipped(index)) PrepareSkipped(index); // skipped files are never kept
            else if (EnterKept(index) is { } kept)
            {
                try
                {
                    _budget.Touch(kept);
                    await action(kept.File, cancellation).ConfigureAwait(false);
                }
                finally
                {
                    kept.Exit();
                }
                return;
            }
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

    /// <summary>Creates <paramref name="folder"/> and the folders above it that are missing; returns the ones this made,
    /// the deepest last, each with its node (as the file's, to undo them after a swap of the output folder).</summary>
    private static List<(string Path, (ulong Device, ulong Inode)? Node)> CreateFolders(string folder)
    {
        var missing = new List<string>();
        for (var d = folder; !Directory.Exists(d) && Path.GetDirectoryName(d) is { } parent; d = parent) missing.Add(d);
        Directory.CreateDirectory(folder);
        missing.Reverse();
        return [.. missing.Select(d => (d, FolderIdentity.NodeOf(d)))];
    }

    /// <summary>Removes the folders <see cref="CreateFolders"/> made, deepest first, each only while its path still
    /// names the folder made and it is empty: never one that was there before, nor anything in it.</summary>
    private static void RemoveFolders(List<(string Path, (ulong Device, ulong Inode)? Node)> made)
    {
        for (var i = made.Count - 1; i >= 0; i--)
        {
            var (path, node) = made[i];
            try
            {
                if (node is not null && FolderIdentity.NodeOf(path) == node && !Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
            }
            catch (Exception e) when (StorageErrors.IsIo(e)) { return; } // the error being thrown names the swap
        }
    }

    /// <summary>Before a piece shared with a wanted file is written into a skipped file: the same ownership check as at
    /// open, and its folder. The file is not given its full length: it holds only the shared pieces' bytes (sparse).</summary>
    private void PrepareSkipped(int index)
    {
        lock (_dirtyUnopened)
        {
            if (_dirtyUnopened.Contains(index)) return;
            // A file this storage created while it was wanted is ours (its priority changed while the torrent ran).
            if (!Volatile.Read(ref _created[index])) _ownership?.EnsureWritable(index);
            Directory.CreateDirectory(Path.GetDirectoryName(_layout.FullPaths[index])!);
            _ownership?.Adopt(index);
        }
    }

    /// <summary>Closes every file. Call only after all reads and writes have finished.</summary>
    public void Dispose()
    {
        lock (_createGate)   // a background creation in progress finishes its file first, then sees the flag
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            for (var i = 0; i < _files.Length; i++)
            {
                if (Interlocked.Exchange(ref _files[i], null) is { } kept) _budget.Release(kept);
            }
        }
    }
}
