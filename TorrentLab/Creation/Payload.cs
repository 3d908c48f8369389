using System.Text;

namespace TorrentLab.Creation;

/// <summary>One file to put in a torrent: its path below the torrent's name folder and where to read it.</summary>
/// <param name="Path">Path segments below the name folder (empty for a single-file torrent).</param>
/// <param name="FullPath">Where the bytes are read from (the link target for a followed link).</param>
/// <param name="Length">Size in bytes, taken when the input was scanned.</param>
/// <param name="Data">The bytes, for files given in memory (null: read <paramref name="FullPath"/>).</param>
/// <param name="IsPad">A BEP 47 pad file of a hybrid torrent: zeros, read from nowhere.</param>
internal sealed record PayloadFile(IReadOnlyList<string> Path, string FullPath, long Length, ReadOnlyMemory<byte>? Data = null, bool IsPad = false);

/// <summary>The scanned input: the torrent's name, whether it is a folder, and its files in torrent order.</summary>
internal sealed record Payload(string Name, bool IsMultiFile, IReadOnlyList<PayloadFile> Files)
{
    public long TotalLength { get; } = Files.Sum(f => f.Length);

    /// <summary>Torrent order: the '/'-joined path compared as UTF-8 bytes, which is what mktorrent 1.1 does
    /// (<c>a b</c> &lt; <c>a.txt</c> &lt; <c>a/b</c> &lt; <c>a0</c>; upper case before lower case).</summary>
    /// <remarks>libtorrent 2.0 keeps the order it reads the folder in (unsorted) unless asked for its v2 "canonical"
    /// order, which compares segment by segment and adds pad files; so mktorrent's order is the one we can match.</remarks>
    public static int CompareTorrentOrder(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        Encoding.UTF8.GetBytes(string.Join('/', a)).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(string.Join('/', b)));

    /// <summary>File tree order (BEP 52): segment by segment, each compared as UTF-8 bytes, which is the order of the
    /// sorted keys of the nested <c>file tree</c> (<c>a/b</c> &lt; <c>a b</c> &lt; <c>a.txt</c>); libtorrent 2.0 lists
    /// the v1 files of a hybrid in this order too.</summary>
    public static int CompareTreeOrder(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var c = Encoding.UTF8.GetBytes(a[i]).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b[i]));
            if (c != 0) return c;
        }
        return a.Count.CompareTo(b.Count);
    }

    /// <summary>The same files in file tree order (<see cref="CompareTreeOrder"/>).</summary>
    public Payload InTreeOrder() => this with { Files = [.. Files.OrderBy(f => f.Path, Comparer<IReadOnlyList<string>>.Create(CompareTreeOrder))] };

    /// <summary>The v1 file list of a hybrid: a pad file after every non-empty file that does not end on a piece
    /// boundary (the last one too, as libtorrent 2.0 writes it), so every file starts a piece as in v2.</summary>
    public IReadOnlyList<PayloadFile> WithPadFiles(int pieceLength)
    {
        if (!IsMultiFile) return Files; // one file starts at 0; libtorrent adds no pad to a single-file torrent
        var result = new List<PayloadFile>(Files.Count * 2);
        foreach (var file in Files)
        {
            result.Add(file);
            var gap = (pieceLength - file.Length % pieceLength) % pieceLength;
            if (file.Length > 0 && gap > 0)
                result.Add(new PayloadFile([".pad", gap.ToString(System.Globalization.CultureInfo.InvariantCulture)], "", gap, IsPad: true));
        }
        return result;
    }
}
