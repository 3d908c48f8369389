using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The watch folder on a manual clock: a file is read only once it has kept its size and time for
/// <see cref="WatchFolder.StableFor"/>, then renamed (or deleted); a file that is not a torrent is renamed .invalid with
/// one line; a failure is logged once and tried again when the file changes.</summary>
public class WatchFolderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Rig : IDisposable
    {
        public TempFolder Folder { get; } = new("torrentlab-watch");
        public ManualClock Clock { get; } = new();
        public List<WatchedFile> Added { get; } = [];
        public List<string> Log { get; } = [];
        public Func<WatchedFile, Task>? Answer { get; set; }

        public WatchFolder Watch(bool delete = false) => new(Folder.Path, delete, async (file, _) =>
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
}
