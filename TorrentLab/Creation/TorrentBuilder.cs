namespace TorrentLab.Creation;

/// <summary>Creates .torrent files (BEP 3 v1, with BEP 12 tiers, BEP 19 web seeds and BEP 27 private flag) from files
/// on disk or from bytes in memory. Parse the result with <c>Torrent.Parse</c>.</summary>
/// <remarks>For the same files, piece length and private flag, the info hash equals mktorrent 1.1's and libtorrent
/// 2.0's (v1-only); see <see cref="PayloadScanner"/> for what goes in and <see cref="Payload.CompareTorrentOrder"/>
/// for the file order.</remarks>
public static class TorrentBuilder
{
    /// <summary>Scans a file or folder and returns the number of bytes <see cref="CreateAsync"/> will hash
    /// (for a progress bar); throws what <see cref="CreateAsync"/> would throw about the input.</summary>
    public static long GetPayloadLength(string path) => PayloadScanner.Scan(path).TotalLength;

    /// <summary>Creates a torrent of a file (single-file torrent) or a folder (multi-file torrent) named after it.</summary>
    /// <param name="path">A file or a folder; the torrent's name is its base name.</param>
    /// <param name="options">Trackers, piece length, flags.</param>
    /// <param name="hashedBytes">Receives the number of bytes hashed so far, after each large read.</param>
    /// <param name="cancellation">Stops hashing between reads.</param>
    /// <exception cref="CreationException">A link out of the folder, a link to a folder, a special file, no data,
    /// or a file that shrank while hashed.</exception>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="ArgumentException">Invalid options (piece length, empty URLs).</exception>
    public static Task<byte[]> CreateAsync(string path, TorrentCreateOptions options, IProgress<long>? hashedBytes = null,
        CancellationToken cancellation = default)
    {
        ValidateOptions(options);
        return Task.Run(() =>
        {
            return Build(PayloadScanner.Scan(path), options, hashedBytes, cancellation);
        }, cancellation);
    }

    /// <summary>A file's BEP 52 <c>pieces root</c> (the SHA-256 merkle root of its 16 KiB blocks), streamed from disk.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The file is empty: BEP 52 gives no root to an empty file.</exception>
    public static byte[] PiecesRoot(string path, CancellationToken cancellation = default)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"no such file: {path}", path);
        if (info.Length == 0) throw new ArgumentException($"{info.Name} is empty: BEP 52 gives a pieces root only to non-empty files", nameof(path));
        // A piece of one block makes the piece layer the leaf layer, so any file streams through in 16 KiB steps.
        using var reader = PayloadReader.For([new PayloadFile([], info.FullName, info.Length)]);
        return MerkleHasher.Hash(reader, info.Length, Merkle.MerkleTree.BlockSize, null, cancellation).PiecesRoot;
    }

    /// <summary>Creates a single-file torrent over bytes in memory.</summary>
    public static byte[] Create(string name, ReadOnlyMemory<byte> data, TorrentCreateOptions options)
    {
        ValidateOptions(options);
        ValidateSegment(name, nameof(name));
        var payload = new Payload(name, IsMultiFile: false, [new PayloadFile([], "", data.Length, data)]);
        return Build(payload, options, null, default);
    }

    /// <summary>Creates a multi-file torrent: folder <paramref name="name"/> holding <paramref name="files"/>, which are
    /// put in torrent order (the order mktorrent uses) whatever order they are given in.</summary>
    public static byte[] Create(string name, IReadOnlyList<(IReadOnlyList<string> Path, ReadOnlyMemory<byte> Data)> files,
        TorrentCreateOptions options)
    {
        ValidateOptions(options);
        ValidateSegment(name, nameof(name));
        if (files.Count == 0) throw new ArgumentException("a torrent needs at least one file", nameof(files));
        var ordered = files.OrderBy(f => f.Path, Comparer<IReadOnlyList<string>>.Create(Payload.CompareTorrentOrder)).ToList();
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, _) in ordered)
        {
            if (path.Count == 0) throw new ArgumentException("every file needs a path below the name folder", nameof(files));
            foreach (var segment in path) ValidateSegment(segment, nameof(files));
            if (!paths.Add(string.Join('/', path))) throw new ArgumentException($"two files at {string.Join('/', path)}", nameof(files));
            for (var i = 1; i < path.Count; i++) folders.Add(string.Join('/', path.Take(i)));
        }
        if (paths.FirstOrDefault(folders.Contains) is { } clash)
            throw new ArgumentException($"{clash} is both a file and a folder", nameof(files));

        var payload = new Payload(name, IsMultiFile: true, [.. ordered.Select(f => new PayloadFile(f.Path, "", f.Data.Length, f.Data))]);
        if (payload.TotalLength == 0) throw new ArgumentException("a torrent needs at least one byte to share", nameof(files));
        return Build(payload, options, null, default);
    }

    private static byte[] Build(Payload payload, TorrentCreateOptions options, IProgress<long>? progress, CancellationToken cancellation)
    {
        if (payload.TotalLength == 0) throw new ArgumentException("a torrent needs at least one byte to share");
        var pieceLength = options.PieceLength ?? PieceLengthRule.Automatic(payload.TotalLength);
        if (options.Format == TorrentFormat.V1)
        {
            using var reader = PayloadReader.For(payload.Files);
            return MetainfoWriter.Write(payload, pieceLength, PieceHasher.Hash(reader, payload.TotalLength, pieceLength, progress, cancellation), options);
        }

        // BEP 52: files in file tree order, each hashed into its own merkle tree; progress counts payload bytes.
        payload = payload.InTreeOrder();
        long done = 0;
        var v2 = payload.Files.Select(file =>
        {
            if (file.Length == 0) return null;
            using var reader = PayloadReader.For([file]);
            return MerkleHasher.Hash(reader, file.Length, pieceLength, n => progress?.Report(done += n), cancellation);
        }).ToList();
        byte[]? v1Hashes = null;
        if (options.Format == TorrentFormat.Hybrid)
        {
            var padded = payload.WithPadFiles(pieceLength);
            using var reader = PayloadReader.For(padded);
            v1Hashes = PieceHasher.Hash(reader, padded.Sum(f => f.Length), pieceLength, null, cancellation);
        }
        return MetainfoWriter.Write(payload, pieceLength, v1Hashes, v2, options);
    }

    private static void ValidateOptions(TorrentCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PieceLength is { } length) PieceLengthRule.Validate(length);
        if (options.TrackerTiers.Any(t => t.Any(string.IsNullOrWhiteSpace)))
            throw new ArgumentException("tracker URLs must not be empty", nameof(options));
        if (options.WebSeeds.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("web seed URLs must not be empty", nameof(options));
    }

    private static void ValidateSegment(string segment, string parameter)
    {
        if (segment.Length == 0 || segment is "." or ".." || segment.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new ArgumentException($"'{segment}' is not a valid file or folder name", parameter);
    }
}
