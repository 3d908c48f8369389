using System.Numerics;
using TorrentLab.Merkle;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 52's hash messages on this connection: asking a v2 peer for the piece layers our torrent lacks (a magnet
// link's metadata carries none), and answering its hash requests from the layers we know.
internal sealed partial class SwarmPeer
{
    private readonly Dictionary<int, (byte[] Layer, HashSet<int> Pending)> _layerFetches = []; // receive loop only

    /// <summary>Asks the peer, when it speaks v2, for every piece layer still missing: whole runs of the layer, at most
    /// 512 hashes each (BEP 52's limit), checked against the file's root once all have arrived.</summary>
    public void RequestMissingLayers()
    {
        if (!_session.Downloading || !SpeaksV2) return;
        var check = _pieces.Check;
        foreach (var f in check.MissingLayers)
        {
            if (_layerFetches.ContainsKey(f)) continue;
            var pieces = check.PieceCountOf(f);
            var width = (int)BitOperations.RoundUpToPowerOf2((uint)pieces);
            var length = Math.Min(width, HashMessages.MaxLength);
            var pending = new HashSet<int>();
            for (var index = 0; index < pieces; index += length)
            {
                pending.Add(index);
                Enqueue(HashMessage(MessageKind.HashRequest, HashMessages.EncodeRequest(
                    new HashRequest(_session.Torrent.Files[f].PiecesRoot, PieceLayerIndex, index, length, ProofLayers: 0))));
            }
            _layerFetches[f] = (new byte[pieces * MerkleTree.HashSize], pending);
        }
    }

    /// <summary>A <c>hash request</c>: answered with <c>hashes</c> from a piece layer we know, else with <c>hash reject</c>.</summary>
    private void OnHashRequest(in PeerMessage message)
    {
        var request = HashMessages.DecodeRequest(message.Payload);
        var check = _pieces.Check;
        var file = check.FileOf(request.PiecesRoot.Span);
        var layer = file < 0 ? default : check.LayerOf(file);
        byte[]? hashes = null;
        if (!layer.IsEmpty && request.BaseLayer == PieceLayerIndex)
        {
            var width = (long)BitOperations.RoundUpToPowerOf2((uint)check.PieceCountOf(file));
            if (request.Problem(width) is null)
                hashes = MerkleLayers.Answer(layer.Span, MerkleTree.PadHash(MerkleTree.BlocksPerPiece(_session.Torrent.PieceLength)),
                    request.Index, request.Length, request.ProofLayers);
        }
        // BEP 52: "Hash requests MUST be answered with either a 'hashes' or 'hash reject' message."
        Enqueue(hashes is null
            ? HashMessage(MessageKind.HashReject, HashMessages.EncodeReject(request))
            : HashMessage(MessageKind.Hashes, HashMessages.EncodeHashes(request, hashes)));
    }

    /// <summary>A <c>hashes</c> answer to one of our requests: its run goes into the file's layer; the last run makes
    /// the layer, which must lead to the file's pieces root or the peer is dropped.</summary>
    /// <exception cref="PeerViolation">The layer the peer sent does not hash up to the root.</exception>
    private void OnHashes(in PeerMessage message)
    {
        var (request, hashes) = HashMessages.DecodeHashes(message.Payload);
        var file = _pieces.Check.FileOf(request.PiecesRoot.Span);
        if (file < 0 || request.BaseLayer != PieceLayerIndex || !_layerFetches.TryGetValue(file, out var fetch)
            || !fetch.Pending.Contains(request.Index) || hashes.Length < Math.Min(request.Length, fetch.Layer.Length / MerkleTree.HashSize - request.Index) * MerkleTree.HashSize)
            return; // not an answer to a request of ours: ignored
        fetch.Pending.Remove(request.Index);
        var start = request.Index * MerkleTree.HashSize;
        var take = Math.Min(fetch.Layer.Length - start, request.Length * MerkleTree.HashSize);
        hashes.Span[..take].CopyTo(fetch.Layer.AsSpan(start));
        if (fetch.Pending.Count > 0) return;
        _layerFetches.Remove(file);
        if (_pieces.Check.LayerOf(file).IsEmpty && !_pieces.Check.TryAddLayer(file, fetch.Layer))
            throw new PeerViolation($"its piece layer for '{_session.Torrent.Files[file].DisplayPath}' does not hash up to the file's pieces root");
        _session.OnLayerLearned(this, file);
    }

    /// <summary>A <c>hash reject</c>: the peer has not got that layer; another v2 peer will be asked.</summary>
    private void OnHashReject(in PeerMessage message)
    {
        var request = HashMessages.DecodeRequest(message.Payload);
        var file = _pieces.Check.FileOf(request.PiecesRoot.Span);
        if (file >= 0 && _layerFetches.TryGetValue(file, out var fetch) && fetch.Pending.Contains(request.Index))
            _layerFetches.Remove(file);
    }

    /// <summary>True for a peer that set BEP 52's upgrade bit or handshook with the truncated v2 hash (libtorrent 2.0
    /// answers a v2 handshake without the bit).</summary>
    private bool SpeaksV2 => Connection.RemoteHandshake is { } theirs
        && (theirs.SupportsV2 || (_session.Torrent.InfoHashV2 is { } v2 && theirs.InfoHash == v2.Truncated));

    /// <summary>The layer of piece hashes counted up from the leaves: log2(piece length / 16 KiB).</summary>
    private int PieceLayerIndex => BitOperations.Log2((uint)MerkleTree.BlocksPerPiece(_session.Torrent.PieceLength));

    private static PeerMessage HashMessage(MessageKind kind, byte[] encoded) =>
        PeerMessage.HashMessage(kind, encoded.AsMemory(WireLimits.LengthPrefix + 1));
}
