using System.Security.Cryptography;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Lab;

/// <summary>The wrong info hashes students compute, each with the mistake that gives it: the checker recomputes
/// every one of them and names the mistake whose hash equals the student's.</summary>
internal static class InfoHashMistakes
{
    /// <summary>The mistake that yields <paramref name="studentHex"/> for <paramref name="torrent"/>, or null.</summary>
    public static string? Explain(LabTorrent torrent, string studentHex)
    {
        var wanted = studentHex.Trim().ToLowerInvariant();
        foreach (var (hash, mistake) in Candidates(torrent))
            if (Convert.ToHexStringLower(hash) == wanted) return mistake;
        return null;
    }

    private static IEnumerable<(byte[] Hash, string Mistake)> Candidates(LabTorrent torrent)
    {
        yield return (SHA1.HashData(torrent.TorrentBytes),
            "that is the SHA-1 of the whole .torrent file: hash only the bencoded value of the 'info' key");
        var info = (BDictionary)BencodeDecoder.Decode(torrent.Torrent.RawInfo);
        var sorted = Convert.ToHexStringLower(SHA1.HashData(torrent.Torrent.RawInfo.Span));
        foreach (var order in Permutations(info.Entries.ToList()))
        {
            var bytes = EncodeInOrder(order);
            var hash = SHA1.HashData(bytes);
            if (Convert.ToHexStringLower(hash) == sorted) continue;
            yield return (hash, $"that is the SHA-1 of the info dictionary re-encoded with its keys in the order " +
                $"{string.Join(", ", order.Select(e => Encoding.UTF8.GetString(e.Key)))}: bencode dictionaries keep their keys " +
                "sorted as raw bytes; sort them when you encode (or hash the exact bytes of 'info' from the file)");
        }
        // Binary 'pieces' decoded as UTF-8 text (with replacement characters) and encoded back.
        var mangled = new BDictionary();
        foreach (var (key, value) in info.Entries)
            mangled.Set(key, Encoding.UTF8.GetString(key) == "pieces" ? new BString(Encoding.UTF8.GetBytes(((BString)value).Text)) : value);
        yield return (SHA1.HashData(BencodeWriter.Encode(mangled)),
            "'pieces' is binary, not text: keep bencode strings as bytes; decoding them as UTF-8 and encoding back changes them");
        yield return (SHA1.HashData(Encoding.UTF8.GetBytes(torrent.Torrent.InfoHash.Hex)),
            "that is the SHA-1 of a hex string: hash the bencoded info dictionary's bytes once, then print the digest as hex");
    }

    private static byte[] EncodeInOrder(IReadOnlyList<KeyValuePair<byte[], BValue>> entries)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteRaw("d"u8);
        foreach (var (key, value) in entries)
        {
            writer.WriteString(key);
            writer.Write(value);
        }
        writer.WriteRaw("e"u8);
        return buffer.WrittenSpan.ToArray();
    }

    // At most 6 keys in a generated info dictionary: 720 orders, each a few hundred bytes to hash.
    private static IEnumerable<List<T>> Permutations<T>(List<T> items)
    {
        if (items.Count <= 1)
        {
            yield return [.. items];
            yield break;
        }
        for (var i = 0; i < items.Count; i++)
        {
            var rest = items.Where((_, j) => j != i).ToList();
            foreach (var tail in Permutations(rest)) yield return [items[i], .. tail];
        }
    }
}
