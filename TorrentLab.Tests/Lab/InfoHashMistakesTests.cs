using System.Security.Cryptography;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

public class InfoHashMistakesTests
{
    private static LabTorrent Generate(TempFolder folder) => LabTorrent.Generate(new Random(9), folder.Path, "http://127.0.0.1:1/announce");

    [Fact]
    public void Explain_TheRightHash_FindsNoMistake()
    {
        using var folder = new TempFolder();
        var torrent = Generate(folder);

        Assert.Null(InfoHashMistakes.Explain(torrent, torrent.Torrent.InfoHash.Hex));
    }

    [Fact]
    public void Explain_HashOfTheWholeFile_SaysSo()
    {
        using var folder = new TempFolder();
        var torrent = Generate(folder);

        var mistake = InfoHashMistakes.Explain(torrent, Convert.ToHexStringLower(SHA1.HashData(torrent.TorrentBytes)));

        Assert.Contains("whole .torrent file", mistake);
    }

    [Fact]
    public void Explain_KeysReEncodedInAnotherOrder_NamesTheOrder()
    {
        using var folder = new TempFolder();
        var torrent = Generate(folder);
        var info = (BDictionary)BencodeDecoder.Decode(torrent.Torrent.RawInfo);
        // "pieces" first, the rest as they were: d6:pieces...6:lengthi...e4:name...12:piece lengthi...ee
        var encoded = new List<byte>("d"u8.ToArray());
        foreach (var key in new[] { "pieces", "length", "name", "piece length" })
        {
            encoded.AddRange(BencodeWriter.Encode(new BString(key)));
            encoded.AddRange(BencodeWriter.Encode(info[key]!));
        }
        encoded.Add((byte)'e');

        var mistake = InfoHashMistakes.Explain(torrent, Convert.ToHexStringLower(SHA1.HashData(encoded.ToArray())));

        Assert.Contains("in the order pieces, length, name, piece length", mistake);
    }

    [Fact]
    public void Explain_PiecesDecodedAsText_SaysTheyAreBinary()
    {
        using var folder = new TempFolder();
        var torrent = Generate(folder);
        var info = (BDictionary)BencodeDecoder.Decode(torrent.Torrent.RawInfo);
        var mangled = new BDictionary();
        foreach (var (key, value) in info.Entries)
            mangled.Set(key, Encoding.UTF8.GetString(key) == "pieces" ? new BString(((BString)value).Text) : value);

        var mistake = InfoHashMistakes.Explain(torrent, Convert.ToHexStringLower(SHA1.HashData(BencodeWriter.Encode(mangled))));

        Assert.Contains("'pieces' is binary", mistake);
    }

    [Fact]
    public void Explain_AnUnrelatedHash_FindsNoMistake()
    {
        using var folder = new TempFolder();
        Assert.Null(InfoHashMistakes.Explain(Generate(folder), new string('0', 40)));
    }
}
