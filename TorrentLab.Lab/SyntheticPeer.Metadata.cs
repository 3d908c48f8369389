using TorrentLab.Extensions;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

public sealed partial class SyntheticPeer
{
    /// <summary>With <see cref="SyntheticPeerOptions.ServeMetadata"/> and a downloader that set the BEP 10 bit: sends our
    /// extension handshake (ut_metadata on <see cref="SyntheticPeerOptions.MetadataExtensionId"/>, the metadata size)
    /// and returns the channel; null otherwise.</summary>
    private async Task<ExtensionChannel?> StartExtensionsAsync(PeerConnection connection, int number, CancellationToken ct)
    {
        if (_metadata is null) return null;
        if (!connection.ExtensionsAgreed)
        {
            Write($"connection {number}: handshake {PeerLog.NoExtensionBit} (reserved byte 5 & 0x10): no extension handshake sent");
            return null;
        }
        if (_options.ExtensionHandshakeDelay > TimeSpan.Zero) await Task.Delay(_options.ExtensionHandshakeDelay, _time, ct).ConfigureAwait(false);
        var ours = new ExtensionHandshake
        {
            Messages = new Dictionary<string, byte> { [ExtensionRegistry.UtMetadata.Name] = _options.MetadataExtensionId },
            MetadataSize = _options.AnnouncedMetadataSize ?? _metadata.MetadataSize,
            Client = "TorrentLab synthetic peer",
            RequestQueue = ExtensionIds.RequestQueue,
            YourIp = connection.RemoteEndPoint.Address,
        };
        var channel = new ExtensionChannel(connection, ours);
        await channel.SendHandshakeAsync(ct).ConfigureAwait(false);
        Write($"connection {number}: sent {ours}");
        return channel;
    }

    /// <summary>Answers a ut_metadata request (BEP 9) as the behaviour says: the piece, a corrupted piece, or a reject.</summary>
    private async Task AnswerExtendedAsync(ExtensionChannel channel, PeerMessage message, int number, CancellationToken ct)
    {
        var name = channel.Route(message);
        if (name == "handshake") Write($"connection {number}: received {channel.Theirs}");   // PeerLog.ReceivedExtensionHandshake
        if (name is null)
        {
            // BEP 10: the id of a message is the one its RECEIVER chose; this one is not ours, so it is ignored.
            Write($"connection {number}: received extended message with id {message.ExtendedId}, {PeerLog.UnassignedId} " +
                $"(we receive ut_metadata on {_options.MetadataExtensionId})");
        }
        if (name != ExtensionRegistry.UtMetadata.Name) return;   // the handshake (already applied) or an id we never gave
        var request = MetadataMessage.Decode(message.Payload);
        // BEP 9: "Peers that do not have the entire metadata MUST respond with a reject message to any metadata request."
        var without = _options.Behaviour == SyntheticBehaviour.RejectMetadata || (_options.LateMetadata && !_acquired);
        var answer = without ? MetadataServer.AnswerWithout(request) : _metadata!.Answer(request);
        if (answer is not { } reply) return;
        if (_options.Behaviour == SyntheticBehaviour.CorruptMetadata && reply.Type == MetadataMessageType.Data)
        {
            // The second-to-last byte: inside the 'pieces' hashes (the info dictionary's last key), so the metadata still
            // decodes and only its hash check shows the damage, as a trusting downloader must learn.
            var bad = reply.Data.ToArray();
            bad[Math.Max(0, bad.Length - 2)] ^= 0xFF;
            reply = reply with { Data = bad };
        }
        if (!channel.PeerSupports(ExtensionRegistry.UtMetadata.Name))
        {
            Write($"connection {number}: cannot answer {request}: the downloader announced no ut_metadata id");
            return;
        }
        // Logged before sending: whoever receives the answer may look for this line as soon as it arrives.
        var note = _options.Behaviour == SyntheticBehaviour.CorruptMetadata && reply.Type == MetadataMessageType.Data ? " " + PeerLog.MetadataCorrupted
            : without && _options.LateMetadata ? " " + PeerLog.NoMetadataYet : "";
        Write($"connection {number}: answered {request} with {reply}{note}");
        await channel.SendAsync(ExtensionRegistry.UtMetadata.Name, reply.Encode(), ct).ConfigureAwait(false);
    }
}
