namespace TorrentLab.Bencode;

/// <summary>A decoded bencode value (BEP 3): a byte string, an integer, a list or a dictionary.</summary>
/// <remarks>A value decoded from input keeps <see cref="Raw"/>, the exact bytes it was decoded from; the info hash
/// is computed over those bytes, never over a re-encoding.</remarks>
public abstract class BValue
{
    /// <summary>The exact encoded bytes this value was decoded from; empty for values built in code.</summary>
    public ReadOnlyMemory<byte> Raw { get; internal set; }

    /// <summary>Where <see cref="Raw"/> starts in the decoded input (0 for values built in code).</summary>
    public long Offset { get; internal set; }
}

/// <summary>A bencode byte string: <c>&lt;length&gt;:&lt;bytes&gt;</c>. Often UTF-8 text, but not always (piece hashes).</summary>
public sealed class BString : BValue
{
    public BString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;
    public BString(string text) => Bytes = System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>The raw bytes of the string, not including the length prefix.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The bytes read as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Bytes.Span);

    public override string ToString() => Text;
}

/// <summary>A bencode integer: <c>i&lt;decimal&gt;e</c>, a signed 64-bit value.</summary>
public sealed class BInteger(long value) : BValue
{
    public long Value { get; } = value;
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A bencode list: <c>l&lt;values&gt;e</c>.</summary>
public sealed class BList(IReadOnlyList<BValue> items) : BValue
{
    public IReadOnlyList<BValue> Items { get; } = items;
}
