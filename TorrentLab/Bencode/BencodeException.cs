namespace TorrentLab.Bencode;

/// <summary>Bytes that break the bencode format (BEP 3), with the byte offset where it was noticed.</summary>
public sealed class BencodeException : TorrentLabException
{
    public BencodeException(string message, long offset, bool isLimit = false)
        : base($"{message} at byte {offset}") => (Offset, IsLimit) = (offset, isLimit);

    /// <summary>The byte offset into the input where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>The input may be valid bencode but exceeds one of <see cref="BencodeOptions"/>' limits (values,
    /// nesting): it is refused to bound memory and stack, not because it is malformed.</summary>
    public bool IsLimit { get; }
}
