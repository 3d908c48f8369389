using System.Globalization;
using System.Text;

namespace TorrentLab.Tracker.Server;

/// <summary>A tracker request's query string, percent-decoded to BYTES (info_hash and peer_id are binary).</summary>
/// <remarks>ASP.NET's own query parsing decodes values as UTF-8 text, which turns the bytes of a binary info hash
/// into U+FFFD; so the raw query is decoded here. A '+' is a space byte (0x20), as HTML forms encode query strings
/// (application/x-www-form-urlencoded) and as real trackers read them: Python's <c>urlencode</c> and <c>requests</c>
/// send an info-hash byte 0x20 as '+'. A literal plus sign arrives as <c>%2B</c>.</remarks>
internal sealed class TrackerQuery
{
    private readonly Dictionary<string, List<byte[]>> _values = new(StringComparer.Ordinal);

    /// <summary>Parses <c>a=1&amp;b=%41</c> (with or without the leading '?'); characters outside ASCII count as
    /// their UTF-8 bytes.</summary>
    /// <exception cref="TrackerException">A '%' not followed by two hex digits.</exception>
    public static TrackerQuery Parse(string? raw) => Parse(Encoding.UTF8.GetBytes(raw ?? ""));

    /// <summary>Parses the raw bytes of a query string, as they came in the request line.</summary>
    /// <exception cref="TrackerException">A '%' not followed by two hex digits; the message gives the byte.</exception>
    public static TrackerQuery Parse(ReadOnlySpan<byte> raw)
    {
        var query = new TrackerQuery();
        if (!raw.IsEmpty && raw[0] == '?') raw = raw[1..];
        var offset = 0;
        foreach (var range in raw.Split((byte)'&'))
        {
            var pair = raw[range];
            var start = offset;
            offset += pair.Length + 1;
            if (pair.IsEmpty) continue;
            var equals = pair.IndexOf((byte)'=');
            var key = Encoding.UTF8.GetString(Decode(equals < 0 ? pair : pair[..equals], start, "a parameter name"));
            var value = equals < 0 ? [] : Decode(pair[(equals + 1)..], start + equals + 1, key);
            if (!query._values.TryGetValue(key, out var list)) query._values[key] = list = [];
            list.Add(value);
        }
        return query;
    }

    /// <summary>The first value of a parameter as bytes, or null when absent.</summary>
    public byte[]? Bytes(string key) => _values.TryGetValue(key, out var list) ? list[0] : null;

    /// <summary>Every value of a parameter (a scrape may repeat <c>info_hash</c>).</summary>
    public IReadOnlyList<byte[]> All(string key) => _values.TryGetValue(key, out var list) ? list : [];

    /// <summary>The first value as text, or null when absent.</summary>
    public string? Text(string key) => Bytes(key) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>A required non-negative integer parameter.</summary>
    /// <exception cref="TrackerException">Missing or not a non-negative decimal integer; the message names the key.</exception>
    public long RequireNumber(string key, long max = long.MaxValue)
    {
        var text = Text(key) ?? throw new TrackerException($"missing '{key}'");
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max)
            throw new TrackerException($"'{key}' must be a whole number between 0 and {max}, got '{text}'");
        return value;
    }

    // Percent-decoding (RFC 3986 section 2.1), with '+' as a space byte; every other byte stands for itself
    // (sloppy clients send unescaped non-ASCII as its raw UTF-8 bytes, which are kept).
    private static byte[] Decode(ReadOnlySpan<byte> text, int offset, string what)
    {
        var bytes = new byte[text.Length];
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '+')
            {
                bytes[length++] = (byte)' ';   // HTML forms: '+' is a space
                continue;
            }
            if (text[i] != '%')
            {
                bytes[length++] = text[i];
                continue;
            }
            if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                throw new TrackerException($"malformed percent-encoding in {what} at character {offset + i}");
            bytes[length++] = (byte)(HexValue(text[i + 1]) << 4 | HexValue(text[i + 2]));
            i += 2;
        }
        return bytes.AsSpan(0, length).ToArray();
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
