using System.Buffers;
using System.Globalization;
using System.Text;

namespace TorrentLab.Bencode;

/// <summary>Writes canonical bencode (BEP 3): shortest integers and lengths, dictionary keys sorted as raw bytes.</summary>
public sealed class BencodeWriter
{
    private readonly IBufferWriter<byte> _output;

    public BencodeWriter(IBufferWriter<byte> output) => _output = output;

    /// <summary>Encodes a value tree to a new array; the same tree always gives the same bytes.</summary>
    public static byte[] Encode(BValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new BencodeWriter(buffer).Write(value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes any value; dictionaries are written with their keys sorted, whatever order they hold.</summary>
    public void Write(BValue value)
    {
        switch (value)
        {
            case BInteger i: WriteInteger(i.Value); break;
            case BString s: WriteString(s.Bytes.Span); break;
            case BList l:
                WriteRaw("l"u8);
                foreach (var item in l.Items) Write(item);
                WriteRaw("e"u8);
                break;
            case BDictionary d:
                WriteRaw("d"u8);
                var entries = d.Entries.ToArray();
                Array.Sort(entries, static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
                foreach (var (key, item) in entries)
                {
                    WriteString(key);
                    Write(item);
                }
                WriteRaw("e"u8);
                break;
            default: throw new InvalidOperationException($"cannot encode {value.GetType().Name}");
        }
    }

    /// <summary>Writes <c>i&lt;value&gt;e</c>.</summary>
    public void WriteInteger(long value)
    {
        WriteRaw("i"u8);
        WriteAscii(value.ToString(CultureInfo.InvariantCulture));
        WriteRaw("e"u8);
    }

    /// <summary>Writes <c>&lt;length&gt;:&lt;bytes&gt;</c>.</summary>
    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        WriteAscii(bytes.Length.ToString(CultureInfo.InvariantCulture));
        WriteRaw(":"u8);
        WriteRaw(bytes);
    }

    /// <summary>Writes a UTF-8 string.</summary>
    public void WriteString(string text) => WriteString(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes already-encoded bytes as they are (e.g. a raw info dictionary).</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded) => _output.Write(encoded);

    private void WriteAscii(string digits)
    {
        Span<byte> buffer = stackalloc byte[24];
        var n = Encoding.ASCII.GetBytes(digits, buffer);
        _output.Write(buffer[..n]);
    }
}
