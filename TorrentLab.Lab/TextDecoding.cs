using System.Globalization;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Lab;

/// <summary>The mistakes of a decoder that treats bencode as text: string lengths counted in characters instead of bytes,
/// and binary strings ('pieces') decoded as UTF-8. The checker replays each mistake on the same input and names it when
/// the replay explains what the student's program did.</summary>
internal static class TextDecoding
{
    /// <summary>Whether <paramref name="text"/> holds a character outside ASCII (more bytes than characters in UTF-8).</summary>
    public static bool HasNonAscii(string text) => text.Any(c => c > 0x7F);

    /// <summary>Whether any string inside <paramref name="value"/> holds a character outside ASCII.</summary>
    public static bool HasNonAscii(BValue value) => value switch
    {
        BString s => HasNonAscii(s.Text),
        BList l => l.Items.Any(HasNonAscii),
        BDictionary d => d.Entries.Any(e => HasNonAscii(Encoding.UTF8.GetString(e.Key)) || HasNonAscii(e.Value)),
        _ => false,
    };

    /// <summary>What a decoder that counts a string's length in characters makes of <paramref name="encoded"/> (read as
    /// code points, as Python's str; <paramref name="utf16"/>: as UTF-16 units, as a JavaScript string), or null where it
    /// fails (runs past the end, finds no ':' where a length should end).</summary>
    public static BValue? DecodeByCharacters(string encoded, bool utf16)
    {
        var units = utf16 ? encoded.Select(c => (int)c).ToArray() : encoded.EnumerateRunes().Select(r => r.Value).ToArray();
        var at = 0;
        try
        {
            var value = Read(units, ref at, depth: 0);
            return value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The hint when a decoder by characters explains the student's output for <paramref name="value"/>: the same
    /// JSON, or a failure where the replay fails too; null when it does not.</summary>
    public static string? CharacterLengthHint(BValue value, string encoded, System.Text.Json.JsonElement? printed, bool failed)
    {
        if (!HasNonAscii(value)) return null;
        var replays = new[] { DecodeByCharacters(encoded, utf16: false), DecodeByCharacters(encoded, utf16: true) };
        var explained = replays.Any(r => r is null ? failed || printed is null
            : printed is { } p && JsonComparison.Difference(r, p) is null && JsonComparison.Difference(value, p) is not null);
        if (!explained) return null;
        var sample = FirstNonAscii(value) ?? "";
        return $"bencode string lengths count BYTES, not characters: \"{sample}\" is {sample.EnumerateRunes().Count()} characters but " +
            $"{Encoding.UTF8.GetByteCount(sample)} bytes in UTF-8, so a decoder that reads <length> characters runs into the next value; " +
            "work on the argument's bytes (os.fsencode(sys.argv[2]) in Python, Buffer.from(arg) in JavaScript, []byte(arg) in Go, " +
            "arg.as_bytes() in Rust, Encoding.UTF8.GetBytes(arg) in C#) and decode only the strings you print";
    }

    /// <summary>The hint for a torrent whose parse went wrong where a decoder that reads the file as text goes wrong
    /// ('pieces' is binary, and the name may hold characters outside ASCII, so counting characters misreads the file);
    /// null when such a decoder parses it right, or when the program says it does not implement the command yet.</summary>
    public static string? TorrentAsTextHint(LabTorrent torrent, StudentRun run)
    {
        if ((run.Stdout + run.Stderr).Contains("not implemented", StringComparison.OrdinalIgnoreCase)) return null;
        var text = Encoding.UTF8.GetString(torrent.TorrentBytes);   // invalid bytes ('pieces') become U+FFFD, as text readers do
        var replay = DecodeByCharacters(text, utf16: false);
        var right = replay is BDictionary top && top["info"] is BDictionary info && info["length"] is BInteger length
            && length.Value == torrent.Torrent.TotalLength && top["announce"] is BString url && url.Text == torrent.Torrent.Announce;
        if (right) return null;
        var name = torrent.Torrent.Name;
        var nameNote = HasNonAscii(name)
            ? $"its name \"{name}\" is {name.EnumerateRunes().Count()} characters but {Encoding.UTF8.GetByteCount(name)} bytes, and "
            : "";
        return $"a .torrent file is bytes, not text: in this one {nameNote}'pieces' is {torrent.Torrent.PieceCount * 20} bytes of " +
            "SHA-1 hashes, mostly not valid UTF-8, so a parser that reads the file as text and counts a string's <length> in " +
            "characters reads past its end; read the file as bytes (open(path, 'rb') in Python, fs.readFileSync(path) without an " +
            "encoding in JavaScript), count lengths in bytes, and decode only the strings you print";
    }

    /// <summary>The piece hashes a program prints when it decoded 'pieces' as UTF-8 text (invalid bytes replaced) and then
    /// split what it got: the re-encoded bytes every 20, and the characters every 20.</summary>
    public static IEnumerable<IReadOnlyList<string>> PiecesAsText(ReadOnlySpan<byte> pieces)
    {
        var text = Encoding.UTF8.GetString(pieces);
        var reencoded = Encoding.UTF8.GetBytes(text);
        var byBytes = Enumerable.Range(0, (reencoded.Length + 19) / 20)
            .Select(i => Convert.ToHexStringLower(reencoded.AsSpan(i * 20, Math.Min(20, reencoded.Length - i * 20)))).ToList();
        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToList();
        var byChars = Enumerable.Range(0, (runes.Count + 19) / 20)
            .Select(i => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(string.Concat(runes.Skip(i * 20).Take(20))))).ToList();
        return [byBytes, byChars];
    }

    /// <summary>The hint when the printed hashes are what decoding 'pieces' as text gives (same count, or one of the same
    /// hashes), else null.</summary>
    public static string? PiecesAsTextHint(byte[] pieces, IReadOnlyList<string> printed, int wanted)
    {
        foreach (var mangled in PiecesAsText(pieces))
        {
            if (mangled.Count == wanted) continue;   // this replay cannot be told apart by count
            if (printed.Count == mangled.Count || printed.Any(h => mangled.Contains(h) && h.Length == 40 && !IsRealHash(pieces, h)))
                return $"'pieces' is binary: {wanted} SHA-1 hashes of 20 raw bytes each ({pieces.Length} bytes), most of them not valid " +
                    $"UTF-8; decoded as text it became {mangled.Count} chunks of 20. Keep 'pieces' as bytes (never decode it as text), " +
                    "split it every 20 bytes, and print each chunk as 40 hex digits";
        }
        return null;
    }

    private static bool IsRealHash(byte[] pieces, string hex)
    {
        for (var i = 0; i + 20 <= pieces.Length; i += 20)
            if (Convert.ToHexStringLower(pieces.AsSpan(i, 20)) == hex) return true;
        return false;
    }

    private static string? FirstNonAscii(BValue value) => value switch
    {
        BString s when HasNonAscii(s.Text) => s.Text,
        BList l => l.Items.Select(FirstNonAscii).FirstOrDefault(x => x is not null),
        BDictionary d => d.Entries.Select(e => HasNonAscii(Encoding.UTF8.GetString(e.Key)) ? Encoding.UTF8.GetString(e.Key) : FirstNonAscii(e.Value))
            .FirstOrDefault(x => x is not null),
        _ => null,
    };

    // The decoder with the mistake, over characters: i<digits>e, l...e, d...e, <length>:<that many CHARACTERS>.
    private static BValue Read(int[] units, ref int at, int depth)
    {
        if (depth > 64 || at >= units.Length) throw new FormatException("ran past the end");
        switch (units[at])
        {
            case 'i':
                var end = Array.IndexOf(units, 'e', at);
                if (end < 0) throw new FormatException("no 'e'");
                var digits = Text(units, at + 1, end - at - 1);
                at = end + 1;
                return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? new BInteger(n) : throw new FormatException("not an integer");
            case 'l':
                at++;
                var items = new List<BValue>();
                while (at < units.Length && units[at] != 'e') items.Add(Read(units, ref at, depth + 1));
                if (at >= units.Length) throw new FormatException("no 'e'");
                at++;
                return new BList(items);
            case 'd':
                at++;
                var dictionary = new BDictionary();
                while (at < units.Length && units[at] != 'e')
                {
                    if (Read(units, ref at, depth + 1) is not BString key) throw new FormatException("a key that is not a string");
                    dictionary.Set(key.Text, Read(units, ref at, depth + 1));
                }
                if (at >= units.Length) throw new FormatException("no 'e'");
                at++;
                return dictionary;
            case >= '0' and <= '9':
                var colon = Array.IndexOf(units, ':', at);
                if (colon < 0 || !int.TryParse(Text(units, at, colon - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                    throw new FormatException("no length");
                var start = colon + 1;
                var take = Math.Max(0, Math.Min(length, units.Length - start));   // a slice past the end stops at the end, as in Python and JavaScript
                at = start + length;
                return new BString(Text(units, start, take));
            default:
                throw new FormatException("not a value");
        }
    }

    private static string Text(int[] units, int start, int count)
    {
        var text = new StringBuilder();
        for (var i = start; i < start + count; i++)
        {
            if (units[i] is >= 0xD800 and <= 0xDFFF) text.Append((char)units[i]);   // a lone UTF-16 unit, kept as it is
            else text.Append(char.ConvertFromUtf32(units[i]));
        }
        return text.ToString();
    }
}
