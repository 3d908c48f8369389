using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>BEP 52 hash request (21), hashes (22) and hash reject (23), byte for byte.</summary>
public class HashMessagesTests
{
    private static readonly byte[] Root = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i % 16)).ToArray();
    private const string RootHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafa0a1a2a3a4a5a6a7a8a9aaabacadaeaf";

    [Theory]
    //                  <len=49>  <id>  <pieces root 32>  <base layer>  <index>  <length>  <proof layers>
    [InlineData(0, 0, 2, 0, "00000031" + "15" + RootHex + "00000000" + "00000000" + "00000002" + "00000000")]    // two leaves, no proof
    [InlineData(3, 512, 512, 7, "00000031" + "15" + RootHex + "00000003" + "00000200" + "00000200" + "00000007")] // piece layer of 128 KiB pieces
    public void EncodeRequest_WritesTheByteLayout(int baseLayer, int index, int length, int proof, string hex)
    {
        var request = new HashRequest(Root, baseLayer, index, length, proof);

        Assert.Equal(hex, Convert.ToHexStringLower(HashMessages.EncodeRequest(request)));
        var decoded = HashMessages.DecodeRequest(HashMessages.EncodeRequest(request).AsMemory(5));
        Assert.Equal((baseLayer, index, length, proof), (decoded.BaseLayer, decoded.Index, decoded.Length, decoded.ProofLayers));
        Assert.Equal(Root, decoded.PiecesRoot.ToArray());
    }

    [Fact]
    public void EncodeReject_IsTheRequestUnderId23()
    {
        var request = new HashRequest(Root, 0, 4, 4, 1);
        var reject = HashMessages.EncodeReject(request);

        Assert.Equal("00000031" + "17" + RootHex + "00000000" + "00000004" + "00000004" + "00000001", Convert.ToHexStringLower(reject));
    }

    [Fact]
    public void EncodeHashes_AppendsTheHashesAfterTheHeader_AndDecodesBack()
    {
        var request = new HashRequest(Root, 0, 0, 2, 1);
        var hashes = Enumerable.Range(0, 96).Select(i => (byte)i).ToArray(); // two leaves and one uncle

        var message = HashMessages.EncodeHashes(request, hashes);

        Assert.Equal("00000091" + "16" + RootHex + "00000000" + "00000000" + "00000002" + "00000001" + Convert.ToHexStringLower(hashes),
            Convert.ToHexStringLower(message));
        var (header, body) = HashMessages.DecodeHashes(message.AsMemory(5));
        Assert.Equal(request.ProofLayers, header.ProofLayers);
        Assert.Equal(hashes, body.ToArray());
    }

    [Theory]
    [InlineData(47)]  // one byte short of the header
    [InlineData(49)]  // one byte too many
    public void DecodeRequest_OfTheWrongSize_IsAViolation(int size) =>
        Assert.True(Assert.Throws<WireException>(() => HashMessages.DecodeRequest(new byte[size])).IsViolation);

    [Fact]
    public void DecodeHashes_WithAPartialHash_IsAViolation()
    {
        var error = Assert.Throws<WireException>(() => HashMessages.DecodeHashes(new byte[48 + 31]));
        Assert.Contains("whole 32-byte hashes, got 31 bytes", error.Message);
    }

    [Theory]
    [InlineData(2, 1, 1)]    // two leaves: their parent's sibling is the only uncle
    [InlineData(4, 3, 2)]    // four leaves span one proof layer, which is omitted
    [InlineData(512, 10, 2)] // 512 span 8 layers
    [InlineData(8, 1, 0)]    // every asked layer is inside the subtree
    public void UncleCount_OmitsTheLayersTheBaseHashesSpan(int length, int proofLayers, int uncles) =>
        Assert.Equal(uncles, HashMessages.UncleCount(new HashRequest(Root, 0, 0, length, proofLayers)));

    [Theory]
    [InlineData(0, 2, 100, null)]
    [InlineData(3, 2, 100, "index 3 is not a multiple of length 2")]
    [InlineData(0, 3, 100, "length 3 is not a power of two of at least 2")]
    [InlineData(96, 3, 99, null)]      // truncated by the end of the layer
    [InlineData(0, 1024, 2000, "length 1024 is more than 512")]
    [InlineData(100, 2, 100, "index 100 is past the layer's 100 hashes")]
    public void Problem_FollowsBep52sRules(int index, int length, long layer, string? problem) =>
        Assert.Equal(problem, new HashRequest(Root, 0, index, length, 0).Problem(layer));
}
