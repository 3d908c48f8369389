using System.Text.Json;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>The outcome of <see cref="ResumeLedger.Validate()"/>: the pieces that can be trusted without re-hashing,
/// or why the ledger cannot be used (the engine then re-hashes everything with <see cref="PieceVerifier"/>).</summary>
/// <param name="Trusted">The verified pieces, or null when the ledger is absent, foreign, corrupt or stale.</param>
/// <param name="Reason">Why, in one line for the user.</param>
internal sealed record ResumeCheck(Bitfield? Trusted, string Reason)
{
    public bool IsTrusted => Trusted is not null;
}

/// <summary>Remembers which pieces of a download are verified on disk, so a restart does not re-hash everything:
/// a JSON file at <c>&lt;output&gt;/.torrentlab/&lt;infohash&gt;.json</c>.</summary>
/// <remarks>
/// <para>Trust rule: the listed pieces are trusted (not re-hashed) only when the ledger is this torrent's (same info
/// hash and piece length, format <see cref="FormatVersion"/>, a hash scheme the torrent has) and every file still has the size and last-write time
/// recorded at save. Any difference (a file touched by anything else, a crash after more pieces were written but
/// before the next save, a corrupt or foreign ledger) means a full check.</para>
/// <para>Flushing: a listed piece may still be in the page cache when the ledger is saved. That survives the end of
/// any process (Ctrl-C, a kill), not a restart of the machine (a power cut, a kernel crash), so a ledger saved
/// without flushing records the boot it was saved in (<see cref="MachineBoot"/>) and is trusted only within that
/// boot; after a restart its pieces are checked again. Where the boot cannot be told, the caller flushes the data
/// first (<see cref="ResumeSaver"/> does) and saves with <c>flushed: true</c>, as does any caller that flushed.</para>
/// <para>Writes are atomic: a temporary file in the same folder, renamed over the old ledger (rename(2) replaces it in
/// one step), so a crash of the process leaves either the old or the new ledger, never half of one. A flushed save also
/// flushes the temporary file before the rename; an unflushed one need not, since a restart ignores it anyway (a
/// ledger left torn by a power cut reads as corrupt: a full check).</para>
/// </remarks>
internal sealed class ResumeLedger
{
    /// <summary>The ledger format this code writes and accepts.</summary>
    public const int FormatVersion = 1;

    private readonly Torrent _torrent;
    private readonly StorageLayout _layout;

    /// <exception cref="StorageException">A torrent path would leave the output folder.</exception>
    public ResumeLedger(Torrent torrent, string outputDir) : this(new StorageLayout(torrent, outputDir)) { }

    /// <summary>The ledger of the download laid out by <paramref name="layout"/>.</summary>
    internal ResumeLedger(StorageLayout layout)
    {
        _torrent = layout.Torrent;
        _layout = layout;
        FilePath = PathFor(_layout.Root, _torrent.InfoHash);
    }

    /// <summary>The boot this process runs in (<see cref="MachineBoot.Id"/>; tests set another to play a restart).</summary>
    internal string? BootId { get; init; } = MachineBoot.Id;

    /// <summary>Where the ledger lives.</summary>
    public string FilePath { get; }

    /// <summary>The ledger path for a torrent below an output folder.</summary>
    public static string PathFor(string outputDir, InfoHash infoHash) =>
        Path.Combine(OutputPaths.Root(outputDir), OutputPaths.StateFolder, infoHash.Hex + ".json");

    /// <summary>Records <paramref name="have"/> with the files' current sizes and last-write times, atomically.</summary>
    /// <param name="have">The verified pieces.</param>
    /// <param name="hashScheme">What verified them (<see cref="PieceHashScheme"/>); by default what the download
    /// engines check: SHA-1, or the merkle trees of a v2-only torrent.</param>
    /// <param name="flushed">True when the caller flushed every listed piece to disk before this save: the ledger is
    /// then trusted after a restart too. Otherwise it records this boot and is trusted only within it (where the boot
    /// cannot be told, it records nothing, as before the boot was known: such callers must flush).</param>
    /// <exception cref="StorageException">The ledger could not be written; the previous one is left intact.</exception>
    public void Save(Bitfield have, string? hashScheme = null, bool flushed = false)
    {
        ArgumentNullException.ThrowIfNull(have);
        if (have.Length != _torrent.PieceCount)
            throw new ArgumentException($"have bitfield has {have.Length} pieces, the torrent {_torrent.PieceCount}", nameof(have));
        var folder = Path.GetDirectoryName(FilePath)!;
        _layout.CheckSameRoot("no resume ledger is saved there");
        OutputPaths.CheckInside(_layout.Root, folder, OutputPaths.StateFolder, _layout.RealRoot);
        var document = new LedgerDocument(FormatVersion, _torrent.InfoHash.Hex, _torrent.PieceLength, _torrent.PieceCount,
            Convert.ToBase64String(have.ToBytes()), DateTimeOffset.UtcNow, CurrentFiles(),
            hashScheme ?? (_torrent.IsV2Only ? PieceHashScheme.Merkle : PieceHashScheme.Sha1), PrioritiesText(_layout.Selection),
            flushed ? null : BootId);
        var temp = FilePath + ".tmp";
        _contents = null;
        try
        {
            Directory.CreateDirectory(folder);
            _layout.RootIdentity ??= FolderIdentity.Of(_layout.Root);   // the folder did not exist when the download began
            using (var stream = TemporaryFile.Create(temp))
            {
                JsonSerializer.Serialize(stream, document, LedgerJsonContext.Ledger.LedgerDocument);
                stream.Flush(flushToDisk: document.UnflushedBoot is null);
            }
            var written = FolderIdentity.NodeOf(temp);
            _layout.CheckSameRootAfter(temp, written, "no resume ledger is saved there");
            File.Move(temp, FilePath, overwrite: true);
            _layout.CheckSameRootAfter(FilePath, written, "no resume ledger is saved there");
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            var error = StorageErrors.Wrap(e, $"saving the resume ledger '{FilePath}'");
            throw RemoveTemp(temp, error);
        }
    }

    /// <summary>Reads the ledger and decides whether its pieces can be trusted (see the trust rule above).</summary>
    public ResumeCheck Validate()
    {
        var (json, error) = Contents();
        if (error is not null) return new(null, $"the resume ledger cannot be read ({error.Message})");
        return json is null ? new(null, "no resume ledger") : Validate(json);
    }

    /// <summary>True for an instance that reads the file once and answers every later question from what it read,
    /// until its own save or delete: a start asks one ledger for the priorities, the files and the trust, and reads it
    /// once for the three. Otherwise (the default) each question reads the file as it is now.</summary>
    internal bool ReadsOnce { get; init; }

    // The file as a ReadsOnce instance first read it (null bytes: there is none).
    private (byte[]? Bytes, Exception? Error)? _contents;

    private (byte[]? Bytes, Exception? Error) Contents()
    {
        if (_contents is { } read) return read;
        try { read = File.Exists(FilePath) ? (File.ReadAllBytes(FilePath), null) : (null, null); }
        catch (Exception e) when (StorageErrors.IsIo(e)) { read = (null, e); }
        if (ReadsOnce) _contents = read;
        return read;
    }

    // The document, or null when there is none, it cannot be read, or it is not JSON of a ledger.
    private LedgerDocument? Document()
    {
        if (Contents().Bytes is not { } json) return null;
        try { return JsonSerializer.Deserialize(json, LedgerJsonContext.Ledger.LedgerDocument); }
        catch (JsonException) { return null; }
    }

    /// <summary>Decides whether the ledger <paramref name="json"/> can be trusted for this torrent and the files on disk
    /// now (what <see cref="Validate()"/> does with the bytes it read; the ledger's fuzz target calls it directly).</summary>
    internal ResumeCheck Validate(byte[] json)
    {
        LedgerDocument? ledger;
        try
        {
            ledger = JsonSerializer.Deserialize(json, LedgerJsonContext.Ledger.LedgerDocument);
        }
        catch (JsonException e) { return new(null, $"the resume ledger is corrupt ({e.Message})"); }
        if (ledger is null) return new(null, "the resume ledger is corrupt (null)");
        if (ledger.Version != FormatVersion) return new(null, $"the resume ledger has format version {ledger.Version}, expected {FormatVersion}");
        if (!string.Equals(ledger.InfoHash, _torrent.InfoHash.Hex, StringComparison.OrdinalIgnoreCase))
            return new(null, $"the resume ledger belongs to another torrent (info hash {ledger.InfoHash})");
        if (ledger.PieceLength != _torrent.PieceLength || ledger.PieceCount != _torrent.PieceCount)
            return new(null, $"the resume ledger has {ledger.PieceCount} pieces of {ledger.PieceLength} bytes, the torrent {_torrent.PieceCount} of {_torrent.PieceLength}");
        if (ledger.UnflushedBoot is { } boot && boot != BootId)
            return new(null, "the machine has restarted since the resume ledger was saved, and its pieces were not yet flushed to disk then");
        var scheme = ledger.HashScheme ?? PieceHashScheme.Sha1;
        if (!PieceHashScheme.Suffices(scheme, _torrent))
            return new(null, $"the resume ledger's pieces were verified with {scheme}, which this torrent's hashes do not cover");
        Bitfield have;
        try
        {
            have = Bitfield.FromWire(Convert.FromBase64String(ledger.Pieces), _torrent.PieceCount);
        }
        catch (Exception e) when (e is FormatException or WireException) { return new(null, $"the resume ledger's piece list is corrupt ({e.Message})"); }
        var stale = CompareFiles(ledger.Files);
        // The line stays in a seeding torrent's log: torrents with the same counts share one copy of it.
        return stale is null ? new(have, Metainfo.SharedText.Of($"resume ledger trusted: {have.Count} of {have.Length} pieces")!) : new(null, stale);
    }

    /// <summary>The files (torrent display paths) this torrent's ledger recorded as present on disk: the files this
    /// download created or adopted, whether or not the ledger can still be trusted for pieces. Empty without a ledger
    /// of this torrent.</summary>
    internal IReadOnlySet<string> RecordedFiles()
    {
        // Unreadable: nothing is known to be ours.
        var ledger = Document();
        if (ledger is null || !string.Equals(ledger.InfoHash, _torrent.InfoHash.Hex, StringComparison.OrdinalIgnoreCase))
            return new HashSet<string>();
        return ledger.Files.Where(f => f.Length is not null).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The file priorities the ledger recorded (<c>priorities</c>: one digit per file), or null when it
    /// recorded none, is another torrent's, or cannot be read.</summary>
    public IReadOnlyList<Pieces.FilePriority>? RecordedPriorities()
    {
        // Unreadable: the caller's default applies.
        var ledger = Document();
        if (ledger?.Priorities is not { } text || !string.Equals(ledger.InfoHash, _torrent.InfoHash.Hex, StringComparison.OrdinalIgnoreCase)
            || text.Length != _torrent.Files.Count || text.Any(c => c is < '0' or > '3')) return null;
        return [.. text.Select(c => (Pieces.FilePriority)(c - '0'))];
    }

    /// <summary>The ledger's <c>priorities</c> text; null when every file is wanted at normal priority.</summary>
    private static string? PrioritiesText(Pieces.PieceSelection? selection) =>
        selection is null || selection.Files.All(p => p == Pieces.FilePriority.Normal)
            ? null : string.Concat(selection.Files.Select(p => (char)('0' + (int)p)));

    /// <summary>After the torrent's files were renamed on disk (<see cref="Torrent.WithFilePaths"/>): the ledger records
    /// each file under <paramref name="renamed"/>'s path, its pieces, sizes and times unchanged (a rename keeps them), so
    /// it is trusted as before and the files stay this download's. Nothing happens without a ledger of this torrent.</summary>
    /// <exception cref="StorageException">The ledger could not be written; the previous one is left intact.</exception>
    internal void Rename(Torrent renamed)
    {
        var ledger = Document();
        if (ledger is null || !string.Equals(ledger.InfoHash, _torrent.InfoHash.Hex, StringComparison.OrdinalIgnoreCase)) return;
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < _torrent.Files.Count; i++) paths[_torrent.Files[i].DisplayPath] = renamed.Files[i].DisplayPath;
        var document = ledger with { Files = [.. ledger.Files.Select(f => f with { Path = paths.GetValueOrDefault(f.Path, f.Path) })] };
        var temp = FilePath + ".tmp";
        _contents = null;
        try
        {
            using (var stream = TemporaryFile.Create(temp))
            {
                JsonSerializer.Serialize(stream, document, LedgerJsonContext.Ledger.LedgerDocument);
                stream.Flush(flushToDisk: document.UnflushedBoot is null);
            }
            File.Move(temp, FilePath, overwrite: true);
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            throw RemoveTemp(temp, StorageErrors.Wrap(e, $"saving the resume ledger '{FilePath}'"));
        }
    }

    /// <summary>Deletes the ledger (<c>--no-resume</c>: start fresh). Returns false when there was none.</summary>
    public bool Delete()
    {
        _contents = null;
        if (!File.Exists(FilePath)) return false;
        try { File.Delete(FilePath); }
        catch (Exception e) when (StorageErrors.IsIo(e)) { throw StorageErrors.Wrap(e, $"deleting the resume ledger '{FilePath}'"); }
        return true;
    }

    private List<LedgerFile> CurrentFiles()
    {
        var files = new List<LedgerFile>();
        for (var i = 0; i < _torrent.Files.Count; i++)
        {
            if (_torrent.Files[i].IsPadding) continue;
            var info = new FileInfo(_layout.FullPaths[i]);
            files.Add(info.Exists && !_layout.IsNeverWritten(i) // a file the selection never writes is not ours, whatever is there
                ? new LedgerFile(_torrent.Files[i].DisplayPath, info.Length, info.LastWriteTimeUtc)
                : new LedgerFile(_torrent.Files[i].DisplayPath, null, default));
        }
        return files;
    }

    /// <summary>Null when the files on disk are as the ledger recorded them, else the first difference.</summary>
    private string? CompareFiles(IReadOnlyList<LedgerFile> recorded)
    {
        var now = CurrentFiles();
        if (recorded.Count != now.Count) return $"the resume ledger lists {recorded.Count} files, the torrent has {now.Count}";
        for (var i = 0; i < now.Count; i++)
        {
            var (was, isNow) = (recorded[i], now[i]);
            if (was.Path != isNow.Path) return $"the resume ledger lists '{was.Path}' where the torrent has '{isNow.Path}'";
            if (was.Length is not null && isNow.Length is null) return $"'{isNow.Path}' is missing";
            if (was.Length != isNow.Length) return $"'{isNow.Path}' is {isNow.Length?.ToString() ?? "missing"} bytes, the resume ledger says {was.Length?.ToString() ?? "missing"}";
            if (was.LastWriteUtc.Ticks != isNow.LastWriteUtc.Ticks) return $"'{isNow.Path}' was modified after the resume ledger was saved";
        }
        return null;
    }

    private static StorageException RemoveTemp(string temp, StorageException error)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
            return error;
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            return new StorageException($"{error.Message}; the temporary file '{temp}' could not be removed either: {e.Message}", error.IsOutOfSpace, error);
        }
    }
}
