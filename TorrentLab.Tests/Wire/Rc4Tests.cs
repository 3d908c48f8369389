using System.Text;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class Rc4Tests
{
    [Theory]
    [InlineData("Key", "Plaintext", "bbf316e8d940af0ad3")]          // the classic published RC4 test vectors (no discard)
    [InlineData("Wiki", "pedia", "1021bf0420")]
    [InlineData("Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5")]
    public void Apply_WithoutDiscard_MatchesThePublishedVectors(string key, string plaintext, string cipherHex)
    {
        var data = Encoding.ASCII.GetBytes(plaintext);

        new Rc4(Encoding.ASCII.GetBytes(key), discard: 0).Apply(data);

        Assert.Equal(cipherHex, Convert.ToHexStringLower(data));
    }

    [Fact]
    public void Constructor_Discards1024Bytes_SoOutputContinuesTheUndiscardedStream()
    {
        var key = "keyA-example"u8.ToArray();
        var full = new byte[1024 + 40];
        new Rc4(key, discard: 0).Apply(full);
        var dropped = new byte[40];

        new Rc4(key).Apply(dropped);

        Assert.Equal(full[1024..], dropped);
    }

    [Fact]
    public void Apply_InPiecesOrAtOnce_GivesTheSameStream()
    {
        var key = "k"u8.ToArray();
        var whole = new byte[1000];
        new Rc4(key).Apply(whole);
        var pieces = new byte[1000];
        var cipher = new Rc4(key);

        cipher.Apply(pieces.AsSpan(0, 7));
        cipher.Apply(pieces.AsSpan(7, 500));
        cipher.Apply(pieces.AsSpan(507));

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Apply_Twice_WithFreshCiphersOfTheSameKey_RestoresThePlaintext()
    {
        var data = "BitTorrent protocol"u8.ToArray();
        var copy = data.ToArray();

        new Rc4("s"u8).Apply(copy);
        new Rc4("s"u8).Apply(copy);

        Assert.Equal(data, copy);
    }
}
