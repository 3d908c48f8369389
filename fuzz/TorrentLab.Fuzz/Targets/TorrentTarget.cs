using TorrentLab.Bencode;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A .torrent file (v1, v2 and hybrid): parsed, then used as a download uses it first: its files laid out
/// below an output folder, its magnet link, its piece checks. Either that, or the layer's exception.</summary>
internal static class TorrentTarget
{
    public static FuzzTarget Target { get; } = new("torrent", "a .torrent file, its layout, magnet link and piece checks", Run, Seeds);

    private static void Run(byte[] input)
    {
        try
        {
            var torrent = Torrent.Parse(input);
            _ = new StorageLayout(torrent, "/nonexistent/torrentlab-fuzz"); // computes paths only: nothing is created
            _ = torrent.MagnetLink;
            _ = new PieceCheck(torrent);
        }
        catch (Exception e) when (e is MetainfoException or BencodeException or StorageException) { }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var when = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);   // fixed: the seeds are the same on every run
        var single = Payload(40_000, 1);
        var options = new TorrentCreateOptions
        {
            PieceLength = 16 * 1024,
            TrackerTiers = [["http://127.0.0.1:6969/announce"], ["udp://127.0.0.1:6969"]],
            CreationDate = when,
            Comment = "fuzz seed",
        };
        yield return ("v1-single.torrent", TorrentBuilder.Create("single.bin", single, options));
        yield return ("v1-private.torrent", TorrentBuilder.Create("private.bin", Payload(20_000, 2), options with
        {
            Private = true, WebSeeds = ["http://127.0.0.1:8080/private.bin"],
        }));
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files =
            [(["a.bin"], Payload(30_000, 3)), (["sub", "b.txt"], Payload(3_000, 4)), (["empty"], Array.Empty<byte>())];
        foreach (var (name, format) in new[] { ("v1-multi", TorrentFormat.V1), ("v2-multi", TorrentFormat.V2), ("hybrid-multi", TorrentFormat.Hybrid) })
            yield return ($"{name}.torrent", TorrentBuilder.Create("folder", files, options with { Format = format }));
    }

    /// <summary>Deterministic bytes: the same seeds (and info hashes) on every run.</summary>
    internal static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
