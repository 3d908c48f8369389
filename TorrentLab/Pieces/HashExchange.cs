using System.Numerics;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>What a <c>hashes</c> message did to the layers being fetched.</summary>
internal enum HashesOutcome
{
    /// <summary>Not an answer to a request of ours (or a layer we already have): nothing changed.</summary>
    Ignored,

    /// <summary>One run of a layer arrived; more runs of it are still to come.</summary>
    Partial,

    /// <summary>The last run arrived and the layer hashes up to its file's pieces root: that file's pieces can be verified now.</summary>
    Learned,

    /// <summary>The last run arrived and the layer does not hash up to the file's pieces root: the peer lied.</summary>
    Wrong,
}

/// <summary>BEP 52's hash messages on one connection, both ways: asking a v2 peer for the piece layers a torrent lacks
/// (a magnet link's metadata carries none), and answering its hash requests from the layers we know. Used by the swarm
/// peer, the reference story and the lab's synthetic peers; not thread-safe (one connection's receive loop).</summary>
/// <remarks>
/// A layer is asked for whole, in runs of at most 512 hashes (BEP 52's limit) with no proof layers, and checked against
/// the file's root once every run has arrived (<see cref="PieceCheck.TryAddLayer"/>): a peer cannot slip in one
/// wrong hash, and no uncle hashes are needed.
/// </remarks>
internal sealed class HashExchange(Torrent torrent, PieceCheck check)
{
    private readonly Dictionary<int, (byte[] Layer, HashSet<int> Pending)> _fetches = []; // file index -> its layer so far

    /// <summary>True while a layer asked of this peer has not fully arrived.</summary>
    public bool Waiting => _fetches.Count > 0;

    /// <summary>True for a peer that set BEP 52's upgrade bit or handshook with the truncated v2 hash (libtorrent 2.0
    /// answers a v2 handshake without the bit).</summary>
    public static bool SpeaksV2(Handshake theirs, Torrent torrent) =>
        theirs.SupportsV2 || (torrent.InfoHashV2 is { } v2 && theirs.InfoHash == v2.Truncated);

    /// <summary>The layer of piece hashes counted up from the leaves: log2(piece length / 16 KiB).</summary>
    public static int PieceLayerIndex(int pieceLength) => BitOperations.Log2((uint)MerkleTree.BlocksPerPiece(pieceLength));

    /// <summary>The <c>hash request</c> messages for every piece layer still missing and not yet asked of this peer.</summary>
    public List<PeerMessage> RequestMissing()
    {
        var messages = new List<PeerMessage>();
        foreach (var f in check.MissingLayers)
        {
            if (_fetches.ContainsKey(f)) continue;
            var pieces = check.PieceCountOf(f);
            var length = Math.Min((int)BitOperations.RoundUpToPowerOf2((uint)pieces), HashMessages.MaxLength);
            var pending = new HashSet<int>();
            for (var index = 0; index < pieces; index += length)
            {
                pending.Add(index);
                messages.Add(Message(MessageKind.HashRequest, HashMessages.EncodeRequest(
                    new HashRequest(torrent.Files[f].PiecesRoot, PieceLayerIndex(torrent.PieceLength), index, length, ProofLayers: 0))));
            }
            _fetches[f] = (new byte[pieces * MerkleTree.HashSize], pending);
        }
        return messages;
    }

    /// <summary>The answer to a <c>hash request</c>: <c>hashes</c> from a piece layer we know, else <c>hash reject</c>.</summary>
    /// <exception cref="WireException">The request's body is not 48 bytes.</exception>
    public PeerMessage Answer(in PeerMessage request)
    {
        var asked = HashMessages.DecodeRequest(request.Payload);
        var file = check.FileOf(asked.PiecesRoot.Span);
        var tree = file < 0 || asked.BaseLayer != PieceLayerIndex(torrent.PieceLength) ? null : check.TreeOf(file);
        var hashes = tree is not null && asked.Problem(tree[0].Length / MerkleTree.HashSize) is null
            ? MerkleLayers.Answer(tree, asked.Index, asked.Length, asked.ProofLayers)
            : null;
        // BEP 52: "Hash requests MUST be answered with either a 'hashes' or 'hash reject' message."
        return hashes is null
            ? Message(MessageKind.HashReject, HashMessages.EncodeReject(asked))
            : Message(MessageKind.Hashes, HashMessages.EncodeHashes(asked, hashes));
    }

    /// <summary>Takes a <c>hashes</c> message: its run goes into the file's layer; the last run settles the layer.</summary>
    /// <param name="message">The message.</param>
    /// <param name="file">The file whose layer was settled (with <see cref="HashesOutcome.Learned"/> or <see cref="HashesOutcome.Wrong"/>).</param>
    /// <exception cref="WireException">The message's body is malformed.</exception>
    public HashesOutcome OnHashes(in PeerMessage message, out int file)
    {
        var (request, hashes) = HashMessages.DecodeHashes(message.Payload);
        file = check.FileOf(request.PiecesRoot.Span);
        if (file < 0 || request.BaseLayer != PieceLayerIndex(torrent.PieceLength) || !_fetches.TryGetValue(file, out var fetch)
            || !fetch.Pending.Contains(request.Index)
            || hashes.Length < Math.Min(request.Length, fetch.Layer.Length / MerkleTree.HashSize - request.Index) * MerkleTree.HashSize)
            return HashesOutcome.Ignored;
        fetch.Pending.Remove(request.Index);
        var start = request.Index * MerkleTree.HashSize;
        var take = Math.Min(fetch.Layer.Length - start, request.Length * MerkleTree.HashSize);
        hashes.Span[..take].CopyTo(fetch.Layer.AsSpan(start));
        if (fetch.Pending.Count > 0) return HashesOutcome.Partial;
        _fetches.Remove(file);
        if (!check.LayerOf(file).IsEmpty) return HashesOutcome.Ignored; // another peer's layer came first
        return check.TryAddLayer(file, fetch.Layer) ? HashesOutcome.Learned : HashesOutcome.Wrong;
    }

    /// <summary>Takes a <c>hash reject</c>: the peer has not got that layer, so it is no longer awaited from this peer.</summary>
    /// <exception cref="WireException">The message's body is not 48 bytes.</exception>
    public void OnReject(in PeerMessage message)
    {
        var request = HashMessages.DecodeRequest(message.Payload);
        var file = check.FileOf(request.PiecesRoot.Span);
        if (file >= 0 && _fetches.TryGetValue(file, out var fetch) && fetch.Pending.Contains(request.Index)) _fetches.Remove(file);
    }

    private static PeerMessage Message(MessageKind kind, byte[] encoded) =>
        PeerMessage.HashMessage(kind, encoded.AsMemory(WireLimits.LengthPrefix + 1));
}
