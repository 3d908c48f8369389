using TorrentLab.Bencode;

namespace TorrentLab.Lab;

/// <summary>Random bencode values for the four decode stages. Every value is text (it travels as a command-line argument,
/// UTF-8 encoded) and includes the cases that catch the usual decoder bugs: lengths of two or more digits, colons and
/// digits inside strings, negative and 64-bit integers, empty and nested containers, and characters outside ASCII, whose
/// UTF-8 bytes outnumber them (a length counted in characters reads too far; a lone string cannot show it, since a slice
/// past the end stops at the end, so the lists and dictionaries put such a string before another value).</summary>
internal static class BencodeSamples
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";

    /// <summary>Strings: a random word, one longer than 9 bytes, one holding digits and colons, one with a space.</summary>
    public static IReadOnlyList<BValue> Strings(Random random) =>
    [
        new BString(Word(random, 3, 9)),
        new BString(Word(random, 10, 40)),
        new BString($"{random.Next(10, 99)}:{Word(random, 2, 5)}:{random.Next(0, 9)}"),
        new BString($"{Word(random, 2, 6)} {Word(random, 2, 6)}"),
        new BString(NonAscii(random)),
    ];

    /// <summary>Integers: positive, zero, negative, and one that needs 64 bits.</summary>
    public static IReadOnlyList<BValue> Integers(Random random) =>
    [
        new BInteger(random.Next(1, 100_000)),
        new BInteger(0),
        new BInteger(-random.Next(1, 100_000)),
        new BInteger(random.NextInt64(5_000_000_000L, 9_000_000_000_000L)), // beyond 32 bits
    ];

    /// <summary>Lists: a flat mixed list, an empty one, a nested one.</summary>
    public static IReadOnlyList<BValue> Lists(Random random) =>
    [
        new BList([new BString(Word(random, 3, 8)), new BInteger(random.Next(-1000, 1000))]),
        new BList([]),
        new BList([new BList([new BInteger(random.Next(0, 1000)), new BString(Word(random, 1, 12))]), new BList([]), Scalar(random)]),
        RandomList(random, depth: 2),
        new BList([new BString(NonAscii(random)), new BInteger(random.Next(0, 1000)), new BString(Word(random, 2, 6))]),
    ];

    /// <summary>Dictionaries: the classic two-key one, an empty one, nested ones.</summary>
    public static IReadOnlyList<BValue> Dictionaries(Random random) =>
    [
        new BDictionary().Set(Word(random, 3, 5), new BString(Word(random, 3, 8))).Set("zz" + Word(random, 1, 4), new BInteger(random.Next(0, 1000))),
        new BDictionary(),
        new BDictionary().Set("inner", RandomDictionary(random, depth: 1)).Set("list", RandomList(random, depth: 1)),
        RandomDictionary(random, depth: 2),
        new BDictionary().Set("a" + Word(random, 1, 4), new BString(NonAscii(random))).Set("z" + Word(random, 1, 4), new BInteger(random.Next(0, 1000))),
    ];

    private static BValue RandomList(Random random, int depth)
    {
        var items = new List<BValue>();
        for (var i = random.Next(1, 4); i > 0; i--) items.Add(depth > 0 && random.Next(3) == 0 ? RandomList(random, depth - 1) : Scalar(random));
        return new BList(items);
    }

    private static BDictionary RandomDictionary(Random random, int depth)
    {
        var dictionary = new BDictionary();
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            var value = random.Next(4) switch
            {
                0 when depth > 0 => RandomDictionary(random, depth - 1),
                1 => RandomList(random, depth),
                _ => Scalar(random),
            };
            dictionary.Set(Word(random, 1, 10), value);
        }
        return dictionary;
    }

    private static BValue Scalar(Random random) =>
        random.Next(2) == 0 ? new BString(Word(random, 0, 15)) : new BInteger(random.NextInt64(-1_000_000, 10_000_000_000L));

    // Two-, three- and four-byte UTF-8 characters: accented Latin, CJK, an emoji (two UTF-16 units in JavaScript).
    private static readonly string[] Foreign = ["é", "ü", "ñ", "ø", "日本", "語", "€", "🙂", "ß", "ç"];

    /// <summary>A word with one to three characters outside ASCII among its letters.</summary>
    private static string NonAscii(Random random)
    {
        var text = new System.Text.StringBuilder(Word(random, 1, 4));
        for (var i = random.Next(1, 4); i > 0; i--) text.Append(Foreign[random.Next(Foreign.Length)]).Append(Word(random, 1, 4));
        return text.ToString();
    }

    private static string Word(Random random, int min, int max)
    {
        var chars = new char[random.Next(min, max + 1)];
        for (var i = 0; i < chars.Length; i++) chars[i] = Letters[random.Next(Letters.Length)];
        return new string(chars);
    }
}
