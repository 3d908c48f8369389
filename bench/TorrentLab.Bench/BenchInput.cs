using TorrentLab.Bencode;

namespace TorrentLab.Bench;

/// <summary>A named .torrent (or other bencode) input held in memory.</summary>
public sealed record BenchInput(string Name, byte[] Bytes)
{
    public override string ToString() => $"{Name} {Bytes.Length / 1e6:F2}MB";

    /// <summary>The inputs: a few real corpus torrents (when the shared corpus is present) and synthetic large ones.</summary>
    public static IEnumerable<BenchInput> All()
    {
        var corpus = Environment.GetEnvironmentVariable("TORRENTLAB_CORPUS") is { Length: > 0 } c ? c : FindCorpus();
        if (corpus is not null)
        {
            foreach (var (name, path) in new[]
            {
                ("bootstrap", "anacrolix-torrent/testdata/bootstrap.dat.torrent"),
                ("continuum", "anacrolix-torrent/metainfo/testdata/continuum.torrent"),
                ("v2-hybrid", "monotorrent/bittorrent-v2-hybrid-test.torrent"),
            })
            {
                var full = Path.Combine(corpus, path);
                if (File.Exists(full)) yield return new BenchInput(name, File.ReadAllBytes(full));
            }
        }
        yield return new BenchInput("synth-100k", Synthetic(100_000, 10_000));
        yield return new BenchInput("synth-1M", Synthetic(1_000_000, 10_000));
    }

    /// <summary>A valid multi-file torrent with <paramref name="pieces"/> pieces spread over <paramref name="files"/> files.</summary>
    public static byte[] Synthetic(int pieces, int files)
    {
        const int pieceLength = 256 * 1024;
        var total = (long)pieces * pieceLength;
        var hashes = new byte[pieces * 20];
        new Random(42).NextBytes(hashes);
        var list = new List<BValue>(files);
        long left = total;
        for (var i = 0; i < files; i++)
        {
            var length = i == files - 1 ? left : total / files;
            left -= length;
            list.Add(new BDictionary()
                .Set("length", new BInteger(length))
                .Set("path", new BList([new BString($"folder-{i / 100:D3}"), new BString($"file-{i:D5}.bin")])));
        }
        var info = new BDictionary()
            .Set("files", new BList(list))
            .Set("name", new BString("synthetic"))
            .Set("piece length", new BInteger(pieceLength))
            .Set("pieces", new BString(hashes));
        return BencodeWriter.Encode(new BDictionary()
            .Set("announce", new BString("http://127.0.0.1:6969/announce"))
            .Set("info", info));
    }

    private static string? FindCorpus()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "corpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
