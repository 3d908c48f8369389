using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Tests.Bencode;

/// <summary>Property: for any value, decode(encode(v)) encodes to the same bytes, and strict decoding accepts it.</summary>
/// <remarks>Each property runs on <see cref="Cases"/> values drawn from a <see cref="Random"/> with a fixed seed: the
/// same cases every run, so a failure is reproducible, and the failing case is printed in the assertion message.</remarks>
public class BencodeRoundTripPropertyTests
{
    private const int Cases = 300;
    private const int Seed = 12345;

    /// <summary>Integers a generator drawing uniformly would almost never hit: the ends of the range and zero's neighbours.</summary>
    private static readonly long[] EdgeIntegers = [0, 1, -1, 9, 10, -10, long.MaxValue, long.MinValue, long.MinValue + 1];

    [Fact]
    public void AnyInteger_RoundTrips() =>
        ForAll(AnyInteger, n => n.ToString(), n =>
            BencodeDecoder.Decode(BencodeWriter.Encode(new BInteger(n))) is BInteger { Value: var back } && back == n);

    [Fact]
    public void AnyByteString_RoundTrips() =>
        ForAll(AnyBytes, Convert.ToHexString, bytes =>
            BencodeDecoder.Decode(BencodeWriter.Encode(new BString(bytes))) is BString s && s.Bytes.Span.SequenceEqual(bytes));

    [Fact]
    public void AnyValueTree_RoundTripsByteForByte() =>
        ForAll(random => AnyValue(random, depth: 3), v => Encoding.Latin1.GetString(BencodeWriter.Encode(v)), value =>
        {
            var encoded = BencodeWriter.Encode(value);
            var decoded = BencodeDecoder.Decode(encoded); // strict: the writer's output is canonical
            return BencodeWriter.Encode(decoded).AsSpan().SequenceEqual(encoded) && decoded.Raw.Span.SequenceEqual(encoded);
        });

    /// <summary>Checks <paramref name="property"/> on <see cref="Cases"/> generated values; a failure names the case.</summary>
    private static void ForAll<T>(Func<Random, T> generate, Func<T, string> show, Func<T, bool> property)
    {
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var value = generate(random);
            Assert.True(property(value), $"case {i} of seed {Seed} breaks the property: {show(value)}");
        }
    }

    /// <summary>An edge value, a small number, or a number of any magnitude (a random number of high bits cleared).</summary>
    private static long AnyInteger(Random random) => random.Next(4) switch
    {
        0 => EdgeIntegers[random.Next(EdgeIntegers.Length)],
        1 => random.NextInt64(-1000, 1001),
        _ => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64),
    };

    /// <summary>Bytes of any value, mostly short, sometimes empty, now and then a few KiB.</summary>
    private static byte[] AnyBytes(Random random)
    {
        var bytes = new byte[random.Next(10) == 0 ? random.Next(4096) : random.Next(40)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A dictionary key: raw bytes, or text (ASCII, accented, CJK and astral characters) written as UTF-8.</summary>
    private static byte[] AnyKey(Random random)
    {
        if (random.Next(2) == 0) return AnyBytes(random);
        var text = new StringBuilder();
        for (var n = random.Next(12); n > 0; n--)
            text.Append(char.ConvertFromUtf32(random.Next(4) switch
            {
                0 => random.Next(0x20, 0x7F),
                1 => random.Next(0xA0, 0x250),
                2 => random.Next(0x4E00, 0x9FFF),
                _ => random.Next(0x1F300, 0x1F600),
            }));
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Random trees of integers, byte strings, lists and dictionaries up to <paramref name="depth"/> levels.</summary>
    private static BValue AnyValue(Random random, int depth)
    {
        // Leaves three times as often as containers, so trees stay small.
        var kind = depth == 0 ? random.Next(6) : random.Next(8);
        switch (kind)
        {
            case < 3:
                return new BInteger(AnyInteger(random));
            case < 6:
                return new BString(AnyBytes(random));
            case 6:
                return new BList([.. Enumerable.Range(0, random.Next(8)).Select(_ => AnyValue(random, depth - 1))]);
            default:
                var dictionary = new BDictionary();
                for (var n = random.Next(8); n > 0; n--) dictionary.Set(AnyKey(random), AnyValue(random, depth - 1)); // Set replaces duplicates
                return dictionary;
        }
    }
}
