namespace TorrentLab.Bencode;

/// <summary>Decodes bencode into a tree of <see cref="BValue"/>, each value keeping a slice of its raw bytes.</summary>
public static class BencodeDecoder
{
    /// <summary>Decodes exactly one value; strict unless <paramref name="options"/> say otherwise.</summary>
    /// <exception cref="BencodeException">The input is not valid bencode; the message gives the byte offset.</exception>
    public static BValue Decode(ReadOnlyMemory<byte> data, BencodeOptions? options = null)
    {
        var reader = new BencodeReader(data.Span, options);
        var value = ReadValue(ref reader, data, 0, new State());
        // BEP 3 encodes exactly one value; bytes after it mean the input is not what it claims to be.
        if (reader.Remaining > 0 && !reader.Options.AllowTrailingBytes)
            throw new BencodeException($"expected end of input, got {reader.Remaining} trailing byte(s)", reader.Position);
        return value;
    }

    /// <summary>Decodes and requires a dictionary at the top level.</summary>
    public static BDictionary DecodeDictionary(ReadOnlyMemory<byte> data, BencodeOptions? options = null) =>
        Decode(data, options) as BDictionary
        ?? throw new BencodeException("expected a dictionary at the top level", 0);

    private static BValue ReadValue(ref BencodeReader reader, ReadOnlyMemory<byte> data, int depth, State state)
    {
        if (++state.Elements > reader.Options.MaxElements)
            throw new BencodeException($"more than {reader.Options.MaxElements} values (the limit)", reader.Position, isLimit: true);
        var start = reader.Position;
        BValue value;
        switch (reader.Peek())
        {
            case BencodeToken.Integer:
                value = new BInteger(reader.ReadInteger());
                break;
            case BencodeToken.String:
                var length = reader.ReadString().Length;
                value = new BString(data.Slice(reader.Position - length, length));
                break;
            case BencodeToken.ListStart:
                reader.CheckDepth(depth);
                reader.ReadListStart();
                var items = new List<BValue>();
                while (reader.PeekInContainer("list") != BencodeToken.End)
                    items.Add(ReadValue(ref reader, data, depth + 1, state));
                reader.ReadEnd();
                value = new BList(items);
                break;
            case BencodeToken.DictionaryStart:
                reader.CheckDepth(depth);
                reader.ReadDictionaryStart();
                value = ReadDictionaryBody(ref reader, data, depth, state);
                break;
            case BencodeToken.End:
                throw new BencodeException("expected a value, got 'e'", start);
            default:
                throw new BencodeException("unexpected end of input: expected a value", start);
        }
        value.Offset = start;
        value.Raw = data[start..reader.Position];
        return value;
    }

    private static BDictionary ReadDictionaryBody(ref BencodeReader reader, ReadOnlyMemory<byte> data, int depth, State state)
    {
        var entries = new List<KeyValuePair<byte[], BValue>>();
        HashSet<byte[]>? seen = null; // only built once keys arrive out of order (lenient mode)
        while (reader.PeekInContainer("dictionary") != BencodeToken.End)
        {
            var keyOffset = reader.Position;
            var key = state.Key(reader.ReadKey());
            if (entries.Count > 0)
            {
                // BEP 3: "Keys must be strings and appear in sorted order (sorted as raw strings, not alphanumerics)."
                var order = key.AsSpan().SequenceCompareTo(entries[^1].Key);
                if (order == 0 || seen?.Contains(key) == true)
                    throw new BencodeException($"duplicate dictionary key '{BencodeReader.KeyText(key)}'", keyOffset);
                if (order < 0)
                {
                    if (!reader.Options.AllowUnsortedKeys)
                        throw new BencodeException($"dictionary key '{BencodeReader.KeyText(key)}' is not in sorted order", keyOffset);
                    if (seen is null)
                    {
                        seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
                        foreach (var entry in entries) seen.Add(entry.Key);
                        if (seen.Contains(key))
                            throw new BencodeException($"duplicate dictionary key '{BencodeReader.KeyText(key)}'", keyOffset);
                    }
                }
            }
            seen?.Add(key);
            if (reader.Peek() is BencodeToken.None or BencodeToken.End)
                throw new BencodeException($"expected a value for dictionary key '{BencodeReader.KeyText(key)}'", reader.Position);
            entries.Add(new(key, ReadValue(ref reader, data, depth + 1, state)));
        }
        reader.ReadEnd();
        return new BDictionary(entries);
    }

    /// <summary>What one decode call tracks: the value count (a limit) and recently seen keys.</summary>
    /// <remarks>A torrent repeats the same few keys ("length", "path") thousands of times; sharing one array per
    /// key text instead of one per occurrence cuts the decoder's allocations by about a tenth on large torrents.
    /// Decoded dictionaries therefore may share key arrays: treat <see cref="BDictionary.Entries"/> keys as read-only.</remarks>
    private sealed class State
    {
        public int Elements;
        private readonly byte[]?[] _keys = new byte[]?[64];

        public byte[] Key(ReadOnlySpan<byte> key)
        {
            if (key.Length is 0 or > 32) return key.ToArray();
            var slot = (key.Length * 31 + key[0] * 7 + key[^1]) & (_keys.Length - 1);
            if (_keys[slot] is { } cached && key.SequenceEqual(cached)) return cached;
            return _keys[slot] = key.ToArray();
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
