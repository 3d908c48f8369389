using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Bencode;

/// <summary>Mutation fuzzing: every corpus file, mutated with a fixed seed, either parses or fails with a typed
/// exception (<see cref="BencodeException"/> or <see cref="MetainfoException"/>), never anything else.</summary>
[Trait("Tier", "Slow")]
public class BencodeFuzzTests
{
    private const int Seed = 20240601;
    private const int MutationsPerFile = 40;

    [Fact]
    public void MutatedCorpusFiles_FailOnlyWithTypedExceptions()
    {
        var corpus = TestPaths.RequireSharedCorpus();
        var files = Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".torrent", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} corpus files");
        var random = new Random(Seed);
        var runs = 0;
        foreach (var file in files)
        {
            var original = File.ReadAllBytes(file);
            for (var i = 0; i < MutationsPerFile; i++)
            {
                var mutated = Mutate(original, random);
                foreach (var attempt in new Action[]
                {
                    () => BencodeDecoder.Decode(mutated),
                    () => BencodeDecoder.Decode(mutated, BencodeOptions.Lenient),
                    () => Torrent.Parse(mutated),
                })
                {
                    runs++;
                    try { attempt(); }
                    catch (Exception e) when (e is BencodeException or MetainfoException) { }
                    catch (Exception e)
                    {
                        Assert.Fail($"{Path.GetFileName(file)} mutation {i}: {e.GetType().Name}: {e.Message}\ninput (hex, first 200 bytes): {Convert.ToHexString(mutated.AsSpan(0, Math.Min(200, mutated.Length)))}");
                    }
                }
            }
        }
        Assert.True(runs > 10_000);
    }

    /// <summary>One random mutation: flip a byte, set a bencode control byte, insert, delete, truncate or duplicate.</summary>
    internal static byte[] Mutate(byte[] input, Random random)
    {
        if (input.Length == 0) return [(byte)random.Next(256)];
        var data = input.ToList();
        var at = random.Next(data.Count);
        switch (random.Next(6))
        {
            case 0: data[at] = (byte)random.Next(256); break;
            case 1: data[at] = "ilde0123456789:-"u8[random.Next(16)]; break;
            case 2: data.Insert(at, "ilde0123456789:-"u8[random.Next(16)]); break;
            case 3: data.RemoveRange(at, Math.Min(random.Next(1, 8), data.Count - at)); break;
            case 4: data.RemoveRange(at, data.Count - at); break;
            default:
                var length = Math.Min(random.Next(1, 64), data.Count - at);
                data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                break;
        }
        return [.. data];
    }
}
