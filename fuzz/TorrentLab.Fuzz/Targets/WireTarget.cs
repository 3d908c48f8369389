using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A peer's byte stream (BEP 3, 6, 10, 52): a handshake, then length-prefixed messages, read as a connection
/// reads them, message after message until one is incomplete; BEP 52 hash messages are decoded too. Either that, or
/// a <see cref="WireException"/>.</summary>
/// <remarks>What must hold: a message is never said to consume more bytes than were there, or none.</remarks>
internal static class WireTarget
{
    public static FuzzTarget Target { get; } = new("wire", "a handshake and a stream of peer wire messages", Run, Seeds);

    private static void Run(byte[] input)
    {
        try { Handshake.TryRead(input, out _); }
        catch (WireException) { }
        foreach (var pieceCount in new[] { 10, -1 })   // a torrent of 10 pieces, and a magnet link's (count unknown)
        {
            var rest = (ReadOnlyMemory<byte>)input;
            try
            {
                while (MessageReader.TryRead(rest, pieceCount, WireLimits.BlockLength, out var message, out var consumed))
                {
                    if (consumed <= 0 || consumed > rest.Length)
                        throw new InvalidOperationException($"a message consumed {consumed} of {rest.Length} bytes");
                    rest = rest[consumed..];
                    if (message.Kind is MessageKind.Hashes or MessageKind.HashReject) _ = HashMessages.DecodeHashes(message.Payload).Request.Problem(1000);
                    if (message.Kind == MessageKind.HashRequest) _ = HashMessages.DecodeRequest(message.Payload).Problem(1000);
                }
            }
            catch (WireException) { }
        }
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var pieces = new Bitfield(10);
        pieces.Set(0);
        pieces.Set(9);
        PeerMessage[] messages =
        [
            PeerMessage.BitfieldOf(pieces), PeerMessage.Unchoke, PeerMessage.Interested, PeerMessage.Have(3),
            PeerMessage.Request(2, 16384, 16384), PeerMessage.Piece(2, 0, new byte[64]), PeerMessage.Cancel(2, 16384, 16384),
            PeerMessage.Choke, PeerMessage.NotInterested, PeerMessage.KeepAlive, PeerMessage.PortOf(6881),
            PeerMessage.HaveAll, PeerMessage.HaveNone, PeerMessage.Suggest(4), PeerMessage.Reject(2, 16384, 16384), PeerMessage.AllowedFast(5),
            PeerMessage.Extended(0, "d1:md11:ut_metadatai1eee"u8.ToArray()),
        ];
        var stream = messages.SelectMany(m => MessageWriter.ToBytes(m)).ToArray();
        var handshake = new Handshake(new InfoHash(new byte[20]), new PeerId(new byte[20]), Handshake.ExtensionProtocolBit).ToBytes();
        var request = new HashRequest(new byte[32], 0, 0, 2, 1);
        yield return ("messages", stream);
        yield return ("handshake", handshake);
        yield return ("handshake-then-messages", [.. handshake, .. stream]);
        yield return ("full-block", MessageWriter.ToBytes(PeerMessage.Piece(9, 0, new byte[16384])));
        yield return ("hash-messages", [.. HashMessages.EncodeRequest(request), .. HashMessages.EncodeHashes(request, new byte[96]), .. HashMessages.EncodeReject(request)]);
    }
}
