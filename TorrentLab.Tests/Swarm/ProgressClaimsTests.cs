using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

public class ProgressClaimsTests
{
    private const int Block = 16 * 1024;
    private const int Mib = 1024 * 1024;

    /// <summary>A torrent of <paramref name="pieces"/> pieces of <paramref name="pieceLength"/> bytes.</summary>
    private static ProgressClaims Watch(int pieces, int pieceLength) => new(pieceLength, (long)pieces * pieceLength, pieces);

    /// <summary>Sends a whole piece in 16 KiB blocks; the first reason given, else null.</summary>
    private static string? SendPiece(ProgressClaims claims, int pieceLength)
    {
        string? reason = null;
        for (var sent = 0; sent < pieceLength; sent += Block) reason ??= claims.Sent(Block);
        return reason;
    }

    [Fact]
    public void FlatClaims_AreNamedOnceThePeerTookMoreThanTheMargin_NotBefore()
    {
        var claims = Watch(pieces: 1000, pieceLength: 256 * 1024); // 250 MiB; margin 32 MiB (8 pieces is only 2)
        claims.Claimed(0);

        var reasons = new List<string>();
        for (var piece = 0; piece < 200; piece++)
            if (SendPiece(claims, 256 * 1024) is { } reason) reasons.Add(reason);

        Assert.Equal(32L * Mib, claims.Margin);
        var named = Assert.Single(reasons); // named once, not at every block after
        Assert.StartsWith("claimed progress did not grow: took 32 MiB, claims 0 %", named, StringComparison.Ordinal);
    }

    [Fact]
    public void FlatClaims_TheMarginIsEightPieces_WhenThatIsMoreThan32MiB()
    {
        var claims = Watch(pieces: 100, pieceLength: 8 * Mib);

        string? reason = null;
        var piecesSent = 0;
        while (reason is null && piecesSent < 100) { reason = SendPiece(claims, 8 * Mib); piecesSent++; }

        Assert.Equal(64L * Mib, claims.Margin);
        Assert.Equal(9, piecesSent); // 8 pieces is the margin itself: the first block past it names the peer
        Assert.Contains("took 64 MiB", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(256 * 1024, 0)]                          // announces each piece as soon as it has it
    [InlineData(256 * 1024, 127)]                        // 127 pieces behind, one more on the way: 32 MiB in buffers and its queues
    [InlineData(4 * Mib, ProgressClaims.LagPieces - 1)]   // big pieces: 7 behind, one more on the way
    [InlineData(16 * 1024, 2000)]                        // small pieces: 31.3 MiB behind
    public void AnHonestDownloader_AnnouncingWithinTheLag_IsNeverNamed_OverTheWholeTorrent(int pieceLength, int lag)
    {
        var pieces = (int)Math.Min(2000, 600L * Mib / pieceLength);
        var claims = Watch(pieces, pieceLength);
        claims.Claimed(0);

        for (var piece = 0; piece < pieces; piece++)
        {
            Assert.Null(SendPiece(claims, pieceLength));
            if (piece - lag >= 0) claims.Claimed(piece - lag + 1); // its have for the piece sent lag pieces ago
        }
        for (var late = Math.Max(0, pieces - lag); late < pieces; late++) claims.Claimed(late + 1);

        Assert.Equal((long)pieces * pieceLength, claims.Taken);
    }

    [Fact]
    public void AnHonestDownloader_WastingHalfOfWhatItTakes_InTheEndgame_IsNeverNamed()
    {
        var claims = Watch(pieces: 400, pieceLength: 256 * 1024);
        for (var piece = 0; piece < 400; piece++)
        {
            Assert.Null(SendPiece(claims, 256 * 1024));
            Assert.Null(SendPiece(claims, 256 * 1024)); // a duplicate: another peer delivered it first
            claims.Claimed(piece + 1);
        }
    }

    [Theory]
    [InlineData(16 * 1024)]  // small pieces: the margin is its floor, 32 MiB
    [InlineData(256 * 1024)]
    [InlineData(4 * Mib)]    // 8 pieces are 32 MiB too
    public void ADownloaderTakingOurWholeRequestQueue_BeforeItsFirstHave_IsNeverNamed(int pieceLength)
    {
        // Transmission 3.00 sends its haves with its next requests (once a second) and asks for up to our whole queue
        // (reqq) at once: that many blocks can leave before it announced any of them (bench/notes/peer-rules.md).
        var claims = Watch(pieces: (int)(128L * Mib / pieceLength), pieceLength);
        claims.Claimed(0);

        string? reason = null;
        for (var block = 0; block < PeerUpload.MaxQueuedRequests; block++) reason ??= claims.Sent(Block);

        Assert.Null(reason);
    }

    [Fact]
    public void Summary_SaysTheMostItHeldUnannounced_AndTheMostPastTwiceItsClaimsGrowth()
    {
        var claims = Watch(pieces: 100, pieceLength: Mib);
        Assert.Null(claims.Summary()); // took nothing
        claims.Claimed(0);

        for (var i = 0; i < Mib / Block; i++) claims.Sent(Block);     // 1 MiB, none claimed: 1 ahead, 1 past twice
        claims.Claimed(1);
        for (var i = 0; i < 3 * Mib / Block; i++) claims.Sent(Block); // 4 MiB, 1 claimed: 3 ahead, 2 past twice
        claims.Claimed(4);

        Assert.Equal("took 4 MiB, claims grew by 4 pieces; at most 3 MiB ahead of its claims, 2 MiB past twice their growth "
            + "(margin 32 MiB)", claims.Summary());
    }

    [Fact]
    public void APeerAnnouncingAThirdOfWhatItTakes_IsNamedOnceItsClaimsGrewByTheMargin()
    {
        var claims = Watch(pieces: 1000, pieceLength: 256 * 1024);
        string? reason = null;
        var piece = 0;
        for (; piece < 1000 && reason is null; piece++)
        {
            reason = SendPiece(claims, 256 * 1024);
            if (piece % 3 == 2) claims.Claimed(piece / 3 + 1);
        }

        Assert.NotNull(reason);
        Assert.InRange(piece, 370, 400); // 3 taken per 1 claimed: 3g > 2g + 128 pieces when g nears 128
        Assert.Contains("claims 12 %", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ClaimsAreCountedFromOurFirstBlock_SoAPartialSeedIsNotCreditedWithWhatItHadBefore()
    {
        var claims = Watch(pieces: 1000, pieceLength: 256 * 1024);
        claims.Claimed(900); // its bitfield: 90 %

        string? reason = null;
        for (var piece = 0; piece < 200 && reason is null; piece++) reason = SendPiece(claims, 256 * 1024);

        Assert.NotNull(reason);
        Assert.Contains("claims 90 %", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void APeerWhoseClaimsGrowFromOthersFasterThanItTakesFromUs_IsNeverNamed()
    {
        var claims = Watch(pieces: 1000, pieceLength: 256 * 1024);
        for (var piece = 0; piece < 500; piece++)
        {
            Assert.Null(SendPiece(claims, 256 * 1024));
            claims.Claimed(2 * piece + 2);
        }
    }

    [Fact]
    public void RequestsForClaimedPieces_AreLetPassTwice_ThenNamedOnce_SayingWhenItClaimsToBeASeed()
    {
        var seed = Watch(pieces: 10, pieceLength: 256 * 1024);
        seed.Claimed(10); // have all
        var partial = Watch(pieces: 10, pieceLength: 256 * 1024);
        partial.Claimed(3);

        var seedReasons = Enumerable.Range(0, 5).Select(seed.RequestedClaimed).ToList();
        var partialReasons = Enumerable.Range(0, 5).Select(partial.RequestedClaimed).ToList();

        Assert.Equal([null, null], seedReasons.Take(ProgressClaims.ClaimedRequestsAllowed));
        Assert.StartsWith("claims to be a seed (have all) yet requested piece 2", seedReasons[2], StringComparison.Ordinal);
        Assert.Single(seedReasons, r => r is not null);
        Assert.StartsWith("claims to have piece 2 yet requested it", partialReasons[2], StringComparison.Ordinal);
        Assert.Contains("claims 30 %", partialReasons[2], StringComparison.Ordinal);
    }

    [Fact]
    public void PeerRules_NameTheRuleAndWhatMatched_AndBanNothingWithoutRules()
    {
        var torrent = TestTorrents.SingleFile(length: 100_000).Torrent;
        var rules = new PeerRules(new ClientBanList(["-XL0012-", "Xunlei"]), torrent);
        var xunlei = new PeerId("-XL0012-abcdefghijkl"u8);

        Assert.StartsWith("client banned by rule '-XL0012-' (peer id -XL0012-...", rules.RefusesId(xunlei), StringComparison.Ordinal);
        Assert.Equal("client banned by rule 'Xunlei' (its extension handshake says v=\"Xunlei 0.0.1.2\")", rules.RefusesClient("Xunlei 0.0.1.2"));
        Assert.Null(rules.RefusesId(new PeerId("-LT2080-abcdefghijkl"u8)));
        Assert.Null(new PeerRules(null, torrent).RefusesId(xunlei));
        Assert.Null(new PeerRules(null, torrent).RefusesClient("Xunlei"));
    }
}
