namespace TorrentLab.Wire;

/// <summary>The RC4 stream cipher as MSE/PE uses it: keyed with a 20-byte SHA-1, the first 1024 bytes of keystream
/// thrown away, then XORed over the stream in both directions (encrypting and decrypting are the same operation).</summary>
/// <remarks>Hand-written: .NET has no RC4 (it is broken as a cipher, and MSE/PE uses it to obfuscate traffic, not to
/// secure it). The algorithm is the textbook one: a key schedule that permutes 0..255, then one swap per output byte.
/// An instance is a position in one keystream, so it must be used by one task at a time.</remarks>
internal sealed class Rc4
{
    /// <summary>MSE/PE: "The first 1024 bytes of the RC4 output are discarded" (RC4-drop1024), because RC4's first
    /// output bytes leak information about the key.</summary>
    public const int Discard = 1024;

    private readonly byte[] _s = new byte[256];
    private int _i, _j;

    /// <summary>Runs the key schedule, then discards the first <paramref name="discard"/> keystream bytes.</summary>
    public Rc4(ReadOnlySpan<byte> key, int discard = Discard)
    {
        if (key.IsEmpty) throw new ArgumentException("an RC4 key has at least one byte", nameof(key));
        for (var k = 0; k < 256; k++) _s[k] = (byte)k;
        var j = 0;
        for (var k = 0; k < 256; k++)
        {
            j = (j + _s[k] + key[k % key.Length]) & 0xFF;
            (_s[k], _s[j]) = (_s[j], _s[k]);
        }
        Span<byte> skip = stackalloc byte[256];
        for (var left = discard; left > 0; left -= skip.Length)
        {
            var chunk = skip[..Math.Min(skip.Length, left)];
            chunk.Clear();
            Apply(chunk);
        }
    }

    /// <summary>XORs the next keystream bytes over <paramref name="data"/> in place.</summary>
    public void Apply(Span<byte> data)
    {
        var s = _s;
        int i = _i, j = _j;
        for (var k = 0; k < data.Length; k++)
        {
            i = (i + 1) & 0xFF;
            var si = s[i];
            j = (j + si) & 0xFF;
            var sj = s[j];
            s[i] = sj;
            s[j] = si;
            data[k] ^= s[(si + sj) & 0xFF];
        }
        _i = i;
        _j = j;
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> XORed with the next keystream bytes.</summary>
    public void Apply(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        Apply(destination[..source.Length]);
    }
}
