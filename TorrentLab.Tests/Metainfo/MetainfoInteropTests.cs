using System.Text.Json;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Metainfo;

/// <summary>Torrents made by mktorrent and by libtorrent load here with the info hash, piece count and file list
/// that libtorrent itself reports for them (<c>lt.torrent_info(path)</c>).</summary>
[Trait("Tier", "Slow")]
public class MetainfoInteropTests
{
    // Prints, for each .torrent argument, what libtorrent reads from it, as one JSON object a line.
    private const string DescribeScript = """
        import json, sys, libtorrent as lt
        for path in sys.argv[1:]:
            ti = lt.torrent_info(path)
            fs = ti.files()
            print(json.dumps({"hash": str(ti.info_hashes().v1), "pieces": ti.num_pieces(), "total": ti.total_size(),
                "name": ti.name(), "files": [[fs.file_path(i), fs.file_size(i)] for i in range(fs.num_files())]}))
        """;

    // Creates torrents with libtorrent: argv = folder-or-file, output, piece length, "v1" or "hybrid".
    private const string CreateScript = """
        import sys, os, libtorrent as lt
        src, out, piece, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        fs = lt.file_storage()
        lt.add_files(fs, src)
        flags = lt.create_torrent.v1_only if mode == "v1" else 0
        t = lt.create_torrent(fs, piece, flags=flags)
        t.add_tracker("http://127.0.0.1:6969/announce")
        lt.set_piece_hashes(t, os.path.dirname(src))
        open(out, "wb").write(lt.bencode(t.generate()))
        """;

    [Fact]
    public void MktorrentTorrents_MatchLibtorrent()
    {
        var mktorrent = Interop.RequireExecutable("mktorrent");
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        var (single, multi) = WritePayloads(folder);
        var torrents = new List<string>();
        foreach (var (source, log2) in new[] { (single, 15), (single, 17), (multi, 15), (multi, 16), (multi, 18) })
        {
            var output = folder.Combine($"mk-{Path.GetFileName(source)}-{log2}.torrent");
            var result = ProcessRunner.Run(mktorrent, ["-d", "-l", log2.ToString(), "-a", "http://127.0.0.1:6969/announce", "-o", output, source],
                TimeSpan.FromSeconds(15), workingDirectory: folder.Path);
            Assert.True(result.ExitCode == 0, result.Stderr);
            torrents.Add(output);
        }
        AssertSameAsLibtorrent(python, torrents);
    }

    [Fact]
    public void LibtorrentTorrents_V1AndHybrid_MatchLibtorrent()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        var (single, multi) = WritePayloads(folder);
        var script = folder.Combine("create.py");
        File.WriteAllText(script, CreateScript);
        var torrents = new List<string>();
        foreach (var (source, piece, mode) in new[] { (single, 16384, "v1"), (multi, 32768, "v1"), (multi, 16384, "hybrid"), (single, 65536, "hybrid") })
        {
            var output = folder.Combine($"lt-{Path.GetFileName(source)}-{piece}-{mode}.torrent");
            var result = ProcessRunner.Run(python, [script, source, output, piece.ToString(), mode], TimeSpan.FromSeconds(15));
            Assert.True(result.ExitCode == 0, result.Stderr);
            torrents.Add(output);
        }
        AssertSameAsLibtorrent(python, torrents);
        Assert.True(Torrent.Load(torrents[2]).IsHybrid);
        Assert.False(Torrent.Load(torrents[1]).IsHybrid);
    }

    private static void AssertSameAsLibtorrent(string python, IReadOnlyList<string> torrents)
    {
        var result = ProcessRunner.Run(python, ["-c", DescribeScript, .. torrents], TimeSpan.FromSeconds(15));
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(torrents.Count, lines.Length);
        for (var i = 0; i < torrents.Count; i++)
        {
            var expected = JsonDocument.Parse(lines[i]).RootElement;
            var ours = Torrent.Load(torrents[i]);
            var label = Path.GetFileName(torrents[i]);
            Assert.True(expected.GetProperty("hash").GetString() == ours.InfoHash.Hex, $"{label}: info hash");
            Assert.True(expected.GetProperty("pieces").GetInt32() == ours.PieceCount, $"{label}: piece count");
            Assert.True(expected.GetProperty("total").GetInt64() == ours.TotalLength, $"{label}: total length");
            Assert.Equal(expected.GetProperty("name").GetString(), ours.Name);
            var files = expected.GetProperty("files").EnumerateArray().Select(f => $"{f[0].GetString()} {f[1].GetInt64()}").ToList();
            Assert.Equal(files, ours.Files.Select(f => $"{f.DisplayPath} {f.Length}").ToList());
        }
    }

    /// <summary>A 100,000-byte single file, and a folder with nested, unicode-named and empty files.</summary>
    private static (string Single, string Multi) WritePayloads(TempFolder folder)
    {
        var single = folder.Combine("données.bin");
        File.WriteAllBytes(single, TestTorrents.Payload(100_000, seed: 3));
        var multi = folder.Combine("multi");
        Directory.CreateDirectory(Path.Combine(multi, "sub", "日本"));
        File.WriteAllBytes(Path.Combine(multi, "a.txt"), TestTorrents.Payload(40_000, seed: 4));
        File.WriteAllBytes(Path.Combine(multi, "sub", "b.bin"), TestTorrents.Payload(70_001, seed: 5));
        File.WriteAllBytes(Path.Combine(multi, "sub", "日本", "ç.dat"), TestTorrents.Payload(5_000, seed: 6));
        File.WriteAllBytes(Path.Combine(multi, "empty.txt"), []);
        return (single, multi);
    }
}
