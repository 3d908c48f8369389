namespace TorrentLab.Bencode;

/// <summary>What the next byte of bencode input starts.</summary>
public enum BencodeToken
{
    /// <summary>No more input.</summary>
    None,
    /// <summary><c>i</c>: an integer.</summary>
    Integer,
    /// <summary>A digit: the length prefix of a byte string.</summary>
    String,
    /// <summary><c>l</c>: a list.</summary>
    ListStart,
    /// <summary><c>d</c>: a dictionary.</summary>
    DictionaryStart,
    /// <summary><c>e</c>: the end of the current list or dictionary.</summary>
    End,
}
