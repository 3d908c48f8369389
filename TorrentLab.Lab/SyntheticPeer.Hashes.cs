using TorrentLab.Merkle;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

public sealed partial class SyntheticPeer
{
    // ForgedLayer: the tree over the piece hashes of its corrupt pieces (built once, on the first hash request).
    private byte[][]? _forgedTree;

    /// <summary>Answers a BEP 52 hash request: honestly from the torrent's layer; with <see cref="SyntheticPeerOptions.LateHashes"/>
    /// a reject until the late piece arrives; with <see cref="SyntheticBehaviour.ForgedLayer"/> from a forged layer that
    /// matches its corrupt pieces and not the pieces root.</summary>
    private async Task AnswerHashRequestAsync(PeerConnection connection, PeerMessage message, int number, CancellationToken ct)
    {
        PeerMessage answer;
        var note = "";
        if (_options.LateHashes && !_acquired)
        {
            // BEP 52: "Hash requests MUST be answered with either a 'hashes' or 'hash reject' message."
            answer = HashMessage(MessageKind.HashReject, HashMessages.EncodeReject(HashMessages.DecodeRequest(message.Payload)));
            note = " " + PeerLog.NoLayerYet;
        }
        else if (_options.Behaviour == SyntheticBehaviour.ForgedLayer && Forged(message) is { } forged)
        {
            answer = forged;
            note = " " + PeerLog.ForgedLayerSent;
        }
        else
        {
            answer = _hashes!.Answer(message);
        }
        // Logged before sending: whoever receives the answer may look for this line as soon as it arrives.
        Write($"connection {number}: {PeerLog.HashRequestAnswered} with {answer.Kind}{note}");
        await connection.SendAsync(answer, ct).ConfigureAwait(false);
    }

    /// <summary>The forged answer to a request for a piece layer, or null for a request the honest tree would reject too.</summary>
    private PeerMessage? Forged(in PeerMessage message)
    {
        var asked = HashMessages.DecodeRequest(message.Payload);
        var torrent = _options.V2Torrent!;
        var file = new Pieces.PieceCheck(torrent).FileOf(asked.PiecesRoot.Span);
        if (file < 0 || asked.BaseLayer != Pieces.HashExchange.PieceLayerIndex(_options.PieceLength)) return null;
        _forgedTree ??= ForgeTree(torrent.Files[file]);
        var hashes = MerkleLayers.Answer(_forgedTree, asked.Index, asked.Length, asked.ProofLayers);
        return hashes is null ? null : HashMessage(MessageKind.Hashes, HashMessages.EncodeHashes(asked, hashes));
    }

    /// <summary>The piece layer of a file's pieces as this peer serves them (each with its first byte flipped), as a tree.
    /// The lab's v2 torrents hold one file; a peer forges the layer of the first file it is asked about.</summary>
    private byte[][] ForgeTree(Metainfo.TorrentFile file)
    {
        var pieces = (int)((file.Length + _options.PieceLength - 1) / _options.PieceLength);
        var layer = new byte[pieces * MerkleTree.HashSize];
        for (var i = 0; i < pieces; i++)
        {
            var piece = new byte[(int)Math.Min(_options.PieceLength, file.Length - (long)i * _options.PieceLength)];
            _options.Payload(file.Offset + (long)i * _options.PieceLength, piece);
            piece[0] ^= 0xFF;
            MerkleTree.PieceRoot(piece, _options.PieceLength).CopyTo(layer, i * MerkleTree.HashSize);
        }
        return MerkleLayers.Tree(layer, MerkleTree.PadHash(MerkleTree.BlocksPerPiece(_options.PieceLength)));
    }

    private static PeerMessage HashMessage(MessageKind kind, byte[] encoded) =>
        PeerMessage.HashMessage(kind, encoded.AsMemory(WireLimits.LengthPrefix + 1));
}
