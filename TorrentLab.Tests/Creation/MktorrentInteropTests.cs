using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

/// <summary>The .torrent we write equals mktorrent 1.1's byte for byte, given its <c>created by</c> and no date.</summary>
/// <remarks>mktorrent 1.1 accepts piece lengths of 32 KiB to 256 MiB only; 16 KiB is compared with libtorrent.</remarks>
[Trait("Tier", "Slow")]
public class MktorrentInteropTests
{
    [Theory]
    [InlineData("single", 18, false, 1, "", 0)]           // 256 KiB, one tracker: announce only
    [InlineData("single", 15, true, 0, "", 1)]            // 32 KiB, private, no tracker, one web seed (a string)
    [InlineData("mixed", 15, false, 3, "a comment", 0)]   // nested, unicode, hidden, empty file; one tier per tracker
    [InlineData("large", 18, true, 2, "", 0)]             // 256 KiB, private
    [InlineData("large", 20, false, 1, "ünïcode ✓", 2)]   // 1 MiB, two web seeds (a list)
    [InlineData("large", 15, false, 0, "", 0)]            // mktorrent's smallest piece (it refuses 16 KiB: -l 15..28)
    public async Task CreateAsync_SameInputAndOptions_WritesMktorrentsExactBytes(string input, int log2PieceLength,
        bool isPrivate, int trackers, string comment, int webSeeds)
    {
        var mktorrent = Interop.RequireExecutable("mktorrent");
        using var temp = new TempFolder();
        var path = WriteInput(temp, input);
        var trackerUrls = Enumerable.Range(1, trackers).Select(i => $"http://127.0.0.1:{6880 + i}/announce").ToArray();
        var seedUrls = Enumerable.Range(1, webSeeds).Select(i => $"http://127.0.0.1:{8080 + i}/files/").ToArray();

        List<string> args = ["-d", "-t", "1", "-l", log2PieceLength.ToString(), "-o", temp.Combine("theirs.torrent")];
        foreach (var url in trackerUrls) args.AddRange(["-a", url]);
        foreach (var url in seedUrls) args.AddRange(["-w", url]);
        if (isPrivate) args.Add("-p");
        if (comment.Length > 0) args.AddRange(["-c", comment]);
        args.Add(path);
        var run = ProcessRunner.Run(mktorrent, args, TimeSpan.FromSeconds(30));
        Assert.True(run.ExitCode == 0, run.Stderr);
        var theirs = File.ReadAllBytes(temp.Combine("theirs.torrent"));

        var options = TorrentCreateOptions.WithTrackers(trackerUrls) with
        {
            PieceLength = 1 << log2PieceLength,
            Private = isPrivate,
            Comment = comment,
            WebSeeds = seedUrls,
            CreatedBy = Torrent.Parse(theirs).CreatedBy, // "mktorrent 1.1"
            CreationDate = null,                          // as -d
        };
        var ours = await TorrentBuilder.CreateAsync(path, options, null, TestContext.Current.CancellationToken);

        Assert.Equal(Torrent.Parse(theirs).InfoHash, Torrent.Parse(ours).InfoHash);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public async Task CreateAsync_CommaInOneTracker_MatchesMktorrentsSingleTier()
    {
        var mktorrent = Interop.RequireExecutable("mktorrent");
        using var temp = new TempFolder();
        var path = WriteInput(temp, "single");
        var run = ProcessRunner.Run(mktorrent,
            ["-d", "-t", "1", "-a", "http://127.0.0.1:1/a,http://127.0.0.1:2/b", "-a", "http://127.0.0.1:3/c", "-o", temp.Combine("t"), path],
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, run.ExitCode);
        var theirs = Torrent.Load(temp.Combine("t"));

        var options = new TorrentCreateOptions
        {
            TrackerTiers = [["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"], ["http://127.0.0.1:3/c"]],
            PieceLength = 256 * 1024,
            CreatedBy = theirs.CreatedBy,
            CreationDate = null,
        };
        var ours = Torrent.Parse(await TorrentBuilder.CreateAsync(path, options, null, TestContext.Current.CancellationToken));

        Assert.Equal(theirs.AnnounceTiers, ours.AnnounceTiers);
        Assert.Equal(theirs.Announce, ours.Announce);
    }

    internal static string WriteInput(TempFolder temp, string kind) => kind switch
    {
        "single" => WriteSingle(temp),
        "mixed" => PayloadFolders.Write(temp.Path, "mixed", PayloadFolders.Mixed),
        "large" => PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large),
        _ => throw new ArgumentException(kind),
    };

    private static string WriteSingle(TempFolder temp)
    {
        var path = temp.Combine("single file.bin");
        File.WriteAllBytes(path, TestTorrents.Payload(700_001, seed: 3));
        return path;
    }
}
