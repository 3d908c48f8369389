using System.Text;

namespace TorrentLab.Bencode;

/// <summary>A bencode dictionary: <c>d&lt;key&gt;&lt;value&gt;...e</c>, byte-string keys in the order they were read.</summary>
/// <remarks>BEP 3: "Keys must be strings and appear in sorted order (sorted as raw strings, not alphanumerics)."
/// The strict decoder enforces that; <see cref="BencodeWriter"/> always writes keys sorted.</remarks>
public sealed class BDictionary : BValue
{
    private readonly List<KeyValuePair<byte[], BValue>> _entries;

    public BDictionary() => _entries = [];

    internal BDictionary(List<KeyValuePair<byte[], BValue>> entries) => _entries = entries;

    /// <summary>The entries in the order they were decoded or added.</summary>
    public IReadOnlyList<KeyValuePair<byte[], BValue>> Entries => _entries;

    public int Count => _entries.Count;

    /// <summary>Adds or replaces the value of a key given as UTF-8 text.</summary>
    public BDictionary Set(string key, BValue value) => Set(Encoding.UTF8.GetBytes(key), value);

    /// <summary>Adds or replaces the value of a key given as raw bytes.</summary>
    public BDictionary Set(byte[] key, BValue value)
    {
        var index = IndexOf(key);
        if (index >= 0) _entries[index] = new(key, value);
        else _entries.Add(new(key, value));
        return this;
    }

    /// <summary>The value for a UTF-8 key, or null when absent.</summary>
    public BValue? this[string key] => TryGet(key, out var value) ? value : null;

    public bool TryGet(string key, out BValue value)
    {
        // Keys are short ("length", "piece length"): encode on the stack, no allocation per lookup.
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> bytes = max <= 256 ? stackalloc byte[max] : new byte[max];
        return TryGet(bytes[..Encoding.UTF8.GetBytes(key, bytes)], out value);
    }

    public bool TryGet(ReadOnlySpan<byte> key, out BValue value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? _entries[index].Value : null!;
        return index >= 0;
    }

    public bool ContainsKey(string key) => TryGet(key, out _);

    private int IndexOf(ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < _entries.Count; i++)
            if (key.SequenceEqual(_entries[i].Key)) return i;
        return -1;
    }
}
