using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TorrentLab.Bencode;

/// <summary>Renders a bencode value as JSON, the classroom <c>decode</c> format: byte strings as JSON strings,
/// integers bare, lists as arrays, dictionaries as objects in key order.</summary>
/// <remarks>Byte strings that are not valid UTF-8 (piece hashes, compact peers) are rendered with each byte as the
/// code point of the same value (Latin-1), so no byte is lost and the output stays valid JSON.</remarks>
public static class BencodeJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Students compare with Python's json.dumps(ensure_ascii=False) style output: keep non-ASCII as is.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The JSON text of a value.</summary>
    public static string ToJson(BValue value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions)) Write(writer, value);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, BValue value)
    {
        switch (value)
        {
            case BInteger i: writer.WriteNumberValue(i.Value); break;
            case BString s: writer.WriteStringValue(Text(s.Bytes.Span)); break;
            case BList l:
                writer.WriteStartArray();
                foreach (var item in l.Items) Write(writer, item);
                writer.WriteEndArray();
                break;
            case BDictionary d:
                writer.WriteStartObject();
                foreach (var (key, item) in d.Entries)
                {
                    writer.WritePropertyName(Text(key));
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static string Text(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(bytes); }
    }
}
