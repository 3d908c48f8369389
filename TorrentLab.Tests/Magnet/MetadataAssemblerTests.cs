using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Magnet;

public class MetadataAssemblerTests
{
    private static readonly byte[] Raw = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();   // 2 pieces
    private static readonly InfoHash Hash = InfoHash.Compute(Raw);
    private static readonly IPEndPoint A = IPEndPoint.Parse("127.0.0.1:1"), B = IPEndPoint.Parse("127.0.0.1:2");

    private static MetadataMessage Piece(int index, byte[]? source = null)
    {
        var data = source ?? Raw;
        var start = index * MetadataMessage.PieceLength;
        return MetadataMessage.DataOf(index, data.Length, data.AsMemory(start, Math.Min(MetadataMessage.PieceLength, data.Length - start)));
    }

    [Fact]
    public void Deliver_AllPiecesFromTwoPeers_CompletesWithTheVerifiedBytes()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);

        Assert.Equal(0, assembler.Next(A, Raw.Length));
        Assert.Equal(1, assembler.Next(B, Raw.Length));
        Assert.Null(assembler.Next(A, Raw.Length));           // both pieces are out
        assembler.Deliver(B, Piece(1));
        assembler.Deliver(A, Piece(0));

        Assert.Equal(Raw, assembler.Result);
    }

    [Fact]
    public void Deliver_MismatchFromOnePeer_BansIt()
    {
        var corrupt = (byte[])Raw.Clone();
        corrupt[5] ^= 1;
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        assembler.Next(A, Raw.Length);
        assembler.Next(A, Raw.Length);
        assembler.Deliver(A, Piece(0, corrupt));

        var banned = assembler.Deliver(A, Piece(1, corrupt));

        Assert.Equal(A, banned);
        Assert.True(assembler.IsBanned(A));
        Assert.Null(assembler.Next(A, Raw.Length));
        Assert.Equal(0, assembler.Next(B, Raw.Length));       // starts over with another peer
    }

    [Fact]
    public void Deliver_MismatchFromSeveralPeers_BlamesNobodyAndThenUsesOnePeerPerAttempt()
    {
        var corrupt = (byte[])Raw.Clone();
        corrupt[^1] ^= 1;
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        assembler.Next(A, Raw.Length);
        assembler.Next(B, Raw.Length);
        assembler.Deliver(A, Piece(0));

        Assert.Null(assembler.Deliver(B, Piece(1, corrupt)));  // cannot tell who lied
        Assert.Equal(1, assembler.Mismatches);
        Assert.Equal(0, assembler.Next(B, Raw.Length));        // B owns the next attempt...
        Assert.Null(assembler.Next(A, Raw.Length));            // ...alone
        Assert.Equal(1, assembler.Next(B, Raw.Length));
        assembler.Deliver(B, Piece(0, corrupt));
        Assert.Equal(B, assembler.Deliver(B, Piece(1, corrupt)));   // now B is named
        Assert.Equal(0, assembler.Next(A, Raw.Length));
    }

    [Fact]
    public void Release_FreesThePieceForAnotherPeer()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        assembler.Next(A, Raw.Length);

        assembler.Release(A);   // A rejected or left

        Assert.Equal(0, assembler.Next(B, Raw.Length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1025)]        // over the 1 KiB limit of this test
    public void Next_ImpossibleSize_ThrowsBeforeAllocating(long size)
    {
        var e = Assert.Throws<ExtensionException>(() => new MetadataAssembler(Hash, 1024).Next(A, size));

        Assert.Contains("outside 1..1024", e.Message);
    }

    [Fact]
    public void Deliver_ShortPieceThatIsNotTheLast_Throws()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        assembler.Next(A, Raw.Length);

        var e = Assert.Throws<ExtensionException>(() => assembler.Deliver(A, MetadataMessage.DataOf(0, Raw.Length, new byte[100])));

        Assert.Contains("piece 0 has 100 bytes, expected 16384", e.Message);   // BEP 9: it MUST be 16 KiB
    }

    [Fact]
    public void Deliver_TotalSizeDiffersFromTheAnnouncedSize_Throws()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        assembler.Next(A, Raw.Length);

        var e = Assert.Throws<ExtensionException>(() => assembler.Deliver(A, MetadataMessage.DataOf(0, 99_999, Raw.AsMemory(0, 16384))));

        Assert.Contains("total_size 99999 differs from metadata_size 20000", e.Message);
    }

    [Theory]
    [InlineData(20_000 - 16_384)] // the real size minus 16 KiB
    [InlineData(1)]
    public void Next_FirstPeerUnderstatesTheSizeThenContradictsIt_IsBannedAndTheHonestPeerStartsANewAttempt(long lie)
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        Assert.Equal(0, assembler.Next(A, lie));               // the liar sets the size of the first attempt
        Assert.Null(assembler.Next(B, Raw.Length));            // the honest peer disagrees, and waits

        var e = Assert.Throws<ExtensionException>(() => assembler.Deliver(A, Piece(0)));   // total_size is the real one
        assembler.Release(A);                                  // its worker ends

        Assert.Contains("banned", e.Message);
        Assert.True(assembler.IsBanned(A));
        Assert.Equal(0, assembler.Next(B, Raw.Length));
        Assert.Equal(1, assembler.Next(B, Raw.Length));
        assembler.Deliver(B, Piece(0));
        assembler.Deliver(B, Piece(1));
        Assert.Equal(Raw, assembler.Result);
    }

    [Fact]
    public void Release_TheOnlyPeerThatAnnouncedTheSizeLeavesSilently_TheAttemptIsDroppedForOthers()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        Assert.Equal(0, assembler.Next(A, 1));                 // a lie, then silence until its request times out
        Assert.Null(assembler.Next(B, Raw.Length));

        assembler.Release(A);

        Assert.False(assembler.IsBanned(A));
        Assert.Equal(0, assembler.Next(B, Raw.Length));
    }

    [Fact]
    public void Release_AnotherPeerStillVouchesForTheSize_TheAttemptGoesOn()
    {
        var assembler = new MetadataAssembler(Hash, 1 << 20);
        Assert.Equal(0, assembler.Next(A, Raw.Length));
        Assert.Equal(1, assembler.Next(B, Raw.Length));
        assembler.Deliver(B, Piece(1));

        assembler.Release(A);                                  // piece 0 is free again; piece 1 is kept

        Assert.Equal(0, assembler.Next(B, Raw.Length));
        assembler.Deliver(B, Piece(0));
        Assert.Equal(Raw, assembler.Result);
    }
}
