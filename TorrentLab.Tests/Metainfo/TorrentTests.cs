using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Metainfo;

public class TorrentTests
{
    [Fact]
    public void Parse_SingleFile_ReadsEveryField()
    {
        var built = TestTorrents.SingleFile(length: 100_000, pieceLength: 16384, name: "payload.bin");
        var t = built.Torrent;
        Assert.Equal("payload.bin", t.Name);
        Assert.False(t.IsMultiFile);
        Assert.Equal(100_000, t.TotalLength);
        Assert.Equal(7, t.PieceCount);                        // ceil(100000 / 16384)
        Assert.Equal(16384, t.GetPieceLength(0));
        Assert.Equal(100_000 - 6 * 16384, t.GetPieceLength(6)); // the last piece is shorter
        Assert.Equal(System.Security.Cryptography.SHA1.HashData(built.Payload.AsSpan(0, 16384)), t.GetPieceHash(0).ToArray());
        Assert.Equal("http://127.0.0.1:1/announce", t.Announce);
        Assert.Equal([["http://127.0.0.1:1/announce"]], t.TrackerTiers);
    }

    [Fact]
    public void Parse_InfoHash_IsSha1OfTheRawInfoBytesEvenWithUnsortedKeys()
    {
        // Unsorted keys inside info: re-encoding would sort them and change the hash; the raw bytes must be used.
        var info = "d6:lengthi5e4:name1:a6:pieces20:AAAAAAAAAAAAAAAAAAAA12:piece lengthi16384ee";
        var torrent = Torrent.Parse(Encoding.ASCII.GetBytes($"d4:info{info}e"));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(info))), torrent.InfoHash.Hex);
        Assert.Equal(info, Encoding.ASCII.GetString(torrent.RawInfo.Span));
    }

    [Fact]
    public void InfoHash_UrlEncoded_PercentEncodesRawBytes()
    {
        var hash = new InfoHash([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a]);
        Assert.Equal("%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A", hash.UrlEncoded);
        Assert.Equal("123456789abcdef123456789abcdef123456789a", hash.Hex);
    }

    [Fact]
    public void Parse_MultiFile_PlacesFilesBelowTheNameWithOffsets()
    {
        var t = TestTorrents.MultiFile([("a.txt", 10), ("sub/b.bin", 20), ("empty", 0), ("c", 5)], name: "folder").Torrent;
        Assert.True(t.IsMultiFile);
        Assert.Equal(["folder/a.txt", "folder/sub/b.bin", "folder/empty", "folder/c"], t.Files.Select(f => f.DisplayPath));
        Assert.Equal([0L, 10, 30, 30], t.Files.Select(f => f.Offset));
        Assert.Equal(35, t.TotalLength);
        Assert.Equal(Path.Combine("folder", "sub", "b.bin"), t.Files[1].RelativePath);
    }

    [Theory]
    [InlineData("info", "is missing", "d8:announce1:xe")]
    [InlineData("info", "expected a dictionary, got a string", "d4:info5:filese")]
    [InlineData("info.name", "is missing", "d4:infod6:lengthi5e12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.name", "expected a string, got an integer", "d4:infod6:lengthi5e4:namei1348e12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.piece length", "is missing", "d4:infod6:lengthi5e4:name1:a6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.piece length", "is too large: 2147483647 bytes (the limit is 536870912, 512 MiB)", "d4:infod6:lengthi5e4:name1:a12:piece lengthi2147483647e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")] // 2^31-1
    [InlineData("info.piece length", "must be positive, got 0", "d4:infod6:lengthi5e4:name1:a12:piece lengthi0e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.piece length", "must be positive, got -16384", "d4:infod6:lengthi5e4:name1:a12:piece lengthi-16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.piece length", "expected an integer, got a string", "d4:infod6:lengthi5e4:name1:a12:piece length5:163846:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.pieces", "length must be a multiple of 20, got 24", "d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces24:AAAAAAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.pieces", "holds 2 hashes but 5 bytes in pieces of 16384 need 1", "d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces40:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.length", "must not be negative, got -425", "d4:infod6:lengthi-425e4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.length", "the torrent holds no data", "d4:infod6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:ee")]
    [InlineData("info", "has both 'length' and 'files'", "d4:infod5:filesld6:lengthi5e4:pathl1:beee6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files", "must list at least one file", "d4:infod5:filesle4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files[1].length", "must not be negative, got -45", "d4:infod5:filesld6:lengthi5e4:pathl1:beed6:lengthi-45e4:pathl1:ceee4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files[0].length", "expected an integer, got a list", "d4:infod5:filesld6:lengthli45ee4:pathl1:beee4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files[0].path", "is missing", "d4:infod5:filesld6:lengthi5eee4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files[0].path[1]", "must be a string", "d4:infod5:filesld6:lengthi5e4:pathl1:bi1242eeee4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.files[0]", "must be a dictionary", "d4:infod5:filesli1ee4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee")]
    [InlineData("info.file tree", "is an empty folder", "d4:infod9:file treede12:meta versioni2e4:name1:a12:piece lengthi16384eee")] // BEP 52
    public void Parse_InvalidMetainfo_NamesTheKeyPath(string keyPath, string message, string torrent)
    {
        var error = Assert.Throws<MetainfoException>(() => Torrent.Parse(Encoding.ASCII.GetBytes(torrent)));
        Assert.Equal(keyPath, error.KeyPath);
        Assert.Contains(message, error.Message);
        Assert.StartsWith(keyPath + ": ", error.Message);
    }

    [Fact]
    public void Parse_NotADictionary_Throws() =>
        Assert.Contains("must be a bencoded dictionary", Assert.Throws<MetainfoException>(() => Torrent.Parse("10:libtorrent"u8.ToArray())).Message);

    [Fact]
    public void Parse_HostilePaths_AreSanitizedAndDuplicatesRenamed()
    {
        var t = Torrent.Parse(Encoding.ASCII.GetBytes(
            "d4:infod5:filesld6:lengthi1e4:pathl2:..2:..6:passwdeed6:lengthi1e4:pathl1:/6:passwdeed6:lengthi1e4:pathl6:passwdeee" +
            "4:name2:..12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee"));
        // The name ".." is replaced by the info hash, as libtorrent does.
        Assert.Equal(t.InfoHash.Hex, t.Name);
        Assert.Equal([$"{t.Name}/passwd", $"{t.Name}/_/passwd", $"{t.Name}/passwd.1"], t.Files.Select(f => f.DisplayPath));
    }

    [Fact]
    public void Parse_PadFiles_AreRecognisedByAttrOrByName()
    {
        var t = Torrent.Parse(Encoding.ASCII.GetBytes(
            "d4:infod5:filesld6:lengthi1e4:pathl1:aeed4:attr1:p6:lengthi16383eed6:lengthi1e4:pathl18:_____padding_file_eed6:lengthi1e4:pathl1:beee" +
            "4:name1:t12:piece lengthi16384e6:pieces40:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee"));
        Assert.Equal([false, true, true, false], t.Files.Select(f => f.IsPadding));
        Assert.Equal(".pad/16383", t.Files[1].DisplayPath); // BEP 47 pad file without a path, named as libtorrent does
    }

    [Fact]
    public void Parse_OptionalFields_TiersWebSeedsPrivateDatesComment()
    {
        var t = Torrent.Parse(Encoding.UTF8.GetBytes(
            "d8:announce22:http://127.0.0.1:1/ann13:announce-listll22:http://127.0.0.1:1/ann22:http://127.0.0.1:2/annel22:http://127.0.0.1:3/annee" +
            "7:comment6:héllo10:created by4:test13:creation datei1700000000e" +
            "4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAA7:privatei1ee" +
            "8:url-listl19:http://127.0.0.1:4/19:http://127.0.0.1:4/ee"));
        Assert.Equal(2, t.AnnounceTiers.Count);
        Assert.Equal(["http://127.0.0.1:1/ann", "http://127.0.0.1:2/ann"], t.TrackerTiers[0]);
        Assert.Equal(["http://127.0.0.1:4/"], t.WebSeeds);
        Assert.True(t.IsPrivate);
        Assert.Equal("héllo", t.Comment);
        Assert.Equal("test", t.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), t.CreationDate);
        Assert.Equal($"magnet:?xt=urn:btih:{t.InfoHash.Hex}&dn=a&tr=http%3A%2F%2F127.0.0.1%3A1%2Fann&tr=http%3A%2F%2F127.0.0.1%3A2%2Fann&tr=http%3A%2F%2F127.0.0.1%3A3%2Fann&ws=http%3A%2F%2F127.0.0.1%3A4%2F", t.MagnetLink);
        Assert.Equal(t.WebSeeds, TorrentLab.Magnet.MagnetLink.Parse(t.MagnetLink).WebSeeds); // ws= survives the round trip
    }

    [Fact]
    public void ParseInfo_BareInfoDictionary_GivesTheSameInfoHash()
    {
        var built = TestTorrents.SingleFile();
        Assert.Equal(built.Torrent.InfoHash, Torrent.ParseInfo(built.Torrent.RawInfo).InfoHash);
    }

    [Fact]
    public void GetPieceLength_OutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TestTorrents.SingleFile().Torrent.GetPieceLength(-1));

    [Fact]
    public void Parse_TwoTorrentsOfOneTracker_ShareTheUrlAndCreatorTexts()
    {
        // A client of ten thousand torrents keeps each tracker URL once: the parser hands out one copy per text.
        var url = "http://127.0.0.1:" + Random.Shared.Next(1024, 65535) + "/announce"; // made at run time, not a literal
        var a = TestTorrents.SingleFile(length: 1000, pieceLength: 16384, name: "a.bin", announce: url, seed: 1).Torrent;
        var b = TestTorrents.SingleFile(length: 1000, pieceLength: 16384, name: "b.bin", announce: new string(url.AsSpan()), seed: 2).Torrent;

        Assert.Equal(url, a.Announce);
        Assert.Same(a.Announce, b.Announce);
    }

    [Fact]
    public void SharedText_ALongText_IsUsedAsItIs()
    {
        var text = new string('x', SharedText.MaxLength + 1);
        Assert.Same(text, SharedText.Of(text));
        Assert.Null(SharedText.Of(null));
    }
}
