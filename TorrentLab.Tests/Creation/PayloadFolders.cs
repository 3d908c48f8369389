using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

/// <summary>Writes input folders for torrent creation tests: nested, mixed case, unicode, hidden and empty files.</summary>
internal static class PayloadFolders
{
    /// <summary>Relative paths chosen to tell sorting rules apart ('/'-joined byte order, case, UTF-8 vs UTF-16 order).</summary>
    public static readonly (string Path, int Length)[] Mixed =
    [
        ("b.txt", 70_000),
        ("A.txt", 1_000),
        ("a.txt", 33_333),
        ("a b", 5),
        ("a-b", 17_000),
        ("a/b/c.bin", 300_001),
        ("a0", 1),
        ("Sub/z", 16_384),
        ("sub/w", 16_385),
        ("empty", 0),             // an empty file among others
        (".hidden", 123),         // hidden files are included
        (".hd/f", 4_096),
        ("é.txt", 999),           // U+00E9, 2 bytes of UTF-8
        ("～.txt", 12),            // U+FF5E, 3 bytes: before the emoji in UTF-8 order, after it in UTF-16 order
        ("🎵.txt", 2_000),         // U+1F3B5, 4 bytes of UTF-8, a surrogate pair in UTF-16
        ("日本語/ファイル.dat", 100_000),
    ];

    /// <summary>Creates <paramref name="name"/> below <paramref name="parent"/> holding <paramref name="files"/>
    /// with deterministic contents; returns its path.</summary>
    public static string Write(string parent, string name, IEnumerable<(string Path, int Length)> files, int seed = 7)
    {
        var root = Path.Combine(parent, name);
        Directory.CreateDirectory(root);
        var i = 0;
        foreach (var (path, length) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, TestTorrents.Payload(length, seed + i++));
        }
        return root;
    }

    /// <summary>A big-ish folder for piece lengths up to 1 MiB: about 3 MiB in files that do not align with pieces.</summary>
    public static readonly (string Path, int Length)[] Large =
    [
        ("one.bin", 1_234_567),
        ("two/three.bin", 1_048_576),
        ("two/empty", 0),
        ("z.bin", 900_001),
    ];
}
