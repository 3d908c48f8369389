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

    /// <summary>Parses <c>a=1&amp;b=%41</c> (with or without the leading '?').</summary>
    /// <exception cref="TrackerException">A '%' not followed by two hex digits.</exception>
    public static TrackerQuery Parse(string? raw)
    {
        var query = new TrackerQuery();
        if (string.IsNullOrEmpty(raw)) return query;
        foreach (var pair in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = Encoding.UTF8.GetString(Decode(equals < 0 ? pair : pair[..equals], "a parameter name"));
            var value = equals < 0 ? [] : Decode(pair[(equals + 1)..], key);
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

    private static byte[] Decode(string text, string what)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '+')
            {
                bytes.Add((byte)' ');   // HTML forms: '+' is a space
                continue;
            }
            if (text[i] != '%')
            {
                // Unescaped non-ASCII characters are sent by sloppy clients; keep their UTF-8 bytes.
                if (text[i] < 0x80) bytes.Add((byte)text[i]);
                else bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }
            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                throw new TrackerException($"malformed percent-encoding in {what} at character {i}");
            bytes.Add(b);
            i += 2;
        }
        return [.. bytes];
    }
}
