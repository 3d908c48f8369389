using System.Security.Cryptography;
using TorrentLab.Bencode;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>Hand-crafted hostile .torrent files whose names try to leave the output folder, downloaded with the real
/// CLI (reference path) from a synthetic seeder: nothing may ever be written outside the output folder, whether the
/// CLI sanitizes the name and succeeds, or refuses with one line.</summary>
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class PathTraversalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A unique marker in every hostile name, so an escaped file can be searched for anywhere in /tmp.</summary>
    private static readonly string Marker = "tlescape" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The cases: a name, files as raw path element lists (null: single-file), and an optional symlink to
    /// plant below the output folder before the download (relative path -> "outside").</summary>
    private sealed record Case(string Title, string Name, string[][]? Files, string? PlantLink = null)
    {
        public override string ToString() => Title;
    }

    private static readonly Case[] AllCases =
    [
        new Case("single-file name ../../x", $"../../{Marker}-a.txt", null),
        new Case("single-file absolute name /tmp/x", $"/tmp/{Marker}-b.txt", null),
        new Case("path elements .. .. x", "album", [["..", "..", $"{Marker}-c.txt"], ["ok.txt"]]),
        new Case("absolute path element /tmp/x", "album", [[$"/tmp/{Marker}-d.txt"], ["ok.txt"]]),
        new Case("empty first element then tmp", "album", [["", "tmp", $"{Marker}-e.txt"], ["ok.txt"]]),
        new Case("separators inside one element a/../../x", "album", [[$"a/../../{Marker}-f.txt"], ["ok.txt"]]),
        new Case("backslashes inside one element", "album", [[$"..\\..\\{Marker}-g.txt"], ["ok.txt"]]),
        new Case("drive letter C:\\x", "album", [[$"C:\\{Marker}-h.txt"], ["C:", $"{Marker}-i.txt"]]),
        new Case("name .. with files", "..", [[$"{Marker}-j.txt"], ["ok.txt"]]),
        new Case("reserved state folder .torrentlab", ".torrentlab", [[$"{Marker}-k.json"]]),
        new Case("names colliding after sanitizing", "album", [["a/b.txt"], ["ab.txt"], ["a\\b.txt"]]),
        new Case("symlinked top folder (out/album -> outside)", "album", [[$"{Marker}-l.txt"]], PlantLink: "album"),
        new Case("symlinked sub-folder (out/album/sub -> outside)", "album", [["sub", $"{Marker}-m.txt"], ["ok.txt"]], PlantLink: "album/sub"),
    ];

    /// <summary>The case titles (strings, so each case is its own test in the runner).</summary>
    public static TheoryData<string> Cases() => new(AllCases.Select(c => c.Title));

    /// <summary>The torrent's bytes, written with BencodeWriter by hand (TestTorrents would sanitize nothing, but
    /// its helpers take clean paths), and the payload.</summary>
    private static (byte[] Torrent, byte[] Payload) Craft(Case c)
    {
        const int pieceLength = 16384;
        var lengths = c.Files is null ? [5000] : c.Files.Select((_, i) => 3000 + 1000 * i).ToArray();
        var payload = TestTorrents.Payload(lengths.Sum(), seed: 11);
        var info = new BDictionary().Set("name", new BString(c.Name)).Set("piece length", new BInteger(pieceLength))
            .Set("pieces", new BString(TestTorrents.PieceHashes(payload, pieceLength)));
        if (c.Files is null) info.Set("length", new BInteger(lengths[0]));
        else
            info.Set("files", new BList(c.Files.Select((path, i) => (BValue)new BDictionary().Set("length", new BInteger(lengths[i]))
                .Set("path", new BList(path.Select(e => (BValue)new BString(e)).ToList()))).ToList()));
        var root = new BDictionary().Set("announce", new BString("http://127.0.0.1:1/announce")).Set("info", info);
        return (BencodeWriter.Encode(root), payload);
    }

    private static SortedSet<string> Snapshot(string folder) =>
        new(Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }), StringComparer.Ordinal);

    /// <summary>Entries named with the marker anywhere in the temp folder (3 levels deep), except in the output folder.</summary>
    private static List<string> EscapedMarkers(string output) =>
        Directory.EnumerateFileSystemEntries(Path.GetTempPath(), $"*{Marker}*", new EnumerationOptions
        {
            RecurseSubdirectories = true, MaxRecursionDepth = 3, IgnoreInaccessible = true, AttributesToSkip = 0,
        }).Where(p => !OutputPaths.IsUnder(p, output)).ToList();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostilePaths_DownloadedWithTheCli_NothingIsWrittenOutsideTheOutputFolder(string title)
    {
        var c = AllCases.Single(x => x.Title == title);
        using var folder = new TempFolder("torrentlab-traversal");
        var (bytes, payload) = Craft(c);
        var torrent = Torrent.Parse(bytes);
        var torrentPath = folder.Combine("hostile.torrent");
        File.WriteAllBytes(torrentPath, bytes);
        var output = folder.Combine("work", "out");
        var outside = folder.Combine("work", "outside");
        Directory.CreateDirectory(output);
        Directory.CreateDirectory(outside);
        if (c.PlantLink is { } link)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(output, link))!);
            Directory.CreateSymbolicLink(Path.Combine(output, link), outside);
        }
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(torrent, payload));
        var before = Snapshot(folder.Path);
        var tmpBefore = EscapedMarkers(output);

        var result = await CliRunner.RunAsync([torrentPath, "-o", output, "--quiet", "--max-peers", "1", "--peer", seeder.EndPoint.ToString()],
            TimeSpan.FromSeconds(30));

        var created = Snapshot(folder.Path).Except(before).ToList();
        var escaped = created.Where(p => !OutputPaths.IsUnder(p, output)).ToList();
        var inOutside = Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories).ToList();
        Assert.Empty(tmpBefore);
        Assert.True(escaped.Count == 0, $"{c.Title}: written outside the output folder: {string.Join(", ", escaped)}");
        Assert.True(inOutside.Count == 0, $"{c.Title}: written through a symlink: {string.Join(", ", inOutside)}");
        Assert.Empty(EscapedMarkers(output));
        Assert.True(result.ExitCode is CliRunner.Codes.Ok or CliRunner.Codes.BadInput or CliRunner.Codes.Io,
            $"{c.Title}: exit {result.ExitCode}: {result.Stderr}");
        Assert.True(result.Stderr.TrimEnd('\n').Split('\n').Length == 1, result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        if (result.ExitCode == CliRunner.Codes.Ok)
        {
            // Sanitized and downloaded: every byte landed in some file below the output folder, in torrent order.
            var written = torrent.Files.Select(f => File.ReadAllBytes(Path.Combine(output, f.RelativePath))).SelectMany(b => b).ToArray();
            Assert.Equal(SHA1.HashData(payload), SHA1.HashData(written));
        }
        var outcome = result.ExitCode == CliRunner.Codes.Ok
            ? $"sanitized: {string.Join(", ", torrent.Files.Select(f => f.RelativePath.Replace(Marker, "X")))}"
            : $"refused (exit {result.ExitCode}): {result.Stderr.Trim().Replace(Marker, "X")}";
        ReliabilityReport.Add(new ReliabilityRow("path traversal", c.Title, 1, 1, "none", outcome));
    }
}
