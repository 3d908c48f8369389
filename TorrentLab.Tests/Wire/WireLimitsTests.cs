using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class WireLimitsTests
{
    [Theory]
    [InlineData(0, 16384, 32768, nameof(RequestFault.None))]          // a whole block
    [InlineData(16384, 16384, 32768, nameof(RequestFault.None))]      // the last block, ending exactly at the piece's end
    [InlineData(0, 16385, 32768, nameof(RequestFault.TooLong))]       // BEP 3: more than 16 KiB closes the connection
    [InlineData(16384, 16384, 30000, nameof(RequestFault.PastPieceEnd))]
    [InlineData(int.MaxValue, 1, 30000, nameof(RequestFault.PastPieceEnd))] // begin + length overflows an int
    public void CheckRequest_SaysWhatIsWrong(int begin, int length, int pieceLength, string expected) => // by name: RequestFault is internal
        Assert.Equal(Enum.Parse<RequestFault>(expected), WireLimits.CheckRequest(PeerMessage.Request(0, begin, length), pieceLength));
}
