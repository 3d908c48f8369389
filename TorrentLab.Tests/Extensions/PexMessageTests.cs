using System.Net;
using System.Text;
using TorrentLab.Extensions;

namespace TorrentLab.Tests.Extensions;

public class PexMessageTests
{
    private static IPEndPoint Ep(string text) => IPEndPoint.Parse(text);

    [Fact]
    public void Encode_IPv4AndIPv6_IsByteExact()
    {
        var message = new PexMessage
        {
            Added = [new PexPeer(Ep("127.0.0.1:6881"), PexFlags.Seed | PexFlags.Reachable), new PexPeer(Ep("[::1]:51413"))],
            Dropped = [Ep("127.0.0.2:80")],
        };

        var expected =
            "d5:added6:" + "\x7f\0\0\x01\x1a\xe1" +                              // 127.0.0.1, port 6881 big-endian
            "7:added.f1:" + "\x12" +                                             // seed (0x02) | reachable (0x10)
            "6:added618:" + new string('\0', 15) + "\x01" + "\xc8\xd5" +         // ::1, port 51413
            "8:added6.f1:" + "\0" +
            "7:dropped6:" + "\x7f\0\0\x02\0\x50" + "e";                          // 127.0.0.2:80
        Assert.Equal(expected, Encoding.Latin1.GetString(message.Encode()));
    }

    [Fact]
    public void Encode_ThenDecode_RoundTrips()
    {
        var message = new PexMessage
        {
            Added = [new PexPeer(Ep("127.0.0.1:1"), PexFlags.PrefersEncryption), new PexPeer(Ep("[::1]:2"), PexFlags.SupportsUtp)],
            Dropped = [Ep("127.0.0.3:3"), Ep("[::1]:4")],
        };

        var again = PexMessage.Decode(message.Encode());

        Assert.Equal(message.Added, again.Added);
        Assert.Equal(message.Dropped, again.Dropped);
    }

    [Fact]
    public void Decode_FlagsOfTheWrongLength_AreIgnoredButPeersKept()
    {
        var again = PexMessage.Decode(Encoding.Latin1.GetBytes("d5:added6:\x7f\0\0\x01\0\u00017:added.f2:\u0002\u0002e"));

        Assert.Equal([new PexPeer(Ep("127.0.0.1:1"))], again.Added);
    }

    [Theory]
    [InlineData("d5:added5:\x7f\0\0\x01\0e", "'added' is 5 bytes, not a multiple of 6")]
    [InlineData("d8:dropped617:" + "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" + "e", "'dropped6' is 17 bytes, not a multiple of 18")]
    [InlineData("l", "ut_pex:")]
    public void Decode_TruncatedList_ThrowsExtensionException(string text, string expected)
    {
        var e = Assert.Throws<ExtensionException>(() => PexMessage.Decode(Encoding.Latin1.GetBytes(text)));

        Assert.Contains(expected, e.Message);
    }
}
