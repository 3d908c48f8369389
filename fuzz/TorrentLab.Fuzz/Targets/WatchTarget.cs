using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Web;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A file dropped into the watch folder: read from the disk by the bounded reader, then taken as the server
/// takes it, as a .torrent (parsed) and as a .magnet file (its first line, a magnet link, parsed). Either that, or the
/// layer's exception: a file over the limit is refused unread, bytes that are no torrent or link are refused.</summary>
/// <remarks>What must hold: a file within the limit reads back exactly, one over it is refused. The limit is 64 KiB
/// here (the server's is 10 MiB), so that afl-fuzz's inputs reach both sides of it.</remarks>
internal static class WatchTarget
{
    public static FuzzTarget Target { get; } = new("watch", "a file in the watch folder: read with a bound, then a .torrent or .magnet", Run, Seeds);

    private const int Limit = 64 * 1024;

    private static string? s_inputPath;

    /// <summary>One file in a folder of our own (never a guessable name in the shared temporary folder), rewritten for
    /// each input (afl-fuzz runs one at a time in a process); the folder is removed when the process ends.</summary>
    private static string InputPath()
    {
        if (s_inputPath is { } path) return path;
        var folder = Directory.CreateTempSubdirectory("torrentlab-fuzz-watch-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return s_inputPath = Path.Combine(folder, "input.torrent");
    }

    private static void Run(byte[] input)
    {
        File.WriteAllBytes(InputPath(), input);
        byte[] bytes;
        try
        {
            bytes = WatchedFileReader.ReadAsync(InputPath(), Limit, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (WatchedFileException) when (input.Length > Limit)
        {
            return;
        }
        if (input.Length > Limit || !bytes.AsSpan().SequenceEqual(input))
            throw new InvalidOperationException($"{input.Length} bytes written, {bytes.Length} read back (the limit is {Limit})");

        try
        {
            _ = Torrent.Parse(bytes).InfoHash;
        }
        catch (Exception e) when (e is MetainfoException or BencodeException) { }
        var link = new WatchedFile("input.magnet", bytes, IsMagnet: true).Link;
        if (link.Contains('\n', StringComparison.Ordinal) || link != link.Trim()) throw new InvalidOperationException($"the link '{link}' is not one trimmed line");
        try
        {
            _ = RemoteLinks.MagnetHash(link);
        }
        catch (WebApiException e) when (e.StatusCode == 400) { }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        foreach (var (name, bytes) in TorrentTarget.Target.Seeds())
            if (name is "v1-single.torrent" or "hybrid-multi.torrent") yield return (name, bytes);
        yield return ("link.magnet", Encoding.UTF8.GetBytes(
            "\n  magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&x.pe=127.0.0.1:6881  \r\nnotes\n"));
        yield return ("link-v2.magnet", Encoding.UTF8.GetBytes(
            "magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&dn=v2\n"));
    }
}
