using System.Net;
using System.Text;
using TorrentLab.Extensions;

namespace TorrentLab.Tests.Extensions;

public class ExtensionHandshakeTests
{
    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    [Fact]
    public void Ours_Encode_IsByteExactWithSortedKeys()
    {
        var ours = ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 6881), listenPort: 51413, metadataSize: 31235, pex: true);

        // m: the ids WE receive on; yourip: the remote's address, 4 bytes, no port.
        Assert.Equal("d1:md11:lt_donthavei5e6:lt_texi7e12:ut_holepunchi6e11:ut_metadatai3e6:ut_pexi4ee13:metadata_sizei31235e1:pi51413e4:reqqi2000e1:v16:TorrentLab 0.1.06:yourip4:\x7f\0\0\u0001e",
            Latin1(ours.Encode()));
    }

    [Fact]
    public void Ours_PrivateTorrentWithoutMetadata_OmitsPexAndSize()
    {
        var ours = ExtensionHandshake.Ours(new IPEndPoint(IPAddress.IPv6Loopback, 1), listenPort: null, metadataSize: null, pex: false);

        Assert.Equal("d1:md11:lt_donthavei5e11:ut_metadatai3ee4:reqqi2000e1:v16:TorrentLab 0.1.06:yourip16:" + new string('\0', 15) + "\u0001e", Latin1(ours.Encode()));
    }

    [Fact]
    public void Decode_LibtorrentStyle_ReadsEveryField()
    {
        // As a libtorrent 2.0 seeder sends it (abridged): its own ids, unknown keys and an unknown extension.
        var payload = Bytes("d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei132e4:reqqi2000e1:pi6881e1:v17:libtorrent/2.0.106:yourip4:\x7f\0\0\u0001e");

        var theirs = ExtensionHandshake.Decode(payload);

        Assert.Equal(2, theirs.Messages["ut_metadata"]);
        Assert.Equal(1, theirs.Messages["ut_pex"]);
        Assert.Equal(132, theirs.MetadataSize);
        Assert.Equal(2000, theirs.RequestQueue);
        Assert.Equal(6881, theirs.ListenPort);
        Assert.Equal("libtorrent/2.0.10", theirs.Client);
        Assert.Equal(IPAddress.Loopback, theirs.YourIp);
    }

    [Fact]
    public void Ours_UploadOnly_IsSentAsBep21Says_AndReadBack()
    {
        // BEP 21: "{'m': {'ut_metadata', 3}, 'upload_only': 1}".
        var ours = ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 1), listenPort: null, metadataSize: null, pex: false, uploadOnly: true);

        Assert.Equal("d1:md11:lt_donthavei5e11:ut_metadatai3ee4:reqqi2000e11:upload_onlyi1e1:v16:TorrentLab 0.1.06:yourip4:\x7f\0\0\u0001e", Latin1(ours.Encode()));
        Assert.True(ExtensionHandshake.Decode(ours.Encode()).UploadOnly);
        Assert.False(ExtensionHandshake.Decode(Bytes("d11:upload_onlyi0ee")).UploadOnly);
        Assert.Null(ExtensionHandshake.Decode(Bytes("de")).UploadOnly);   // absent: unchanged
        Assert.DoesNotContain("upload_only", Latin1(ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 1), null, null, false).Encode()));
    }

    [Fact]
    public void Encode_ThenDecode_RoundTrips()
    {
        var ours = ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Parse("::1"), 9), 7000, 1, true);

        var again = ExtensionHandshake.Decode(ours.Encode());

        Assert.Equal(ours.Messages, again.Messages);
        Assert.Equal((ours.Client, ours.ListenPort, ours.MetadataSize, ours.RequestQueue, ours.YourIp),
            (again.Client, again.ListenPort, again.MetadataSize, again.RequestQueue, again.YourIp));
    }

    [Theory]
    [InlineData("de")]                                            // everything is optional
    [InlineData("d1:mi5e1:pi99999e1:vi3e6:yourip3:abce")]         // wrong types and sizes are ignored like unknown keys
    [InlineData("d1:md3:fooli1eeee")]                             // an m entry that is not an id is ignored
    public void Decode_OddButHarmless_DecodesEmpty(string text)
    {
        var theirs = ExtensionHandshake.Decode(Bytes(text));

        Assert.Empty(theirs.Messages);
        Assert.Null(theirs.ListenPort);
        Assert.Null(theirs.Client);
        Assert.Null(theirs.YourIp);
    }

    [Theory]
    [InlineData("le", "expected a bencoded dictionary")]
    [InlineData("d1:md11:ut_metadatai256eee", "m.ut_metadata = 256, expected a one-byte id")]
    [InlineData("d13:metadata_sizei-1ee", "metadata_size = -1")]
    [InlineData("d1:m", "extension handshake:")]                 // truncated bencode
    public void Decode_Violation_ThrowsExtensionException(string text, string expected)
    {
        var e = Assert.Throws<ExtensionException>(() => ExtensionHandshake.Decode(Bytes(text)));

        Assert.Contains(expected, e.Message);
    }
}
