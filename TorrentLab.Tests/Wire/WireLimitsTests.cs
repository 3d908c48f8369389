using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class WireLimitsTests
{
    [Theory]
    [InlineData(0, 16384, 32768, RequestFault.None)]          // a whole block
    [InlineData(16384, 16384, 32768, RequestFault.None)]      // the last block, ending exactly at the piece's end
    [InlineData(0, 16385, 32768, RequestFault.TooLong)]       // BEP 3: more than 16 KiB closes the connection
    [InlineData(16384, 16384, 30000, RequestFault.PastPieceEnd)]
    [InlineData(int.MaxValue, 1, 30000, RequestFault.PastPieceEnd)] // begin + length overflows an int
    public void CheckRequest_SaysWhatIsWrong(int begin, int length, int pieceLength, RequestFault expected) =>
        Assert.Equal(expected, WireLimits.CheckRequest(PeerMessage.Request(0, begin, length), pieceLength));
}
