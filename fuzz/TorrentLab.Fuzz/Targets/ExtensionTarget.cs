using System.Net;
using TorrentLab.Extensions;

namespace TorrentLab.Fuzz.Targets;

/// <summary>The payload of a BEP 10 extension message, read as each of the three we speak: the extension handshake,
/// ut_metadata (BEP 9) and ut_pex (BEP 11). Either parsed, or an <see cref="ExtensionException"/>.</summary>
/// <remarks>What must hold: what we parsed, we can send on: its encoding parses again to the same peers and ids.</remarks>
internal static class ExtensionTarget
{
    public static FuzzTarget Target { get; } = new("extension", "a BEP 10 handshake, ut_metadata or ut_pex payload", Run, Seeds);

    private static void Run(byte[] input)
    {
        try
        {
            var handshake = ExtensionHandshake.Decode(input);
            var again = ExtensionHandshake.Decode(handshake.Encode());
            if (!again.Messages.OrderBy(m => m.Key, StringComparer.Ordinal).SequenceEqual(handshake.Messages.OrderBy(m => m.Key, StringComparer.Ordinal)))
                throw new InvalidOperationException("the extension handshake's message ids changed in a round trip");
        }
        catch (ExtensionException) { }
        try
        {
            var metadata = MetadataMessage.Decode(input);
            if (metadata.Piece < 0) throw new InvalidOperationException($"ut_metadata piece {metadata.Piece}");
            MetadataMessage.Decode(metadata.Encode());
        }
        catch (ExtensionException) { }
        try
        {
            var pex = PexMessage.Decode(input);
            var again = PexMessage.Decode(pex.Encode());
            if (again.Added.Count != pex.Added.Count || again.Dropped.Count != pex.Dropped.Count)
                throw new InvalidOperationException($"ut_pex of {pex.Added.Count} added and {pex.Dropped.Count} dropped came back as {again.Added.Count} and {again.Dropped.Count}");
        }
        catch (ExtensionException) { }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("handshake", ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 6881), 6881, 31_235, pex: true).Encode());
        yield return ("handshake-libtorrent", "d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e11:upload_onlyi1e1:v17:libtorrent/2.0.8.06:yourip4:\u007f\0\0\u0001e"u8.ToArray());
        yield return ("metadata-request", MetadataMessage.Request(1).Encode());
        yield return ("metadata-reject", MetadataMessage.Reject(0).Encode());
        yield return ("metadata-data", MetadataMessage.DataOf(0, 20, "d4:name4:test3:keyi1ee"u8.ToArray()).Encode());
        yield return ("pex", new PexMessage
        {
            Added = [new PexPeer(new IPEndPoint(IPAddress.Loopback, 6881), PexFlags.None), new PexPeer(IPEndPoint.Parse("[::1]:6882"))],
            Dropped = [new IPEndPoint(IPAddress.Parse("127.0.0.2"), 51413)],
        }.Encode());
    }
}
