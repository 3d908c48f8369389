using Microsoft.Win32.SafeHandles;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Tuning for <see cref="PieceVerifier"/>.</summary>
internal sealed record PieceVerifierOptions
{
    /// <summary>Pieces hashed at once (one thread each); SHA-1 is CPU-bound, so one per core.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Bytes read per call (rounded to whole pieces, at least one): large reads keep the disk streaming.</summary>
    public int ReadBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Receives the running total of bytes checked.</summary>
    public IProgress<long>? Progress { get; init; }

    /// <summary>The pieces to hash; null for every piece. The others are not hashed and come back missing.</summary>
    public Bitfield? Only { get; init; }
}

/// <summary>Re-hashes what is on disk and returns the pieces whose hashes match the torrent: SHA-1 (BEP 3), the
/// merkle trees of a v2 torrent, both for a hybrid (BEP 52; see <see cref="PieceCheck"/>). The full check
/// after a crash, before seeding, or for <c>torrentlab verify</c>.</summary>
/// <remarks>Nothing is created or modified. Work is split into runs of whole pieces (about 4 MiB); each worker
/// thread claims the next run, reads it with large positional reads into a buffer it reuses, and hashes each
/// piece. A piece touching a missing or short file fails; pad files (BEP 47) count as zeros.</remarks>
internal static class PieceVerifier
{
    /// <summary>The pieces of <paramref name="torrent"/> that are intact below <paramref name="outputDir"/>.</summary>
    /// <exception cref="StorageException">A path leaves the output folder, or a file exists but cannot be read.</exception>
    public static Task<Bitfield> VerifyAsync(Torrent torrent, string outputDir, PieceVerifierOptions? options = null,
        CancellationToken cancellation = default) =>
        VerifyAsync(new StorageLayout(torrent, outputDir), options, cancellation);

    /// <summary>The pieces of the download laid out by <paramref name="layout"/> that are intact on disk.</summary>
    internal static async Task<Bitfield> VerifyAsync(StorageLayout layout, PieceVerifierOptions? options = null,
        CancellationToken cancellation = default)
    {
        options ??= new PieceVerifierOptions();
        var torrent = layout.Torrent;
        var check = new PieceCheck(torrent);
        var good = new bool[torrent.PieceCount];
        var piecesPerRun = Math.Max(1, options.ReadBytes / torrent.PieceLength);
        var runs = (torrent.PieceCount + piecesPerRun - 1) / piecesPerRun;
        var next = -1;
        long checkedBytes = 0;

        void Worker()
        {
            using var files = new ReadHandles(layout);
            var buffer = new byte[(long)piecesPerRun * torrent.PieceLength > torrent.TotalLength
                ? (int)torrent.TotalLength : piecesPerRun * torrent.PieceLength];
            int run;
            while ((run = Interlocked.Increment(ref next)) < runs)
            {
                cancellation.ThrowIfCancellationRequested();
                var first = run * piecesPerRun;
                var last = Math.Min(torrent.PieceCount, first + piecesPerRun) - 1;
                var offset = layout.PieceOffset(first);
                var length = (int)(layout.PieceOffset(last) + torrent.GetPieceLength(last) - offset);
                var readable = files.Read(offset, buffer.AsSpan(0, length)); // bytes actually present from the start
                for (var i = first; i <= last; i++)
                {
                    var start = (int)(layout.PieceOffset(i) - offset);
                    var pieceLength = torrent.GetPieceLength(i);
                    if (!readable.Covers(start, pieceLength) || options.Only is { } only && !only[i]) continue;
                    good[i] = check.Check(i, buffer.AsSpan(start, pieceLength));
                }
                options.Progress?.Report(Interlocked.Add(ref checkedBytes, length));
            }
        }

        // Several workers get threads of their own (long blocking reads and hashing would starve the pool); one runs as
        // a work item of the pool (a one-processor machine, and a simulation, whose one pool thread must run everything).
        var count = Math.Clamp(options.Parallelism, 1, Math.Max(1, runs));
        var kind = count > 1 ? TaskCreationOptions.LongRunning : TaskCreationOptions.None;
        var workers = Enumerable.Range(0, count).Select(_ => Task.Factory.StartNew(Worker, cancellation, kind, TaskScheduler.Default));
        await Task.WhenAll(workers).ConfigureAwait(false);
        check.Finish(good);

        var have = new Bitfield(torrent.PieceCount);
        for (var i = 0; i < good.Length; i++) if (good[i]) have.Set(i);
        return have;
    }

    /// <summary>The parts of a read buffer that hold real file bytes (missing or short files leave holes).</summary>
    private sealed class Holes
    {
        private readonly List<(int Start, int End)> _holes = [];
        public void Add(int start, int length) => _holes.Add((start, start + length));
        public bool Covers(int start, int length) => !_holes.Exists(h => h.Start < start + length && start < h.End);
    }

    /// <summary>One worker's read-only handles, opened on first use (each worker has its own, so the kernel's
    /// read-ahead sees one sequential reader per handle).</summary>
    private sealed class ReadHandles(StorageLayout layout) : IDisposable
    {
        private readonly Dictionary<int, SafeFileHandle?> _handles = [];

        /// <summary>Fills <paramref name="buffer"/> with stream bytes from <paramref name="offset"/>; returns where it could not.</summary>
        public Holes Read(long offset, Span<byte> buffer)
        {
            var holes = new Holes();
            foreach (var s in layout.Segments(offset, buffer.Length))
            {
                var target = buffer.Slice(s.BufferOffset, s.Length);
                var entry = layout.Torrent.Files[s.File];
                if (entry.IsPadding) { target.Clear(); continue; }
                var handle = Handle(s.File);
                var done = 0;
                while (handle is not null && done < target.Length)
                {
                    int n;
                    try { n = RandomAccess.Read(handle, target[done..], s.FileOffset + done); }
                    catch (Exception e) when (StorageErrors.IsIo(e)) { throw StorageErrors.Wrap(e, $"reading '{entry.DisplayPath}' at offset {s.FileOffset + done}"); }
                    if (n == 0) break; // the file is shorter than the torrent says
                    done += n;
                }
                if (done < target.Length) holes.Add(s.BufferOffset + done, target.Length - done);
            }
            return holes;
        }

        private SafeFileHandle? Handle(int file)
        {
            if (_handles.TryGetValue(file, out var handle)) return handle;
            var path = layout.FullPaths[file];
            try
            {
                handle = File.Exists(path)
                    ? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan)
                    : null; // missing: its pieces fail
            }
            catch (Exception e) when (StorageErrors.IsIo(e))
            {
                throw StorageErrors.Wrap(e, $"opening '{layout.Torrent.Files[file].DisplayPath}' to verify it");
            }
            _handles[file] = handle;
            return handle;
        }

        public void Dispose()
        {
            foreach (var handle in _handles.Values) handle?.Dispose();
        }
    }
}
