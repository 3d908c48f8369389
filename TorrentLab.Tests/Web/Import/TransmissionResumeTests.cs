using System.Text;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Import;

/// <summary>Transmission's resume files, made by hand in the shape transmission-daemon 3.00 writes them.</summary>
public class TransmissionResumeTests
{
    // 3 files over 5 pieces of 32 KiB (two 16 KiB blocks each, the last one 1 block): a.bin 64 KiB, b.bin 64 KiB, c.bin 16 KiB.
    private static readonly TestTorrents.Built Built = TestTorrents.MultiFile([("a.bin", 64 * 1024), ("b.bin", 64 * 1024), ("c.bin", 16 * 1024)],
        pieceLength: 32 * 1024, name: "multi", announce: null);

    private static byte[] Resume(string body) => Encoding.Latin1.GetBytes("d" + body + "e");

    // blocks 0-2 and 8 of 9: piece 0 (blocks 0,1) whole, piece 1 (2,3) not, piece 4 (block 8) whole.
    private const string Typical = "10:added-datei1796058123e11:destination10:/data/part3:dndli0ei0ei1ee"
        + "6:labelsl6:movies2:hde6:pausedi1e8:priorityli1ei-1ei0ee"
        + "8:progressd6:blocks2:\u00e0\u0080e"
        + "16:speed-limit-downd9:speed-Bpsi100000e15:use-speed-limiti1ee"
        + "14:speed-limit-upd9:speed-Bpsi50000e15:use-speed-limiti0ee8:uploadedi5e";

    [Fact]
    public void Read_TypicalResume_TakesEveryField()
    {
        var t = TransmissionResume.Read(Resume(Typical), Built.TorrentBytes, "x.resume");

        Assert.Equal("/data/part", t.SavePath);
        Assert.Equal("movies", t.Category); // the first label
        Assert.Equal(["hd"], t.Tags);
        Assert.True(t.Paused);
        Assert.Equal([FilePriority.High, FilePriority.Low, FilePriority.Skip], t.Priorities);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796058123), t.AddedAt);
        Assert.Equal([true, false, false, false, true], Enumerable.Range(0, 5).Select(i => t.Have![i]));
        Assert.Equal(100000, t.DownloadLimit);
        Assert.Null(t.UploadLimit); // use-speed-limit 0: not limited
        Assert.Equal(5, t.Uploaded);
    }

    [Theory]
    [InlineData("4:have3:all", 5)]
    [InlineData("6:blocks3:all", 5)]
    [InlineData("6:blocks4:none", 0)]
    [InlineData("6:pieces1:\u0088", 2)] // Transmission 4: one bit per piece, high bit first: pieces 0 and 4
    public void Read_ProgressForms_GiveThePieces(string progress, int count)
    {
        var t = TransmissionResume.Read(Resume("11:destination2:/d8:progressd" + progress + "e"), Built.TorrentBytes, "x.resume");

        Assert.Equal(count, t.Have!.Count);
    }

    [Theory]
    [InlineData("d11:destination2:/d", "not a bencoded resume file")]
    [InlineData("d6:pausedi1ee", "no destination")]
    [InlineData("d3:dndli0ee11:destination2:/de", "'dnd' has 1 entries for 3 files")]
    [InlineData("d11:destination2:/d8:progressd6:blocks1:\u00ffee", "progress 'blocks' has 1 bytes, expected 2 for 9 bits")]
    [InlineData("d11:destination2:/d6:labelsi1ee", "'labels' is not a list")]
    public void Read_BadResume_ClearErrorNamingTheFile(string text, string expected)
    {
        var e = Assert.Throws<ImportException>(() => TransmissionResume.Read(Encoding.Latin1.GetBytes(text), Built.TorrentBytes, "/x/abc.resume"));

        Assert.Contains("abc.resume", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReadFolder_MissingOrNotTransmissions_TwoDistinctErrors()
    {
        using var temp = new TempFolder("torrentlab-tr-import");

        var missing = Assert.Throws<ImportException>(() => TransmissionResume.ReadFolder(temp.Combine("nope")));
        var wrong = Assert.Throws<ImportException>(() => TransmissionResume.ReadFolder(temp.Path));

        Assert.True(missing.NotFound);
        Assert.False(wrong.NotFound);
        Assert.Contains("not a Transmission config folder", wrong.Message);
    }
}
