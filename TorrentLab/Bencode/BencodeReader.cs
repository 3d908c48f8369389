using System.Text;

namespace TorrentLab.Bencode;

/// <summary>A forward-only reader of bencode (BEP 3) over bytes. Every read peeks first and advances only on
/// success, so a read that throws leaves <see cref="Position"/> where it was.</summary>
/// <remarks>
/// <code>
/// integer     i&lt;decimal, no leading zeros, no -0&gt;e       i42e  i-7e  i0e
/// byte string &lt;length, no leading zeros&gt;:&lt;bytes&gt;          4:spam  0:
/// list        l&lt;value&gt;*e                                   l4:spami42ee
/// dictionary  d(&lt;byte string key&gt;&lt;value&gt;)*e, keys sorted  d3:cow3:mooe
/// </code>
/// </remarks>
public ref struct BencodeReader
{
    private readonly ReadOnlySpan<byte> _data;

    public BencodeReader(ReadOnlySpan<byte> data, BencodeOptions? options = null)
    {
        _data = data;
        Options = options ?? BencodeOptions.Strict;
    }

    public BencodeOptions Options { get; }

    /// <summary>The offset of the next byte to read.</summary>
    public int Position { get; private set; }

    /// <summary>How many bytes are left after <see cref="Position"/>.</summary>
    public readonly int Remaining => _data.Length - Position;

    /// <summary>What the next value is, without consuming anything.</summary>
    public readonly BencodeToken Peek()
    {
        if (Position >= _data.Length) return BencodeToken.None;
        return _data[Position] switch
        {
            (byte)'i' => BencodeToken.Integer,
            >= (byte)'0' and <= (byte)'9' => BencodeToken.String,
            (byte)'l' => BencodeToken.ListStart,
            (byte)'d' => BencodeToken.DictionaryStart,
            (byte)'e' => BencodeToken.End,
            var b => throw Error($"expected a value (i, l, d or a digit), got {Describe(b)}", Position),
        };
    }

    /// <summary>Reads <c>i&lt;n&gt;e</c>; rejects empty, <c>-0</c>, leading zeros and values outside 64 bits.</summary>
    public long ReadInteger()
    {
        var p = Position;
        Expect((byte)'i', p, "integer");
        p++;
        var negative = p < _data.Length && _data[p] == '-';
        if (negative) p++;
        var digitsStart = p;
        ulong magnitude = 0;
        while (p < _data.Length && IsDigit(_data[p]))
        {
            // 20 digits can exceed ulong; check before multiplying.
            if (magnitude > (ulong.MaxValue - 9) / 10) throw Error("integer does not fit in 64 bits", digitsStart);
            magnitude = magnitude * 10 + (ulong)(_data[p] - '0');
            p++;
        }
        var digits = p - digitsStart;
        if (digits == 0) throw Error(p < _data.Length ? $"expected a digit in integer, got {Describe(_data[p])}" : "unexpected end of input in integer", p);
        if (digits > 1 && _data[digitsStart] == '0') throw Error("leading zero in integer", digitsStart);
        if (negative && magnitude == 0) throw Error("negative zero is not a valid integer", digitsStart - 1);
        if (p >= _data.Length) throw Error("unexpected end of input: expected 'e' after integer", p);
        if (_data[p] != 'e') throw Error($"expected 'e' after integer, got {Describe(_data[p])}", p);
        long value;
        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1) throw Error("integer does not fit in 64 bits", digitsStart);
            value = magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude;
        }
        else
        {
            if (magnitude > long.MaxValue) throw Error("integer does not fit in 64 bits", digitsStart);
            value = (long)magnitude;
        }
        Position = p + 1;
        return value;
    }

    /// <summary>Reads <c>&lt;length&gt;:&lt;bytes&gt;</c> and returns the bytes; the length is checked against what
    /// remains before anything is sliced.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        var (start, length) = PeekString();
        Position = start + length;
        return _data.Slice(start, length);
    }

    /// <summary>Reads <c>l</c>.</summary>
    public void ReadListStart() { Expect((byte)'l', Position, "list"); Position++; }

    /// <summary>Reads <c>d</c>.</summary>
    public void ReadDictionaryStart() { Expect((byte)'d', Position, "dictionary"); Position++; }

    /// <summary>Reads the <c>e</c> that closes a list or dictionary.</summary>
    public void ReadEnd() { Expect((byte)'e', Position, "end"); Position++; }

    /// <summary>Skips one whole value and returns its exact encoded bytes (what an info hash is computed over).</summary>
    public ReadOnlySpan<byte> ReadEncodedValue()
    {
        var start = Position;
        var copy = this;
        var elements = 0;
        copy.SkipValue(0, ref elements);
        Position = copy.Position;
        return _data[start..Position];
    }

    private void SkipValue(int depth, ref int elements)
    {
        if (++elements > Options.MaxElements)
            throw new BencodeException($"more than {Options.MaxElements} values (the limit)", Position, isLimit: true);
        switch (Peek())
        {
            case BencodeToken.Integer: ReadInteger(); break;
            case BencodeToken.String: ReadString(); break;
            case BencodeToken.ListStart:
                CheckDepth(depth);
                ReadListStart();
                while (PeekInContainer("list") != BencodeToken.End) SkipValue(depth + 1, ref elements);
                ReadEnd();
                break;
            case BencodeToken.DictionaryStart:
                CheckDepth(depth);
                ReadDictionaryStart();
                while (PeekInContainer("dictionary") != BencodeToken.End)
                {
                    ReadKey();
                    SkipValue(depth + 1, ref elements);
                }
                ReadEnd();
                break;
            case BencodeToken.End: throw Error("expected a value, got 'e'", Position);
            default: throw Error("unexpected end of input: expected a value", Position);
        }
    }

    /// <summary>Peeks inside a container, turning end of input into a "missing 'e'" error.</summary>
    internal readonly BencodeToken PeekInContainer(string container)
    {
        var token = Peek();
        if (token == BencodeToken.None) throw Error($"unexpected end of input: {container} is missing its closing 'e'", Position);
        return token;
    }

    /// <summary>Reads a dictionary key, which must be a byte string.</summary>
    internal ReadOnlySpan<byte> ReadKey()
    {
        if (Peek() != BencodeToken.String)
            throw Error($"expected a byte string as dictionary key, got {Describe(_data[Position])}", Position);
        return ReadString();
    }

    internal readonly void CheckDepth(int depth)
    {
        if (depth >= Options.MaxDepth)
            throw new BencodeException($"nesting deeper than {Options.MaxDepth} levels (the limit)", Position, isLimit: true);
    }

    private readonly (int Start, int Length) PeekString()
    {
        var p = Position;
        var digitsStart = p;
        long length = 0;
        while (p < _data.Length && IsDigit(_data[p]))
        {
            length = length * 10 + (_data[p] - '0');
            // Longer than the whole input can never be satisfied; stop before the number itself overflows.
            if (length > _data.Length) throw Error($"string length exceeds the {_data.Length - digitsStart} bytes of input left", digitsStart);
            p++;
        }
        if (p == digitsStart) throw Error(p < _data.Length ? $"expected a string length, got {Describe(_data[p])}" : "unexpected end of input: expected a string", p);
        if (p - digitsStart > 1 && _data[digitsStart] == '0') throw Error("leading zero in string length", digitsStart);
        if (p >= _data.Length) throw Error($"unexpected end of input: expected ':' after string length {length}", p);
        if (_data[p] != ':') throw Error($"expected ':' after string length {length}, got {Describe(_data[p])}", p);
        p++;
        if (length > _data.Length - p) throw Error($"string of {length} bytes but only {_data.Length - p} bytes left", digitsStart);
        return (p, (int)length);
    }

    private readonly void Expect(byte expected, int at, string what)
    {
        if (at >= _data.Length) throw Error($"unexpected end of input: expected '{(char)expected}' ({what})", at);
        if (_data[at] != expected) throw Error($"expected '{(char)expected}' ({what}), got {Describe(_data[at])}", at);
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    internal static string Describe(byte b) =>
        b is >= 0x20 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:x2}";

    internal static BencodeException Error(string message, int offset) => new(message, offset);

    /// <summary>Text of a key for error messages.</summary>
    internal static string KeyText(ReadOnlySpan<byte> key) => Encoding.UTF8.GetString(key);
}
