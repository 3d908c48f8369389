using System.Text;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Import;

/// <summary>qBittorrent's fastresume files, made by hand in the shape qbittorrent-nox 4.5 writes them.</summary>
public class QBittorrentResumeTests
{
    // 3 files over 5 pieces of 16 KiB: a.bin 2 pieces, b.bin 2, c.bin 1.
    private static readonly TestTorrents.Built Built = TestTorrents.MultiFile([("a.bin", 32 * 1024), ("b.bin", 32 * 1024), ("c.bin", 16 * 1024)],
        pieceLength: 16 * 1024, name: "multi", announce: null);

    private static byte[] Resume(string body) => Encoding.Latin1.GetBytes("d" + body + "e");

    private const string Typical = "10:added_timei1796058108e12:auto_managedi0e19:download_rate_limiti100000e"
        + "13:file_priorityli1ei6ei0ee6:pausedi1e6:pieces5:\u0001\u0001\u0000\u0000\u0000"
        + "12:qBt-category6:movies8:qBt-tagsl2:t12:t2e9:save_path10:/data/part14:total_uploadedi777e17:upload_rate_limiti-1e";

    [Fact]
    public void Read_TypicalFastresume_TakesEveryField()
    {
        var t = QBittorrentResume.Read(Resume(Typical), Built.TorrentBytes, "x.fastresume");

        Assert.Equal("/data/part", t.SavePath);
        Assert.Equal("movies", t.Category);
        Assert.Equal(["t1", "t2"], t.Tags);
        Assert.True(t.Paused);
        Assert.Equal([FilePriority.Normal, FilePriority.High, FilePriority.Skip], t.Priorities);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796058108), t.AddedAt);
        Assert.Equal([true, true, false, false, false], Enumerable.Range(0, 5).Select(i => t.Have![i]));
        Assert.Equal(100000, t.DownloadLimit);
        Assert.Null(t.UploadLimit); // -1: unlimited
        Assert.Equal(777, t.Uploaded);
    }

    [Theory]
    [InlineData("6:pausedi1e", true)]                      // stopped by the user
    [InlineData("12:auto_managedi1e6:pausedi1e", false)]   // only queued: it wants to run
    [InlineData("6:pausedi0e", false)]
    public void Read_PausedAndAutoManaged_PausedOnlyWhenNotAutoManaged(string keys, bool paused)
    {
        var t = QBittorrentResume.Read(Resume(keys + "9:save_path2:/d"), Built.TorrentBytes, "x.fastresume");

        Assert.Equal(paused, t.Paused);
    }

    [Fact]
    public void Read_SeedMode_HasEveryPiece()
    {
        var t = QBittorrentResume.Read(Resume("9:save_path2:/d9:seed_modei1e"), Built.TorrentBytes, "x.fastresume");

        Assert.True(t.Have!.IsComplete);
    }

    [Theory]
    [InlineData("d9:save_path2:/d", "not a bencoded resume file")]                     // cut short
    [InlineData("d6:pausedi1ee", "no save_path")]                                      // not a fastresume
    [InlineData("d6:pieces2:ab9:save_path2:/de", "'pieces' has 2 bytes, expected one per piece (5)")]
    [InlineData("d13:file_priorityl1:xe9:save_path2:/de", "'file_priority' is not a list of integers")]
    [InlineData("d9:save_pathi3ee", "'save_path' is not a string")]
    public void Read_BadFastresume_ClearErrorNamingTheFile(string text, string expected)
    {
        var e = Assert.Throws<ImportException>(() => QBittorrentResume.Read(Encoding.Latin1.GetBytes(text), Built.TorrentBytes, "/x/abc.fastresume"));

        Assert.Contains("abc.fastresume", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReadFolder_MissingOrNotQBittorrents_TwoDistinctErrors()
    {
        using var temp = new TempFolder("torrentlab-qbt-import");

        var missing = Assert.Throws<ImportException>(() => QBittorrentResume.ReadFolder(temp.Combine("nope")));
        var wrong = Assert.Throws<ImportException>(() => QBittorrentResume.ReadFolder(temp.Path));

        Assert.True(missing.NotFound);
        Assert.False(wrong.NotFound);
        Assert.Contains("not qBittorrent's BT_backup folder", wrong.Message);
    }

    [Fact]
    public void ReadFolder_OneDamagedFile_IsNamedAndTheOthersAreRead()
    {
        using var temp = new TempFolder("torrentlab-qbt-import");
        var hash = Built.Torrent.InfoHash.Hex;
        File.WriteAllBytes(temp.Combine(hash + ".torrent"), Built.TorrentBytes);
        File.WriteAllBytes(temp.Combine(hash + ".fastresume"), Resume(Typical));
        File.WriteAllBytes(temp.Combine("0000.fastresume"), "d4:junk"u8.ToArray());

        var found = ClientImport.Read(ClientKind.QBittorrent, temp.Path);

        Assert.Equal(2, found.Count);
        Assert.Contains("no 0000.torrent beside it", found.Single(c => c.Name == "0000").Problem);
        Assert.Equal("movies", found.Single(c => c.Name == hash).Torrent!.Category);
    }
}
