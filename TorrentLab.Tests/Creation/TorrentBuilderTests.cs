using System.Security.Cryptography;
using System.Text;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

public class TorrentBuilderTests
{
    private static readonly DateTimeOffset FixedDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static TorrentCreateOptions Options(int? pieceLength = 16 * 1024) => TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with
    {
        PieceLength = pieceLength,
        CreationDate = FixedDate,
    };

    [Fact]
    public async Task CreateAsync_Folder_ParsesAndEveryPieceHashMatchesThePayload()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "mixed", PayloadFolders.Mixed);

        var torrent = Torrent.Parse(await TorrentBuilder.CreateAsync(root, Options(), null, TestContext.Current.CancellationToken));

        Assert.True(torrent.IsMultiFile);
        Assert.Equal("mixed", torrent.Name);
        Assert.Equal(PayloadFolders.Mixed.Sum(f => (long)f.Length), torrent.TotalLength);
        var payload = torrent.Files.SelectMany(f => File.ReadAllBytes(Path.Combine(temp.Path, f.RelativePath))).ToArray();
        Assert.Equal(TestTorrents.PieceHashes(payload, 16 * 1024), torrent.PieceHashes.ToArray());
    }

    [Fact]
    public async Task CreateAsync_Folder_ListsFilesInMktorrentOrder()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "mixed", PayloadFolders.Mixed);

        var torrent = Torrent.Parse(await TorrentBuilder.CreateAsync(root, Options(), null, TestContext.Current.CancellationToken));

        // '/'-joined paths in UTF-8 byte order: hidden first, upper before lower case, "a b" < "a-b" < "a.txt" < "a/b"
        // < "a0", and U+FF5E (EF BD 9E) before U+1F3B5 (F0 9F 8E B5) although UTF-16 order is the other way.
        string[] expected =
        [
            ".hd/f", ".hidden", "A.txt", "Sub/z", "a b", "a-b", "a.txt", "a/b/c.bin", "a0", "b.txt", "empty", "sub/w",
            "é.txt", "日本語/ファイル.dat", "～.txt", "🎵.txt",
        ];
        Assert.Equal(expected.Select(p => "mixed/" + p), torrent.Files.Select(f => f.DisplayPath));
    }

    [Fact]
    public async Task CreateAsync_SameFolderTwice_GivesIdenticalBytes()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "mixed", PayloadFolders.Mixed);
        var options = Options();

        var first = await TorrentBuilder.CreateAsync(root, options, null, TestContext.Current.CancellationToken);
        var second = await TorrentBuilder.CreateAsync(root, options, null, TestContext.Current.CancellationToken);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task CreateAsync_File_IsSingleFileNamedAfterIt()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("data.bin");
        var data = TestTorrents.Payload(100_000);
        File.WriteAllBytes(path, data);

        var torrent = Torrent.Parse(await TorrentBuilder.CreateAsync(path, Options(), null, TestContext.Current.CancellationToken));

        Assert.False(torrent.IsMultiFile);
        Assert.Equal("data.bin", torrent.Name);
        Assert.Equal(100_000, torrent.TotalLength);
        Assert.Equal(TestTorrents.PieceHashes(data, 16 * 1024), torrent.PieceHashes.ToArray());
    }

    [Fact]
    public async Task CreateAsync_FolderWithTrailingSlash_IsNamedAfterTheFolder()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "named", [("x", 10)]);

        var torrent = Torrent.Parse(await TorrentBuilder.CreateAsync(root + "/", Options(), null, TestContext.Current.CancellationToken));

        Assert.Equal("named", torrent.Name);
        Assert.Equal("named/x", Assert.Single(torrent.Files).DisplayPath);
    }

    [Fact]
    public async Task CreateAsync_ReportsProgressUpToTheTotal()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large);
        var reports = new List<long>();
        var progress = new SynchronousProgress(reports.Add);

        await TorrentBuilder.CreateAsync(root, Options(), progress, TestContext.Current.CancellationToken);

        Assert.Equal(PayloadFolders.Large.Sum(f => (long)f.Length), reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public async Task CreateAsync_AutomaticPieceLength_FollowsTheRule()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large);

        var torrent = Torrent.Parse(await TorrentBuilder.CreateAsync(root, Options(pieceLength: null), null, TestContext.Current.CancellationToken));

        Assert.Equal(PieceLengthRule.Automatic(torrent.TotalLength), torrent.PieceLength);
        Assert.Equal(32 * 1024, torrent.PieceLength); // 3.2 MB is above 2,684,355 bytes
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(8 * 1024)]          // a power of two, but below 16 KiB
    [InlineData(32 * 1024 * 1024)]  // above 16 MiB
    public async Task CreateAsync_InvalidPieceLength_ThrowsBeforeReadingAnything(int pieceLength)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            TorrentBuilder.CreateAsync("/nonexistent/input", Options(pieceLength), null, TestContext.Current.CancellationToken));
        Assert.Contains("power of two", error.Message);
    }

    [Fact]
    public async Task CreateAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "large", PayloadFolders.Large);
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TorrentBuilder.CreateAsync(root, Options(), progress, cancel.Token));
    }

    [Fact]
    public void Create_InMemorySingleFile_WritesTheExactMetainfoBytes()
    {
        var data = "hello, world"u8.ToArray();
        var options = new TorrentCreateOptions
        {
            TrackerTiers = [["http://127.0.0.1:1/a"], ["http://127.0.0.1:2/b", "http://127.0.0.1:3/c"]],
            Comment = "hi",
            CreatedBy = "TorrentLab 0.1.0",
            CreationDate = FixedDate,
            Private = true,
            WebSeeds = ["http://127.0.0.1:9/ws"],
        };

        var bytes = TorrentBuilder.Create("hello.txt", data, options);

        var expected = Encoding.UTF8.GetBytes(
            "d8:announce20:http://127.0.0.1:1/a" +
            "13:announce-listll20:http://127.0.0.1:1/ael20:http://127.0.0.1:2/b20:http://127.0.0.1:3/cee" +
            "7:comment2:hi10:created by16:TorrentLab 0.1.013:creation datei1700000000e" +
            "4:infod6:lengthi12e4:name9:hello.txt12:piece lengthi16384e6:pieces20:")
            .Concat(SHA1.HashData(data))
            .Concat("7:privatei1ee8:url-list21:http://127.0.0.1:9/wse"u8.ToArray());
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Create_NoOptionalKeys_WritesOnlyTheInfoDictionary()
    {
        var options = new TorrentCreateOptions { CreatedBy = null, CreationDate = null };

        var bytes = TorrentBuilder.Create("x", "abc"u8.ToArray(), options);

        var expected = "d4:infod6:lengthi3e4:name1:x12:piece lengthi16384e6:pieces20:"u8.ToArray()
            .Concat(SHA1.HashData("abc"u8)).Concat("ee"u8.ToArray());
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Create_OneTracker_WritesAnnounceWithoutAnnounceList()
    {
        var torrent = Torrent.Parse(TorrentBuilder.Create("x", "abc"u8.ToArray(), Options()));

        Assert.Equal("http://127.0.0.1:1/announce", torrent.Announce);
        Assert.Empty(torrent.AnnounceTiers);
    }

    [Fact]
    public void Create_SeveralWebSeeds_WritesAList()
    {
        var torrent = Torrent.Parse(TorrentBuilder.Create("x", "abc"u8.ToArray(), Options() with { WebSeeds = ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"] }));

        Assert.Equal(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], torrent.WebSeeds);
    }

    [Fact]
    public void Create_DefaultOptions_SayTorrentLabCreatedItNow()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var torrent = Torrent.Parse(TorrentBuilder.Create("x", "abc"u8.ToArray(), new TorrentCreateOptions()));

        Assert.Equal("TorrentLab 0.1.0", torrent.CreatedBy);
        Assert.InRange(torrent.CreationDate!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public void Create_InMemoryFiles_AreSortedAndHashedAcrossFileBoundaries()
    {
        var a = TestTorrents.Payload(20_000, 1);
        var b = TestTorrents.Payload(30_000, 2);
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files = [(["b"], b), (["a"], a)];

        var torrent = Torrent.Parse(TorrentBuilder.Create("demo", files, Options()));

        Assert.Equal(["demo/a", "demo/b"], torrent.Files.Select(f => f.DisplayPath));
        Assert.Equal(TestTorrents.PieceHashes([.. a, .. b], 16 * 1024), torrent.PieceHashes.ToArray());
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public void Create_InMemoryBadSegment_Throws(string segment)
    {
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files = [(["ok", segment], new byte[] { 1 })];

        Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("demo", files, Options()));
    }

    [Fact]
    public void Create_InMemoryFileThatIsAlsoAFolder_Throws()
    {
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files = [(["a"], new byte[] { 1 }), (["a", "b"], new byte[] { 2 })];

        var error = Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("demo", files, Options()));
        Assert.Contains("both a file and a folder", error.Message);
    }

    [Fact]
    public void Create_NoBytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("x", ReadOnlyMemory<byte>.Empty, Options()));
    }

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool and race the assert).</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
