using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using TorrentLab.Merkle;

namespace TorrentLab.Bench;

/// <summary>Piece verification on one core: v1's SHA-1 of whole pieces beside v2's SHA-256 merkle subtree of each
/// piece (BEP 52), over the same 16 MiB of random data in 256 KiB pieces.</summary>
public class PieceHashBenchmarks
{
    private const int PieceLength = 256 * 1024;
    private byte[] _hash = new byte[32];

    [ParamsSource(nameof(Inputs))]
    public BenchInput Input { get; set; } = null!;

    public static IEnumerable<BenchInput> Inputs()
    {
        var data = new byte[16 * 1024 * 1024];
        new Random(52).NextBytes(data);
        yield return new BenchInput("random-16MiB", data);
    }

    [Benchmark(Description = "SHA-1 per piece (v1)", Baseline = true)]
    public byte[] Sha1Pieces()
    {
        for (var at = 0; at < Input.Bytes.Length; at += PieceLength)
            SHA1.HashData(Input.Bytes.AsSpan(at, PieceLength), _hash);
        return _hash;
    }

    [Benchmark(Description = "SHA-256 merkle per piece (v2)")]
    public byte[] MerklePieces()
    {
        for (var at = 0; at < Input.Bytes.Length; at += PieceLength)
            _hash = MerkleTree.PieceRoot(Input.Bytes.AsSpan(at, PieceLength), PieceLength);
        return _hash;
    }

    [Benchmark(Description = "SHA-256 of whole pieces")]
    public byte[] Sha256Pieces()
    {
        for (var at = 0; at < Input.Bytes.Length; at += PieceLength)
            SHA256.HashData(Input.Bytes.AsSpan(at, PieceLength), _hash);
        return _hash;
    }
}
