namespace TorrentLab.Bencode;

/// <summary>Bytes that break the bencode format (BEP 3), with the byte offset where it was noticed.</summary>
public sealed class BencodeException : TorrentLabException
{
    public BencodeException(string message, long offset)
        : base($"{message} at byte {offset}") => Offset = offset;

    /// <summary>The byte offset into the input where the problem was found.</summary>
    public long Offset { get; }
}
