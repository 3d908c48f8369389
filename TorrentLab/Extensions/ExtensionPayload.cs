using TorrentLab.Bencode;

namespace TorrentLab.Extensions;

/// <summary>The bencoded dictionary every BEP 10 extension message carries.</summary>
internal static class ExtensionPayload
{
    /// <summary>Decodes <paramref name="payload"/> as a dictionary (leniently: peers' encoders vary).</summary>
    /// <param name="payload">The extended message's payload, after the extension id.</param>
    /// <param name="message">The message's name for errors ("ut_pex", "extension handshake").</param>
    /// <exception cref="ExtensionException">Not bencode, or not a dictionary.</exception>
    public static BDictionary Dictionary(ReadOnlyMemory<byte> payload, string message)
    {
        try
        {
            return BencodeDecoder.Decode(payload, BencodeOptions.Lenient) as BDictionary
                ?? throw new ExtensionException($"{message}: expected a bencoded dictionary");
        }
        catch (BencodeException e)
        {
            throw new ExtensionException($"{message}: {e.Message}", e);
        }
    }
}
