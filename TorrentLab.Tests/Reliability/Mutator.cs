using System.Buffers.Binary;

namespace TorrentLab.Tests.Reliability;

/// <summary>Mutation fuzzing of binary and text formats: one to four stacked edits of a valid input, chosen by a
/// seeded <see cref="Random"/> so every run tries the same inputs.</summary>
/// <remarks>The edits aim at what parsers trust: length prefixes and digit runs (set to 0, -1, 2^31-1, 2^32-1, huge),
/// the format's control bytes, truncation mid-value, and duplicated or deleted stretches.</remarks>
internal static class Mutator
{
    private static ReadOnlySpan<byte> BencodeBytes => "ilde0123456789:-"u8;
    private static readonly uint[] Interesting = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0xffff, 0x10000,
        0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];
    private static readonly string[] Numbers = ["0", "-0", "00", "-1", "2147483647", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e3", ""];

    /// <summary>A mutated copy of <paramref name="input"/>.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        var data = input;
        var edits = 1 + (random.Next(8) == 0 ? random.Next(1, 4) : 0); // mostly one edit, sometimes up to four
        for (var i = 0; i < edits; i++) data = Once(data, random);
        return data;
    }

    private static byte[] Once(byte[] data, Random random)
    {
        if (data.Length == 0) return [(byte)random.Next(256)];
        var at = random.Next(data.Length);
        switch (random.Next(11))
        {
            case 0: return With(data, d => d[at] ^= (byte)(1 << random.Next(8)));                  // flip one bit
            case 1: return With(data, d => d[at] = (byte)random.Next(256));                          // random byte
            case 2: return With(data, d => d[at] = BencodeBytes[random.Next(BencodeBytes.Length)]);  // a control byte
            case 3: return Insert(data, at, [BencodeBytes[random.Next(BencodeBytes.Length)]]);
            case 4: return Remove(data, at, Math.Min(random.Next(1, 9), data.Length - at));          // delete a stretch
            case 5: return data[..at];                                                                // truncate
            case 6:                                                                                   // duplicate a stretch
            {
                var length = Math.Min(random.Next(1, 65), data.Length - at);
                return Insert(data, random.Next(data.Length + 1), data.AsSpan(at, length).ToArray());
            }
            case 7:                                                                                   // a 32-bit field
            {
                if (data.Length < 4) goto case 1;
                var where = random.Next(data.Length - 3);
                return With(data, d => BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(where), Interesting[random.Next(Interesting.Length)]));
            }
            case 8:                                                                                   // a 16-bit field
            {
                if (data.Length < 2) goto case 1;
                var where = random.Next(data.Length - 1);
                return With(data, d => BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(where), (ushort)Interesting[random.Next(Interesting.Length)]));
            }
            case 9: return ReplaceDigits(data, at, random);                                          // a length or integer
            default:                                                                                  // swap two bytes
            {
                var other = random.Next(data.Length);
                return With(data, d => (d[at], d[other]) = (d[other], d[at]));
            }
        }
    }

    /// <summary>Replaces the run of ASCII digits at or after <paramref name="at"/> by an extreme number.</summary>
    private static byte[] ReplaceDigits(byte[] data, int at, Random random)
    {
        var start = data.AsSpan(at).IndexOfAnyInRange((byte)'0', (byte)'9');
        if (start < 0) return Once(data, random);
        start += at;
        var end = start;
        while (end < data.Length && data[end] is >= (byte)'0' and <= (byte)'9') end++;
        var number = System.Text.Encoding.ASCII.GetBytes(Numbers[random.Next(Numbers.Length)]);
        return [.. data.AsSpan(0, start), .. number, .. data.AsSpan(end)];
    }

    private static byte[] With(byte[] data, Action<byte[]> edit)
    {
        var copy = (byte[])data.Clone();
        edit(copy);
        return copy;
    }

    private static byte[] Insert(byte[] data, int at, byte[] bytes) => [.. data.AsSpan(0, at), .. bytes, .. data.AsSpan(at)];

    private static byte[] Remove(byte[] data, int at, int count) => [.. data.AsSpan(0, at), .. data.AsSpan(at + count)];
}
