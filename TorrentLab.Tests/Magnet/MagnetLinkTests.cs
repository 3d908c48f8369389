using System.Net;
using TorrentLab.Client;
using TorrentLab.Magnet;
using TorrentLab.Pieces;

namespace TorrentLab.Tests.Magnet;

public class MagnetLinkTests
{
    private const string Hex = "c77829d2a77d6516f88cd7a3de1a26abcbfab0db";

    [Theory]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db", "c77829d2a77d6516f88cd7a3de1a26abcbfab0db")]      // 40 hex digits
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516F88cd7a3de1a26abcbfab0db", "c77829d2a77d6516F88cd7a3de1a26abcbfab0db")]      // mixed case: spelling kept
    [InlineData("magnet:?xt=urn:btih:Y54CTUVHPVSRN6EM26R54GRGVPF7VMG3", "c77829d2a77d6516f88cd7a3de1a26abcbfab0db")]              // 32 base32 characters
    [InlineData("magnet:?xt=urn:btih:y54ctuvhpvsrn6em26r54grgvpf7vmg3", "c77829d2a77d6516f88cd7a3de1a26abcbfab0db")]              // base32 in lower case
    [InlineData("MAGNET:?XT=urn:BTIH:c77829d2a77d6516f88cd7a3de1a26abcbfab0db", "c77829d2a77d6516f88cd7a3de1a26abcbfab0db")]      // scheme and keys in any case
    public void Parse_InfoHash_HexOrBase32(string uri, string spelled)
    {
        var link = MagnetLink.Parse(uri);

        Assert.Equal(Hex, link.InfoHash.Hex);
        Assert.Equal(spelled, link.InfoHashText);
    }

    [Fact]
    public void Parse_Base32_DecodesAllBitsInOrder()
    {
        var link = MagnetLink.Parse("magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT");   // bytes 00 01 02 ... 13

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i).ToArray(), link.InfoHash.Bytes.ToArray());
    }

    [Fact]
    public void Parse_ClassroomLink_GivesNameAndDecodedTracker()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&dn=codercat.gif&tr=http%3A%2F%2Fbittorrent-test-tracker.codecrafters.io%2Fannounce");

        Assert.Equal("codercat.gif", link.Name);
        Assert.Equal(["http://bittorrent-test-tracker.codecrafters.io/announce"], link.Trackers);
    }

    [Fact]
    public void Parse_RepeatedAndNumberedTrackers_KeepsOrderWithoutDuplicates()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&tr=http%3A%2F%2Fa%2Fannounce&tr.1=udp%3A%2F%2Fb%3A80&tr=http%3A%2F%2Fa%2Fannounce");

        Assert.Equal(["http://a/announce", "udp://b:80"], link.Trackers);
    }

    [Fact]
    public void Parse_PeerAddresses_IPv4IPv6AndHostNames()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D%3A51413&x.pe=seed.example:6882");

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 6881), new IPEndPoint(IPAddress.IPv6Loopback, 51413)], link.Peers);
        Assert.Equal(["seed.example:6882"], link.PeerHostNames);
    }

    [Fact]
    public void Parse_NameWithEscapesAndPlus_DecodesUtf8()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&dn=Caf%C3%A9+au+lait%21&ws=http%3A%2F%2F127.0.0.1%2Ffile");

        Assert.Equal("Café au lait!", link.Name);
        Assert.Equal(["http://127.0.0.1/file"], link.WebSeeds);
    }

    [Fact]
    public void Parse_HybridLink_UsesTheV1HashOnTheWireAndKeepsTheV2Hash()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btmh:1220{new string('a', 64)}&xt=urn:btih:{Hex}");

        Assert.Equal(Hex, link.InfoHash.Hex);
        Assert.Equal(new string('a', 64), link.InfoHashV2!.Value.Hex);
        Assert.False(link.IsV2Only);
        Assert.StartsWith($"magnet:?xt=urn:btih:{Hex}&xt=urn:btmh:1220{new string('a', 64)}", link.ToString());
    }

    [Fact]
    public void Parse_V2OnlyLink_TruncatesTheSha256ForTheWire()
    {
        const string v2 = "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e";
        var link = MagnetLink.Parse($"magnet:?xt=urn:btmh:1220{v2.ToUpperInvariant()}&dn=bittorrent-v2-test");

        Assert.True(link.IsV2Only);
        Assert.Equal(v2, link.InfoHashV2!.Value.Hex);
        Assert.Equal(v2[..40], link.InfoHash.Hex); // BEP 52: "truncated to 20 bytes"
        Assert.Equal($"magnet:?xt=urn:btmh:1220{v2}&dn=bittorrent-v2-test", link.ToString());
    }

    [Theory]
    [InlineData("http://example/x", "expected a link starting with 'magnet:?'")]
    [InlineData("magnet:?dn=name&tr=http%3A%2F%2Fa", "xt: no 'xt=urn:btih:<info hash>' parameter")]                       // BEP 9: xt is mandatory
    [InlineData("magnet:?xt=urn:btmh:1220aaaa", "has 4 hex digits after 1220, expected 64")]
    [InlineData("magnet:?xt=urn:btmh:1114aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is not a SHA-256 multihash: expected it to start with 1220")]   // 0x11: sha1
    [InlineData("magnet:?xt=urn:btmh:1220zaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "non-hex character 'z' at position 4")]
    [InlineData("magnet:?xt=urn:btmh:1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&xt=urn:btmh:1220bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "two different v2 info hashes")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0d", "has 39 characters, expected 40 (hex) or 32 (base32)")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0dz", "non-hex character 'z' at position 39")]
    [InlineData("magnet:?xt=urn:btih:Y54CTUVHPVSRN6EM26R54GRGVPF7VMG1", "character '1' at position 31 outside base32")]     // 1 is not in A-Z2-7
    [InlineData("magnet:?xt=urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unsupported exact topic 'urn:sha1:")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&xt=urn:btih:0000000000000000000000000000000000000000", "two different info hashes")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&dn=a%2", "dn: invalid percent-escape '%2'")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&x.pe=127.0.0.1", "x.pe: peer '127.0.0.1' is not host:port")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&x.pe=127.0.0.1:70000", "expected 1..65535")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&x.pe=::1:6881", "is not hostname:port, ipv4:port or [ipv6]:port")] // IPv6 needs brackets
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&so=1,x", "so: '1,x' is not a list of file indices such as 0,2,4-6 (BEP 53)")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&so=1,,2", "is not a list of file indices")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&so=-1", "is not a list of file indices")]
    [InlineData("magnet:?xt=urn:btih:c77829d2a77d6516f88cd7a3de1a26abcbfab0db&so=5-3", "so: file range '5-3' ends before it starts")]
    public void Parse_Invalid_ThrowsMagnetExceptionSayingWhat(string uri, string expected)
    {
        var e = Assert.Throws<MagnetException>(() => MagnetLink.Parse(uri));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ToString_ThenParse_RoundTrips()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&dn=a%20b&tr=http%3A%2F%2Fa%2Fannounce&x.pe=%5B%3A%3A1%5D%3A1&x.pe=127.0.0.1:2&ws=http%3A%2F%2Fw");

        var again = MagnetLink.Parse(link.ToString());

        Assert.Equal(link.InfoHash, again.InfoHash);
        Assert.Equal(link.Name, again.Name);
        Assert.Equal(link.Trackers, again.Trackers);
        Assert.Equal(link.Peers, again.Peers);
        Assert.Equal(link.WebSeeds, again.WebSeeds);
    }

    [Fact]
    public void Parse_TorrentMagnetLink_RoundTripsThroughMetainfo()
    {
        var built = Infrastructure.TestTorrents.SingleFile(name: "a b.bin", announce: "http://127.0.0.1:1/announce");

        var link = MagnetLink.Parse(built.Torrent.MagnetLink);

        Assert.Equal(built.Torrent.InfoHash, link.InfoHash);
        Assert.Equal("a b.bin", link.Name);
        Assert.Equal(["http://127.0.0.1:1/announce"], link.Trackers);
    }

    [Fact]
    public void Parse_SelectOnly_ReadsIndicesAndRangesFromZero_AndWritesThemBack()
    {
        // BEP 53's own example: "so=0,2,4,6-8".
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&so=0,2,4,6-8");

        Assert.Equal([(0, 0), (2, 2), (4, 4), (6, 8)], link.SelectOnly);
        Assert.Equal([true, false, true, false, true, false, true, true, true, false], Enumerable.Range(0, 10).Select(link.Selects));
        Assert.EndsWith("&so=0,2,4,6-8", link.ToString());
        Assert.Equal(link.SelectOnly, MagnetLink.Parse(link.ToString()).SelectOnly);
    }

    [Fact]
    public void Parse_NoSelectOnly_SelectsEveryFile()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}");

        Assert.Null(link.SelectOnly);
        Assert.True(link.Selects(0) && link.Selects(1000));
        Assert.DoesNotContain("so=", link.ToString());
    }

    [Fact]
    public void LinkSelection_SkipsWhatSoLeavesOut_AndPadding_AndFallsBackToEveryFileWhenSoNamesNone()
    {
        var built = Infrastructure.TestTorrents.MultiFile([("a", 1000), ("b", 1000), ("c", 1000)], name: "so", announce: null);
        var log = new List<string>();

        var some = TorrentClient.LinkSelection(MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&so=0,2"), built.Torrent, log.Add);
        var none = TorrentClient.LinkSelection(MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&so=7-9"), built.Torrent, log.Add);

        Assert.Equal([FilePriority.Normal, FilePriority.Skip, FilePriority.Normal], some);
        Assert.Null(none);
        Assert.Equal(["magnet link: 'so' selects no file of the torrent's 3; downloading every file"], log);
        Assert.Null(TorrentClient.LinkSelection(MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}"), built.Torrent, log.Add));
    }
}
