using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Fuzz.Targets;

/// <summary>BEP 3 bencoding, strict and lenient: either a value or a <see cref="BencodeException"/>.</summary>
/// <remarks>What must hold: strict bencode is canonical, so a value the strict decoder accepts encodes back to
/// exactly the input; a value the lenient decoder accepts encodes to bytes the strict decoder accepts.</remarks>
internal static class BencodeTarget
{
    public static FuzzTarget Target { get; } = new("bencode", "a bencoded value (strict and lenient)", Run, Seeds);

    private static void Run(byte[] input)
    {
        try
        {
            var value = BencodeDecoder.Decode(input, BencodeOptions.Strict);
            var again = BencodeWriter.Encode(value);
            if (!again.AsSpan().SequenceEqual(input))
                throw new InvalidOperationException($"strict bencode of {input.Length} bytes re-encodes to {again.Length} other bytes");
        }
        catch (BencodeException) { }
        try
        {
            var value = BencodeDecoder.Decode(input, BencodeOptions.Lenient);
            BencodeDecoder.Decode(BencodeWriter.Encode(value), BencodeOptions.Strict);
        }
        catch (BencodeException) { }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("integer", "i-42e"u8.ToArray());
        yield return ("string", "5:hello"u8.ToArray());
        yield return ("list", "l4:spami7ee"u8.ToArray());
        yield return ("dictionary", "d3:bar4:spam3:fooi42ee"u8.ToArray());
        yield return ("nested", "d1:ad1:bl1:ci0eee1:xle1:ydee"u8.ToArray());
        yield return ("unsorted-keys", "d1:bi1e1:ai2ee"u8.ToArray());      // lenient only
        yield return ("trailing-bytes", "i1eXYZ"u8.ToArray());            // lenient only
        yield return ("binary", [.. "4:"u8, 0, 255, 10, 13]);
        yield return ("announce", Encoding.ASCII.GetBytes("d8:intervali1800e5:peers6:\x7f\0\0\x01\x1a\xe1e"));
    }
}
