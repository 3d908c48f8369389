using TorrentLab.Metainfo;

namespace TorrentLab.Storage;

/// <summary>Where each byte of a torrent lives on disk: the files' full paths below the output folder and the
/// mapping from the concatenated stream (BEP 3: pieces are cut from all files laid end to end) to file ranges.</summary>
internal sealed class StorageLayout
{
    private readonly long[] _starts;

    /// <exception cref="StorageException">A file path would leave the output folder.</exception>
    public StorageLayout(Torrent torrent, string outputDir)
    {
        Torrent = torrent;
        // One string for every torrent of a folder: a session of ten thousand torrents keeps one copy, not ten thousand.
        Root = string.Intern(OutputPaths.Root(outputDir));
        RealRoot = OutputPaths.RealPath(Root); // once for all files: each is resolved from there
        FullPaths = torrent.Files.Select(f => OutputPaths.Resolve(Root, f.PathSegments, RealRoot)).ToArray(); // no list around it
        _starts = [.. torrent.Files.Select(f => f.Offset)];
        RootIdentity = FolderIdentity.Of(Root);
    }

    /// <summary>The folder <see cref="Root"/> named when the download began (null until it exists): the ledger is saved
    /// only while the path still names that folder (<see cref="FolderIdentity"/>).</summary>
    internal FolderIdentity? RootIdentity { get; set; }

    /// <summary>Refuses to go on through an output folder that was moved away and replaced (by another folder or a link
    /// to one) since the download began: a ledger saved or a file created there would land in the other folder, and
    /// the ledger would describe its files as this download's pieces.</summary>
    /// <exception cref="StorageException">The path names another folder now, or none.</exception>
    internal void CheckSameRoot(string doing)
    {
        if (RootIdentity is not { } started) return;
        var now = FolderIdentity.Of(Root);
        if (now == started) return;
        throw new StorageException($"the output folder '{Root}' is no longer the folder this download started in " +
            $"({(now is null ? "it is gone" : $"it was {started}, it is now {now}")}): it was moved or replaced, so {doing}");
    }

    /// <summary>After a write by path into the output folder: when the folder was swapped while the write ran (between
    /// <see cref="CheckSameRoot"/> and the write), removes what was written if <paramref name="path"/> still names the
    /// node we wrote (<paramref name="written"/>), then throws as <see cref="CheckSameRoot"/> does. The check before
    /// the write keeps a swap done earlier out; this one undoes a swap that landed during it.</summary>
    internal void CheckSameRootAfter(string path, (ulong Device, ulong Inode)? written, string doing)
    {
        try
        {
            CheckSameRoot(doing);
        }
        catch (StorageException)
        {
            try
            {
                if (written is not null && FolderIdentity.NodeOf(path) == written) File.Delete(path);
            }
            catch (Exception e) when (StorageErrors.IsIo(e)) { /* the error below names the swap; this file is ours */ }
            throw;
        }
    }

    public Torrent Torrent { get; }

    /// <summary>The files wanted (set once, by the resume decision, before storage opens): skipped files are created
    /// only when a piece shared with a wanted file is written, and the ledger records it.</summary>
    public Pieces.PieceSelection? Selection { get; set; }

    /// <summary>True when file <paramref name="file"/> is skipped by <see cref="Selection"/>.</summary>
    public bool IsSkipped(int file) => Selection?.IsSkipped(file) == true;

    /// <summary>True for a skipped file that shares no piece with a wanted one: the download never writes it, so
    /// whatever is at its path is not this download's (not checked, not recorded in the ledger, never deleted).</summary>
    public bool IsNeverWritten(int file)
    {
        if (!IsSkipped(file)) return false;
        var (first, last) = PieceRange(file);
        for (var p = first; p <= last; p++) if (Selection!.IsWanted(p)) return false;
        return true;
    }

    /// <summary>The output folder's full path.</summary>
    public string Root { get; }

    /// <summary><see cref="Root"/> with its symbolic links followed, as resolved when the layout was made: paths below
    /// the root are checked from here (<see cref="OutputPaths.CheckInside"/>). A root replaced since is caught by
    /// <see cref="CheckSameRoot"/>, which each save asks first.</summary>
    public string RealRoot { get; }

    /// <summary>Full path of each file, in torrent order (pad files too, though they are never written).</summary>
    public IReadOnlyList<string> FullPaths { get; }

    /// <summary>One stretch of a stream range that falls inside one file.</summary>
    /// <param name="File">Index into <see cref="Metainfo.Torrent.Files"/>.</param>
    /// <param name="FileOffset">Where the stretch starts in that file.</param>
    /// <param name="BufferOffset">Where it starts in the caller's buffer (relative to the range start).</param>
    /// <param name="Length">Bytes.</param>
    public readonly record struct Segment(int File, long FileOffset, int BufferOffset, int Length);

    /// <summary>The file stretches covering stream bytes [<paramref name="offset"/>, offset + length), in order;
    /// empty files are skipped.</summary>
    public List<Segment> Segments(long offset, int length)
    {
        var segments = new List<Segment>(2);
        var file = FileAt(offset);
        var done = 0;
        while (done < length)
        {
            var entry = Torrent.Files[file];
            var inFile = offset + done - entry.Offset;
            var take = (int)Math.Min(length - done, entry.Length - inFile);
            if (take > 0) segments.Add(new Segment(file, inFile, done, take));
            done += Math.Max(take, 0);
            file++;
        }
        return segments;
    }

    /// <summary>The stream offset of piece <paramref name="index"/>.</summary>
    public long PieceOffset(int index) => (long)index * Torrent.PieceLength;

    /// <summary>The pieces that hold bytes of file <paramref name="file"/>; (0, -1) for an empty file.</summary>
    public (int First, int Last) PieceRange(int file)
    {
        var entry = Torrent.Files[file];
        if (entry.Length == 0) return (0, -1);
        return ((int)(entry.Offset / Torrent.PieceLength), (int)((entry.Offset + entry.Length - 1) / Torrent.PieceLength));
    }

    /// <summary>The index of the last non-empty file starting at or before <paramref name="offset"/>.</summary>
    private int FileAt(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        if (i < 0) i = ~i - 1;
        // Several files may start at the same offset (empty files): take the first of them; Segments skips empties.
        while (i > 0 && _starts[i - 1] == _starts[i]) i--;
        return Math.Max(i, 0);
    }
}
