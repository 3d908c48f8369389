using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

public class TokenIssuerTests
{
    private static readonly IPAddress Asker = IPAddress.Parse("127.0.0.5");

    [Fact]
    public void Token_IsValidForTheAddressItWasGivenTo_Only()
    {
        var tokens = new TokenIssuer(new ManualClock());
        var token = tokens.Issue(Asker);

        Assert.Equal(TokenIssuer.TokenLength, token.Length);
        Assert.True(tokens.IsValid(token, Asker));
        Assert.False(tokens.IsValid(token, IPAddress.Parse("127.0.0.6")));
        Assert.False(tokens.IsValid("bogus!!!"u8, Asker));
    }

    [Fact]
    public void Token_SurvivesOneRotation_AndExpiresAfterTwo()
    {
        var clock = new ManualClock();
        var tokens = new TokenIssuer(clock);
        var token = tokens.Issue(Asker);

        clock.Advance(TokenIssuer.Rotation + TimeSpan.FromSeconds(1)); // the secret rotated once: the old one still counts
        Assert.True(tokens.IsValid(token, Asker));
        Assert.NotEqual(token, tokens.Issue(Asker));

        clock.Advance(TokenIssuer.Rotation);                           // rotated again: about ten minutes old
        Assert.False(tokens.IsValid(token, Asker));
    }

    [Fact]
    public void Token_AfterALongSilence_IsStale()
    {
        var clock = new ManualClock();
        var tokens = new TokenIssuer(clock);
        var token = tokens.Issue(Asker);

        clock.Advance(TimeSpan.FromHours(1));

        Assert.False(tokens.IsValid(token, Asker));
    }
}
