using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Client;

/// <summary>Moves a torrent's data from one output folder to another: its files (those that exist), the folders they
/// need, and its resume ledger, so the torrent goes on from the same pieces without hashing them again.</summary>
/// <remarks>
/// <para>On one file system each file is renamed (rename(2): nothing is copied, the last-write times stay). Across file
/// systems each file is copied under a temporary name, flushed, given the original's last-write time (the ledger's trust
/// rule compares it), then renamed into place; the originals are deleted only once every copy is complete. A failure
/// midway undoes what was done (renamed files go back, copies are deleted), so the data is always whole in one folder,
/// the old one unless the move completed.</para>
/// <para>Every path is resolved below its folder, symbolic links followed (<see cref="OutputPaths.Resolve"/>): a link
/// in either folder cannot send a file elsewhere. A file of the torrent already in the new folder stops the move before
/// anything changes.</para>
/// </remarks>
internal static class TorrentDataMove
{
    private const string TempSuffix = ".torrentlab-move"; // a copy in progress, renamed into place once complete

    /// <summary>Moves the data of <paramref name="torrent"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="torrent">The torrent whose files and ledger move.</param>
    /// <param name="from">The output folder they are in now.</param>
    /// <param name="to">The output folder they go to.</param>
    /// <param name="ct">Stops a copy between files (what was copied is deleted again).</param>
    /// <param name="sameFileSystem">Null decides from the folders' devices; tests force the copy with false.</param>
    /// <param name="beforeCopy">Called with each file's path before it is copied (tests make a copy fail midway).</param>
    /// <exception cref="StorageException">A path leaves a folder, a file of the torrent is in the way in the new folder,
    /// or a file could not be moved (everything done so far was undone).</exception>
    public static async Task MoveAsync(Torrent torrent, string from, string to, CancellationToken ct, bool? sameFileSystem = null,
        Action<string>? beforeCopy = null)
    {
        var (fromRoot, toRoot) = (OutputPaths.Root(from), OutputPaths.Root(to));
        var (realFrom, realTo) = (OutputPaths.RealPath(fromRoot), OutputPaths.RealPath(toRoot));
        var moves = new List<Move>();
        foreach (var file in torrent.Files)
        {
            if (file.IsPadding) continue;
            var source = OutputPaths.Resolve(fromRoot, file.PathSegments, realFrom);
            if (!File.Exists(source)) continue; // never written (skipped, or not started yet)
            var target = OutputPaths.Resolve(toRoot, file.PathSegments, realTo);
            if (File.Exists(target) || Directory.Exists(target))
                throw new StorageException($"'{file.DisplayPath}' exists in the new folder already; nothing was moved");
            moves.Add(new Move(source, target, Replace: false));
        }
        // The ledger goes too (a ledger already there is stale: an earlier run of this torrent in that folder).
        var ledger = ResumeLedger.PathFor(fromRoot, torrent.InfoHash);
        if (File.Exists(ledger)) moves.Add(new Move(ledger, ResumeLedger.PathFor(toRoot, torrent.InfoHash), Replace: true));
        if (moves.Count == 0) return;
        Directory.CreateDirectory(toRoot);
        var rename = sameFileSystem ?? SameDevice(fromRoot, toRoot);
        await Task.Run(() => { if (rename) RenameAll(moves); else CopyAll(moves, toRoot, beforeCopy, ct); }, ct).ConfigureAwait(false);
        RemoveEmptyFolders(moves.Select(m => m.From), fromRoot);
    }

    private readonly record struct Move(string From, string To, bool Replace);

    private static bool SameDevice(string from, string to) =>
        FolderIdentity.NodeOf(from) is { } a && FolderIdentity.NodeOf(to) is { } b && a.Device == b.Device;

    // rename(2) per file; on a failure the files renamed so far go back, in reverse order.
    private static void RenameAll(List<Move> moves)
    {
        var done = new List<Move>();
        try
        {
            foreach (var move in moves)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(move.To)!);
                File.Move(move.From, move.To, move.Replace);
                done.Add(move);
            }
        }
        catch (Exception e) when (StorageErrors.IsIo(e))
        {
            for (var i = done.Count - 1; i >= 0; i--) File.Move(done[i].To, done[i].From);
            throw StorageErrors.Wrap(e, "moving the data (every file is back in the old folder)");
        }
    }

    // Copies every file, then deletes the originals: until the last copy is complete, the old folder holds everything.
    private static void CopyAll(List<Move> moves, string toRoot, Action<string>? beforeCopy, CancellationToken ct)
    {
        var made = new List<string>();
        try
        {
            foreach (var (from, to, replace) in moves)
            {
                ct.ThrowIfCancellationRequested();
                beforeCopy?.Invoke(from);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                var temp = to + TempSuffix;
                made.Add(temp);
                using (var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read))
                using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    source.CopyTo(target);
                    target.Flush(flushToDisk: true);
                }
                File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(from)); // the ledger trusts a file by size and time
                File.Move(temp, to, replace);
                made[^1] = to;
            }
        }
        catch (Exception e) when (StorageErrors.IsIo(e) || e is OperationCanceledException)
        {
            foreach (var path in made) File.Delete(path);
            RemoveEmptyFolders(made, toRoot);
            if (e is OperationCanceledException) throw;
            throw StorageErrors.Wrap(e, "copying the data to the new folder (the old folder keeps every file; the copies were deleted)");
        }
        foreach (var move in moves) File.Delete(move.From);
    }

    // The folders the moved files leave empty, deepest first, up to (not including) the folder they were moved from.
    private static void RemoveEmptyFolders(IEnumerable<string> files, string root)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
            for (var dir = Path.GetDirectoryName(file); dir is not null && OutputPaths.IsUnder(dir, root); dir = Path.GetDirectoryName(dir))
                folders.Add(dir);
        foreach (var dir in folders.OrderByDescending(d => d.Length))
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }
}
