using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Which existing files a download may resize and write: those its resume ledger recorded (it created or
/// adopted them), and files it adopts after a hash check. Anything else in the way stops the download untouched.</summary>
/// <remarks>
/// <para>A file the ledger does not know is adopted when at least one piece touching it verifies and it is not
/// longer than the torrent's file (resuming from another client's data keeps working); an empty file, or one holding
/// only zeros, is adopted (it holds nothing to lose: that is also our own preallocated file when a crash came between
/// creating it and the first ledger save). Otherwise <see cref="CheckAsync"/> throws <see cref="ForeignFileException"/> and nothing is
/// modified, unless the user asked to overwrite. A directory where the torrent has a file is refused with its own
/// message.</para>
/// <para>Read it before anything deletes the ledger (<c>--no-resume</c>), so a fresh start over our own files still
/// knows they are ours. <see cref="FileStorage"/> asks <see cref="EnsureWritable"/> before it resizes a file.</para>
/// </remarks>
internal sealed class FileOwnership
{
    private readonly StorageLayout _layout;
    private readonly IReadOnlySet<string> _recorded;
    private readonly HashSet<int> _adopted = [];
    private bool _checked;

    private FileOwnership(StorageLayout layout, IReadOnlySet<string> recorded)
    {
        _layout = layout;
        _recorded = recorded;
    }

    /// <summary>Reads what the torrent's ledger below <paramref name="outputDir"/> recorded.</summary>
    /// <exception cref="StorageException">A torrent path would leave the output folder.</exception>
    public static FileOwnership Read(Torrent torrent, string outputDir) => Read(new StorageLayout(torrent, outputDir));

    internal static FileOwnership Read(StorageLayout layout) => Read(layout, new ResumeLedger(layout));

    /// <summary>What <paramref name="ledger"/>, the ledger of <paramref name="layout"/>, recorded.</summary>
    internal static FileOwnership Read(StorageLayout layout, ResumeLedger ledger) => new(layout, ledger.RecordedFiles());

    /// <summary>True when the ledger recorded file <paramref name="file"/> (an index into the torrent's files) as
    /// written by this torrent: the files a "remove with data" may delete.</summary>
    public bool IsRecorded(int file) => _recorded.Contains(_layout.Torrent.Files[file].DisplayPath);

    /// <summary>Decides about every existing file the ledger does not know, and throws for the first that is in the way.</summary>
    /// <param name="verified">Pieces already hash-checked on disk, or null to check them here if needed.</param>
    /// <param name="overwrite">The user passed <c>--overwrite</c>: every file may be resized and written.</param>
    /// <param name="cancellation">Stops the hash check.</param>
    /// <exception cref="ForeignFileException">A file is not this torrent's data.</exception>
    /// <exception cref="StorageException">A directory stands where the torrent has a file.</exception>
    public async Task CheckAsync(Bitfield? verified, bool overwrite, CancellationToken cancellation = default)
    {
        var files = _layout.Torrent.Files;
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].IsPadding || IsRecorded(i) || _layout.IsNeverWritten(i)) continue;
            var path = _layout.FullPaths[i];
            if (Directory.Exists(path)) throw DirectoryInTheWay(i);
            var info = new FileInfo(path);
            if (!info.Exists) continue;
            if (overwrite || info.Length == 0) { _adopted.Add(i); continue; }
            if (info.Length <= files[i].Length)
            {
                verified ??= await PieceVerifier.VerifyAsync(_layout.Torrent, _layout.Root, cancellation: cancellation).ConfigureAwait(false);
                // Only zeros: nothing to lose (our own preallocated file, when a crash came before the first ledger save).
                if (AnyVerified(i, verified) || await HoldsOnlyZerosAsync(i, cancellation).ConfigureAwait(false)) { _adopted.Add(i); continue; }
            }
            throw new ForeignFileException(files[i].DisplayPath);
        }
        _checked = true;
    }

    /// <summary>Throws unless file <paramref name="file"/> may be resized and written: missing, recorded, or adopted
    /// by <see cref="CheckAsync"/>. Without a check, an unknown existing file may only grow (never shrink).</summary>
    /// <exception cref="ForeignFileException">The file is in the way.</exception>
    internal void EnsureWritable(int file)
    {
        var path = _layout.FullPaths[file];
        if (Directory.Exists(path)) throw DirectoryInTheWay(file);
        if (IsRecorded(file) || _adopted.Contains(file)) return;
        var info = new FileInfo(path);
        if (!info.Exists) return;
        var entry = _layout.Torrent.Files[file];
        if (_checked || info.Length > entry.Length) throw new ForeignFileException(entry.DisplayPath);
    }

    /// <summary>Marks file <paramref name="file"/> as ours once the storage has created it (a skipped file that receives
    /// the bytes of a shared piece). Not thread-safe: the storage calls it under its own lock.</summary>
    internal void Adopt(int file) => _adopted.Add(file);

    private async Task<bool> HoldsOnlyZerosAsync(int file, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            await using var stream = new FileStream(_layout.FullPaths[file], FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0)) return false;
            return true;
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            throw StorageErrors.Wrap(e, $"reading '{_layout.Torrent.Files[file].DisplayPath}'");
        }
    }

    private bool AnyVerified(int file, Bitfield verified)
    {
        var (first, last) = _layout.PieceRange(file);
        for (var p = first; p <= last; p++) if (verified[p]) return true;
        return false;
    }

    private StorageException DirectoryInTheWay(int file) =>
        new($"'{_layout.Torrent.Files[file].DisplayPath}' is a directory, but the torrent stores a file there; move it away");
}
