using TorrentLab.Bencode;

namespace TorrentLab.Web;

/// <summary>Typed reads of a bencoded resume file's top-level dictionary: a key absent reads as null, a key of the wrong
/// type is an <see cref="ImportException"/> naming the file and the key.</summary>
internal sealed class ResumeFields
{
    private readonly BDictionary _root;
    private readonly string _source;

    private ResumeFields(BDictionary root, string source) => (_root, _source) = (root, source);

    /// <exception cref="ImportException">Not a bencoded dictionary (the message has the byte offset).</exception>
    public static ResumeFields Decode(byte[] bytes, string source)
    {
        try
        {
            return new(BencodeDecoder.DecodeDictionary(bytes, BencodeOptions.Lenient), source);
        }
        catch (BencodeException e)
        {
            throw new ImportException($"{Path.GetFileName(source)}: not a bencoded resume file ({e.Message})");
        }
    }

    public bool Has(string key) => _root.ContainsKey(key);

    public long? Integer(string key) => Get<BInteger>(_root, key, "an integer")?.Value;

    public string? Text(string key) => Get<BString>(_root, key, "a string")?.Text;

    public byte[]? Bytes(string key) => Get<BString>(_root, key, "a string")?.Bytes.ToArray();

    /// <summary>A dictionary's fields, read the same way.</summary>
    public ResumeFields? Dictionary(string key) => Get<BDictionary>(_root, key, "a dictionary") is { } inner ? new(inner, _source) : null;

    public IReadOnlyList<long>? Integers(string key) =>
        Get<BList>(_root, key, "a list") is { } list ? [.. list.Items.Select(item => (item as BInteger)?.Value ?? throw Wrong(key, "a list of integers"))] : null;

    public IReadOnlyList<string> Texts(string key) =>
        Get<BList>(_root, key, "a list") is { } list ? [.. list.Items.Select(item => (item as BString)?.Text ?? throw Wrong(key, "a list of strings"))] : [];

    private T? Get<T>(BDictionary dictionary, string key, string expected) where T : BValue =>
        !dictionary.TryGet(key, out var value) ? null : value as T ?? throw Wrong(key, expected);

    private ImportException Wrong(string key, string expected) =>
        new($"{Path.GetFileName(_source)}: '{key}' is not {expected}");
}
