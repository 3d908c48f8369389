namespace TorrentLab.Magnet;

/// <summary>RFC 4648 base32 (alphabet <c>A-Z2-7</c>, no padding), as old magnet links spell a 20-byte info hash in 32
/// characters. BEP 9: "clients should also support the 32 character base32 encoded infohash."</summary>
internal static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>Decodes <paramref name="text"/> (either case; its length a multiple of 8, 5 bytes per 8 characters);
    /// false at the first character outside the alphabet.</summary>
    public static bool TryDecode(string text, out byte[] bytes, out int badIndex)
    {
        bytes = [];
        badIndex = -1;
        if (text.Length % 8 != 0) throw new ArgumentException($"base32 without padding needs a multiple of 8 characters, got {text.Length}", nameof(text));
        var output = new byte[text.Length / 8 * 5];
        int buffer = 0, bits = 0, written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var value = Alphabet.IndexOf(char.ToUpperInvariant(text[i]));
            if (value < 0)
            {
                badIndex = i;
                return false;
            }
            buffer = (buffer << 5) | value;   // 5 bits per character, most significant first
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                output[written++] = (byte)(buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }
        bytes = output;
        return true;
    }
}
