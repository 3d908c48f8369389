using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The watch folder on a manual clock: a file is read only once it has kept its size and time for
/// <see cref="WatchFolder.StableFor"/>, then renamed (or deleted); a file that is not a torrent is renamed .invalid with
/// one line; a failure is logged once and tried again when the file changes.</summary>
public class WatchFolderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The server's default .torrent size limit (<see cref="WebServerOptions.MaxTorrentBytes"/>).</summary>
    private const long MaxBytes = 10 * 1024 * 1024;

    private sealed class Rig : IDisposable
    {
        public TempFolder Folder { get; } = new("torrentlab-watch");
        public ManualClock Clock { get; } = new();
        public List<WatchedFile> Added { get; } = [];
        public List<string> Log { get; } = [];
        public Func<WatchedFile, Task>? Answer { get; set; }

        public WatchFolder Watch(bool delete = false) => new(Folder.Path, delete, MaxBytes, async (file, _) =>
        {
            Added.Add(file);
            if (Answer is not null) await Answer(file);
        }, Clock, Log.Add);

        /// <summary>Moves the clock, and the file's time with it (a write "now" on the manual clock).</summary>
        public void Write(string name, byte[] bytes, bool append = false)
        {
            var path = Folder.Combine(name);
            using (var stream = new FileStream(path, append ? FileMode.Append : FileMode.Create)) stream.Write(bytes);
            File.SetLastWriteTimeUtc(path, Clock.GetUtcNow().UtcDateTime);
        }

        public void Dispose() => Folder.Dispose();
    }

    [Fact]
    public async Task AFileStillGrowing_IsNotRead_UntilItKeepsItsSizeForTheWholeInterval_ThenItIsAddedOnceAndRenamed()
    {
        using var rig = new Rig();
        await using var watch = rig.Watch();
        var whole = TestTorrents.SingleFile(length: 40_000, announce: null, seed: 61).TorrentBytes;

        rig.Write("a.torrent", whole[..100]);                       // the writer's first part
        await watch.ScanAsync(Ct);
        rig.Clock.Advance(TimeSpan.FromSeconds(2));
        rig.Write("a.torrent", whole[100..], append: true);          // more, before the interval was over
        await watch.ScanAsync(Ct);
        rig.Clock.Advance(WatchFolder.StableFor - TimeSpan.FromSeconds(1));
        await watch.ScanAsync(Ct);                                   // still, but not for long enough
        Assert.Empty(rig.Added);

        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await watch.ScanAsync(Ct);
        await watch.ScanAsync(Ct);

        var added = Assert.Single(rig.Added);
        Assert.Equal(whole, added.Bytes);
        Assert.False(added.IsMagnet);
        Assert.False(File.Exists(rig.Folder.Combine("a.torrent")));
        Assert.True(File.Exists(rig.Folder.Combine("a.torrent.added")));
        Assert.Equal(["watch folder: added a.torrent"], rig.Log);
    }

    [Fact]
    public async Task AFileThatIsNoTorrent_IsRenamedInvalid_WithOneLine_AndNotTakenAgain()
    {
        using var rig = new Rig { Answer = file => throw new TorrentLab.Bencode.BencodeException("expected 'd' at byte 0, got 'h'", 0) };
        await using var watch = rig.Watch();
        rig.Write("page.torrent", "<html>not found</html>"u8.ToArray());

        await watch.ScanAsync(Ct);
        rig.Clock.Advance(WatchFolder.StableFor);
        await watch.ScanAsync(Ct);
        rig.Clock.Advance(WatchFolder.StableFor);
        await watch.ScanAsync(Ct);

        Assert.Single(rig.Added);
        Assert.True(File.Exists(rig.Folder.Combine("page.torrent.invalid")));
        var line = Assert.Single(rig.Log);
        Assert.StartsWith("warning: watch folder: page.torrent is not a torrent", line);
    }

    [Fact]
    public async Task WithDeleteAdded_AnAddedFileIsDeleted_AndOneAddedAlreadyToo_WhileOtherFilesAreLeftAlone()
    {
        using var rig = new Rig { Answer = file => file.Name == "again.torrent" ? throw new WebApiException(409, "torrent 'x' (ab) is already added") : Task.CompletedTask };
        await using var watch = rig.Watch(delete: true);
        rig.Write("new.torrent", [1, 2, 3]);
        rig.Write("again.torrent", [4, 5, 6]);
        rig.Write("notes.txt", [7]);

        await watch.ScanAsync(Ct);
        rig.Clock.Advance(WatchFolder.StableFor);
        await watch.ScanAsync(Ct);

        Assert.Equal(["again.torrent", "new.torrent"], rig.Added.Select(f => f.Name));
        Assert.Equal(["notes.txt"], Directory.GetFiles(rig.Folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AFailureThatIsNotTheFilesFault_IsLoggedOnce_AndTriedAgainOnceTheFileChanges()
    {
        using var rig = new Rig { Answer = _ => throw new WebApiException(502, "no peer gave the magnet link's metadata within 90 s") };
        await using var watch = rig.Watch();
        rig.Write("link.magnet", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\n"u8.ToArray());

        for (var i = 0; i < 4; i++)
        {
            await watch.ScanAsync(Ct);
            rig.Clock.Advance(WatchFolder.StableFor);
        }
        Assert.Single(rig.Added);
        Assert.True(Assert.Single(rig.Added).IsMagnet);
        Assert.Single(rig.Log);
        Assert.True(File.Exists(rig.Folder.Combine("link.magnet"))); // left where it is

        rig.Answer = null;
        rig.Write("link.magnet", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x\n"u8.ToArray());
        await watch.ScanAsync(Ct);
        rig.Clock.Advance(WatchFolder.StableFor);
        await watch.ScanAsync(Ct);

        Assert.Equal(2, rig.Added.Count);
        Assert.True(File.Exists(rig.Folder.Combine("link.magnet.added")));
    }

    /// <summary>What may lie in the watch folder besides a torrent and must neither hold the watcher up nor be read
    /// whole: each is renamed .invalid unread, and the good torrent after it (in the order the watcher takes them) is
    /// added at its usual look.</summary>
    [Theory]
    [InlineData("fifo", "a FIFO, not a regular file")]                              // an open waits for a writer
    [InlineData("link-to-dev-zero", "a symbolic link, not a regular file")]         // never ends
    [InlineData("sparse-2GB", "2000000000 bytes, larger than the limit of 10485760 bytes")] // claims what the disk does not hold
    [InlineData("link-to-a-torrent", "a symbolic link, not a regular file")]        // even a good one: the folder takes files
    [InlineData("link-to-nothing", "a symbolic link, not a regular file")]
    public async Task AFifo_ALink_OrAHugeSparseFile_IsRenamedInvalidUnread_AndTheTorrentBesideItIsAddedAtItsUsualLook(string kind, string why)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("makes a FIFO and links to /dev/zero");
        using var rig = new Rig();
        await using var watch = rig.Watch();
        var bad = rig.Folder.Combine("x.torrent"); // taken before y.torrent
        var good = TestTorrents.SingleFile(length: 40_000, announce: null, seed: 62).TorrentBytes;
        switch (kind)
        {
            case "fifo":
                Assert.Equal(0, ProcessRunner.Run("mkfifo", [bad], TimeSpan.FromSeconds(30)).ExitCode);
                break;
            case "link-to-dev-zero":
                File.CreateSymbolicLink(bad, "/dev/zero");
                break;
            case "sparse-2GB":
                using (var sparse = new FileStream(bad, FileMode.CreateNew)) sparse.SetLength(2_000_000_000);
                break;
            case "link-to-a-torrent":
                Directory.CreateDirectory(rig.Folder.Combine("kept")); // subfolders are not watched
                File.WriteAllBytes(rig.Folder.Combine("kept", "z.torrent"), good);
                File.CreateSymbolicLink(bad, rig.Folder.Combine("kept", "z.torrent"));
                break;
            case "link-to-nothing":
                File.CreateSymbolicLink(bad, rig.Folder.Combine("gone.torrent"));
                break;
        }
        rig.Write("y.torrent", good);

        // The two looks run off the test's thread: the old watcher's open of a FIFO never returned.
        var looks = Task.Run(async () =>
        {
            await watch.ScanAsync(Ct);
            rig.Clock.Advance(WatchFolder.StableFor);
            await watch.ScanAsync(Ct);
        }, Ct);
        var returned = await Wait.ForAsync(looks, TimeSpan.FromSeconds(60), Ct);
        if (!returned && kind == "fifo") using (new FileStream(bad, FileMode.Open, FileAccess.Write)) { } // lets the held open go
        Assert.True(returned, $"the watch folder's looks did not return within 60 s beside {kind}");
        await looks;

        var added = Assert.Single(rig.Added);
        Assert.Equal("y.torrent", added.Name);
        Assert.Equal(good, added.Bytes);
        Assert.Equal([$"warning: watch folder: x.torrent is refused ({why}); renamed x.torrent.invalid", "watch folder: added y.torrent"], rig.Log);
        Assert.Equal(["x.torrent.invalid", "y.torrent.added"],
            Directory.EnumerateFiles(rig.Folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AFailureNobodyForesaw_IsLoggedOnce_AndTheFilesAfterItAreStillAdded()
    {
        using var rig = new Rig { Answer = file => file.Name == "x.torrent" ? throw new InvalidOperationException("a bug") : Task.CompletedTask };
        await using var watch = rig.Watch();
        rig.Write("x.torrent", [1, 2, 3]);
        rig.Write("y.torrent", [4, 5, 6]);

        for (var i = 0; i < 3; i++)
        {
            await watch.ScanAsync(Ct);
            rig.Clock.Advance(WatchFolder.StableFor);
        }

        Assert.Equal(["x.torrent", "y.torrent"], rig.Added.Select(f => f.Name));
        Assert.Equal(["warning: watch folder: x.torrent: InvalidOperationException: a bug; it is tried again once it changes", "watch folder: added y.torrent"], rig.Log);
        Assert.True(File.Exists(rig.Folder.Combine("x.torrent"))); // left where it is
    }
}
