using BenchmarkDotNet.Attributes;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;

namespace TorrentLab.Bench;

/// <summary>Bencode decode and encode throughput, and Torrent.Parse, over real and synthetic torrents.</summary>
[MemoryDiagnoser]
public class BencodeBenchmarks
{
    private BValue _decoded = null!;

    [ParamsSource(nameof(Inputs))]
    public BenchInput Input { get; set; } = null!;

    public static IEnumerable<BenchInput> Inputs() => BenchInput.All();

    [GlobalSetup]
    public void Setup() => _decoded = BencodeDecoder.Decode(Input.Bytes, BencodeOptions.Lenient);

    [Benchmark(Description = "Decode")]
    public BValue Decode() => BencodeDecoder.Decode(Input.Bytes, BencodeOptions.Lenient);

    [Benchmark(Description = "Encode")]
    public byte[] Encode() => BencodeWriter.Encode(_decoded);

    [Benchmark(Description = "Torrent.Parse")]
    public Torrent Parse() => Torrent.Parse(Input.Bytes);
}
