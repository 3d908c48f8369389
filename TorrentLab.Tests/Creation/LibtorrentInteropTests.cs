using System.Text;
using System.Text.Json;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

/// <summary>The .torrent we write equals libtorrent 2.0's v1-only torrent byte for byte, for the same files in the same
/// order (libtorrent keeps the folder's unsorted order, so it is given ours), the same creator and date.</summary>
[Trait("Tier", "Slow")]
public class LibtorrentInteropTests
{
    // Builds a v1-only torrent with libtorrent; prints its bytes in hex, then the paths its own folder scan finds.
    private const string CreateScript = """
        import sys, json, libtorrent as lt
        s = json.loads(sys.argv[1])
        fs = lt.file_storage()
        found = []
        if s['files'] is None:
            lt.add_files(fs, s['root'] + '/' + s['name'])
        else:
            for path, size in s['files']:
                fs.add_file(s['name'] + '/' + path, size)
            scan = lt.file_storage()
            lt.add_files(scan, s['root'] + '/' + s['name'])
            found = sorted(scan.file_path(i) for i in range(scan.num_files()))
        ct = lt.create_torrent(fs, s['piece'], flags=lt.create_torrent.v1_only)
        for tier, urls in enumerate(s['tiers']):
            for url in urls:
                ct.add_tracker(url, tier)
        for url in s['webseeds']:
            ct.add_url_seed(url)
        if s['comment']:
            ct.set_comment(s['comment'])
        ct.set_creator(s['creator'])
        ct.set_priv(s['private'])
        lt.set_piece_hashes(ct, s['root'])
        e = ct.generate()
        e[b'creation date'] = s['date']
        print(lt.bencode(e).hex())
        print(json.dumps(found))
        """;

    private static readonly DateTimeOffset Date = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);

    [Theory]
    [InlineData("single", 16 * 1024, false, 1, "", 0)]
    [InlineData("single", 1024 * 1024, true, 2, "", 1)]
    [InlineData("mixed", 16 * 1024, false, 3, "a comment", 0)]
    [InlineData("mixed", 256 * 1024, true, 1, "", 2)]
    [InlineData("large", 256 * 1024, false, 2, "ünïcode ✓", 0)]
    [InlineData("large", 1024 * 1024, true, 0, "", 0)]
    public async Task CreateAsync_SameFilesAndOptions_WritesLibtorrentsExactV1Bytes(string input, int pieceLength,
        bool isPrivate, int trackers, string comment, int webSeeds)
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var path = MktorrentInteropTests.WriteInput(temp, input);
        var trackerUrls = Enumerable.Range(1, trackers).Select(i => $"http://127.0.0.1:{6880 + i}/announce").ToArray();
        var seedUrls = Enumerable.Range(1, webSeeds).Select(i => $"http://127.0.0.1:{8080 + i}/files/").ToArray();
        var options = TorrentCreateOptions.WithTrackers(trackerUrls) with
        {
            PieceLength = pieceLength,
            Private = isPrivate,
            Comment = comment,
            WebSeeds = seedUrls,
            CreationDate = Date,
        };
        var ours = await TorrentBuilder.CreateAsync(path, options, null, TestContext.Current.CancellationToken);
        var parsed = Torrent.Parse(ours);

        var (theirs, scanned) = RunLibtorrent(python, temp.Path, parsed, options);

        Assert.Equal(Torrent.Parse(theirs).InfoHash, parsed.InfoHash);
        Assert.Equal(theirs, ours);
        if (parsed.IsMultiFile) // libtorrent's own scan finds the same files (hidden and empty ones included)
            Assert.Equal(parsed.Files.Select(f => f.DisplayPath).Order(StringComparer.Ordinal), scanned.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Automatic_MatchesLibtorrentsChoiceAcrossSizes()
    {
        var python = Interop.RequireLibtorrentPython();
        long[] sizes = [1, 2_684_355, 2_684_356, 50_000_000, 687_194_767, 687_194_768, 1L << 30, 5_000_000_000,
            100_000_000_000, 703_687_441_777, 703_687_441_778, 2_000_000_000_000];
        const string script = """
            import sys, libtorrent as lt
            for size in sys.argv[1:]:
                fs = lt.file_storage()
                fs.add_file('x/f', int(size))
                print(lt.create_torrent(fs, 0, flags=lt.create_torrent.v1_only).piece_length())
            """;

        var run = ProcessRunner.Run(python, ["-c", script, .. sizes.Select(s => s.ToString())], TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var theirs = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        Assert.Equal(theirs, sizes.Select(PieceLengthRule.Automatic));
    }

    private static (byte[] Torrent, string[] Scanned) RunLibtorrent(string python, string root, Torrent ours, TorrentCreateOptions options)
    {
        var spec = new MemoryStream();
        using (var json = new Utf8JsonWriter(spec))
        {
            json.WriteStartObject();
            json.WriteString("root", root);
            json.WriteString("name", ours.Name);
            if (ours.IsMultiFile)
            {
                json.WriteStartArray("files");
                foreach (var file in ours.Files)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(string.Join('/', file.PathSegments.Skip(1)));
                    json.WriteNumberValue(file.Length);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
            else
            {
                json.WriteNull("files");
            }
            json.WriteNumber("piece", ours.PieceLength);
            json.WriteBoolean("private", options.Private);
            json.WriteStartArray("tiers");
            foreach (var tier in options.TrackerTiers)
            {
                json.WriteStartArray();
                foreach (var url in tier) json.WriteStringValue(url);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteStartArray("webseeds");
            foreach (var url in options.WebSeeds) json.WriteStringValue(url);
            json.WriteEndArray();
            json.WriteString("comment", options.Comment);
            json.WriteString("creator", options.CreatedBy);
            json.WriteNumber("date", options.CreationDate!.Value.ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        var run = ProcessRunner.Run(python, ["-c", CreateScript, Encoding.UTF8.GetString(spec.ToArray())], TimeSpan.FromSeconds(30));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var scanned = JsonDocument.Parse(lines[1]).RootElement.EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (Convert.FromHexString(lines[0]), scanned);
    }
}
