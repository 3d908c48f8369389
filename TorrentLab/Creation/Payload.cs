using System.Text;

namespace TorrentLab.Creation;

/// <summary>One file to put in a torrent: its path below the torrent's name folder and where to read it.</summary>
/// <param name="Path">Path segments below the name folder (empty for a single-file torrent).</param>
/// <param name="FullPath">Where the bytes are read from (the link target for a followed link).</param>
/// <param name="Length">Size in bytes, taken when the input was scanned.</param>
internal sealed record PayloadFile(IReadOnlyList<string> Path, string FullPath, long Length);

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
}
