using System.Security.Cryptography;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;

namespace TorrentLab.Pieces;

/// <summary>The one check of a whole piece's bytes (alignment padding zeroed) against a torrent's hashes: SHA-1, the
/// v2 merkle trees (BEP 52), or both for a hybrid. Used while downloading (<see cref="PieceManager"/>) and on disk
/// (<c>Storage/PieceVerifier</c>). Thread-safe: workers check different pieces at once.</summary>
/// <remarks>In a v2 torrent every piece belongs to one file: the file's bytes in it are hashed into the piece's
/// subtree and compared with the file's piece layer, or for a file of one piece with its root. A file whose layer the
/// torrent did not carry (a magnet link's metadata has none) gets it from peers (<see cref="TryAddLayer"/>, checked
/// against the root); until then a download cannot verify its pieces (<see cref="CanVerify"/>), while a check of
/// data on disk assembles the layer from the pieces read and settles the file whole in <see cref="Finish"/>.</remarks>
internal sealed class PieceCheck
{
    private readonly Torrent _torrent;
    private readonly bool _sha1;
    private readonly (int File, int PieceInFile)[] _owners = [];
    private readonly Dictionary<int, byte[]> _unlayered = []; // file index -> piece hashes computed so far (disk check)
    private readonly byte[]?[] _layers = [];                  // file index -> its checked piece layer, once known
    private readonly byte[][]?[] _trees = [];                 // file index -> the tree above its layer, for answering peers
    private readonly Dictionary<string, int> _byRoot = new(StringComparer.Ordinal); // pieces root (hex) -> file index

    public PieceCheck(Torrent torrent)
    {
        _torrent = torrent;
        _sha1 = !torrent.IsV2Only;
        if (torrent.InfoHashV2 is null) return;
        _owners = new (int, int)[torrent.PieceCount];
        _layers = new byte[]?[torrent.Files.Count];
        _trees = new byte[][]?[torrent.Files.Count];
        Array.Fill(_owners, (-1, 0)); // pieces of padding only (a hybrid's tail) have no v2 hash
        for (var f = 0; f < torrent.Files.Count; f++)
        {
            var file = torrent.Files[f];
            if (file.IsPadding || file.Length == 0 || file.PiecesRoot.IsEmpty) continue;
            var first = (int)(file.Offset / torrent.PieceLength);
            var count = PiecesOf(file);
            for (var p = 0; p < count; p++) _owners[first + p] = (f, p);
            if (!file.PieceLayer.IsEmpty) _layers[f] = file.PieceLayer.ToArray();
            _byRoot.TryAdd(Convert.ToHexStringLower(file.PiecesRoot.Span), f);
            if (file.Length > torrent.PieceLength && file.PieceLayer.IsEmpty) _unlayered[f] = new byte[count * MerkleTree.HashSize];
        }
    }

    /// <summary>The files (indexes into <see cref="Torrent.Files"/>) whose piece layer is still unknown.</summary>
    public IReadOnlyList<int> MissingLayers => [.. _unlayered.Keys.Where(f => Volatile.Read(ref _layers[f]) is null).Order()];

    /// <summary>True when piece <paramref name="index"/> can be verified now (false only for a v2 file whose piece
    /// layer is still to come from peers).</summary>
    public bool CanVerify(int index)
    {
        if (_owners.Length == 0 || _owners[index].File < 0) return true;
        var file = _owners[index].File;
        return _sha1 || !_unlayered.ContainsKey(file) || Volatile.Read(ref _layers[file]) is not null;
    }

    /// <summary>Takes a file's piece layer from a peer when its hashes lead to the file's pieces root; false otherwise.</summary>
    /// <param name="file">The file's index in <see cref="Torrent.Files"/>.</param>
    /// <param name="layer">32 bytes per piece of the file, exactly its piece count.</param>
    public bool TryAddLayer(int file, ReadOnlyMemory<byte> layer)
    {
        if ((uint)file >= (uint)_layers.Length || !_unlayered.ContainsKey(file)) return false;
        var entry = _torrent.Files[file];
        if (layer.Length != PiecesOf(entry) * MerkleTree.HashSize) return false;
        if (!MerkleTree.RootFromPieceLayer(layer.Span, _torrent.PieceLength).AsSpan().SequenceEqual(entry.PiecesRoot.Span)) return false;
        Volatile.Write(ref _layers[file], layer.ToArray());
        return true;
    }

    /// <summary>The index in <see cref="Torrent.Files"/> of the file with this pieces root, or -1.</summary>
    public int FileOf(ReadOnlySpan<byte> piecesRoot) =>
        piecesRoot.Length == MerkleTree.HashSize && _byRoot.TryGetValue(Convert.ToHexStringLower(piecesRoot), out var f) ? f : -1;

    /// <summary>How many pieces file <paramref name="file"/> spans.</summary>
    public int PieceCountOf(int file) => PiecesOf(_torrent.Files[file]);

    /// <summary>A file's piece layer when known (from the torrent or a peer), else empty.</summary>
    public ReadOnlyMemory<byte> LayerOf(int file) => (uint)file < (uint)_layers.Length ? Volatile.Read(ref _layers[file]) : null;

    /// <summary>Every layer of the tree above a file's piece layer (<see cref="MerkleLayers.Tree"/>), built on first use
    /// and kept, so hash requests are answered by copying; null while the layer is unknown.</summary>
    public byte[][]? TreeOf(int file)
    {
        if ((uint)file >= (uint)_trees.Length) return null;
        if (Volatile.Read(ref _trees[file]) is { } tree) return tree;
        var layer = LayerOf(file);
        if (layer.IsEmpty) return null;
        tree = MerkleLayers.Tree(layer.Span, MerkleTree.PadHash(MerkleTree.BlocksPerPiece(_torrent.PieceLength)));
        return Interlocked.CompareExchange(ref _trees[file], tree, null) ?? tree;
    }

    /// <summary>True when piece <paramref name="index"/>'s bytes match (on disk, for a file without a piece layer: so far).</summary>
    public bool Check(int index, ReadOnlySpan<byte> piece)
    {
        if (_sha1)
        {
            Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
            SHA1.HashData(piece, hash);
            if (!hash.SequenceEqual(_torrent.GetPieceHash(index))) return false;
        }
        if (_owners.Length == 0 || _owners[index].File < 0) return true;
        var (f, pieceInFile) = _owners[index];
        var file = _torrent.Files[f];
        var start = (long)pieceInFile * _torrent.PieceLength;
        var data = piece[..(int)Math.Min(_torrent.PieceLength, file.Length - start)];
        var known = LayerOf(f);
        if (!_unlayered.TryGetValue(f, out var assembled) || !known.IsEmpty)
            return MerkleTree.VerifyPiece(data, pieceInFile, file.Length, _torrent.PieceLength, file.PiecesRoot.Span, known.Span);
        MerkleTree.PieceRoot(data, _torrent.PieceLength).CopyTo(assembled, pieceInFile * MerkleTree.HashSize); // each worker writes its own slot
        return true;
    }

    /// <summary>Settles the files without a piece layer after a check on disk: clears all their pieces unless every
    /// one was read and their hashes lead to the file's root.</summary>
    public void Finish(bool[] good)
    {
        foreach (var (f, layer) in _unlayered)
        {
            if (!LayerOf(f).IsEmpty) continue;
            var file = _torrent.Files[f];
            var first = (int)(file.Offset / _torrent.PieceLength);
            var count = layer.Length / MerkleTree.HashSize;
            var whole = Enumerable.Range(first, count).All(p => good[p])
                && MerkleTree.RootFromPieceLayer(layer, _torrent.PieceLength).AsSpan().SequenceEqual(file.PiecesRoot.Span);
            if (!whole) Array.Fill(good, false, first, count);
        }
    }

    private int PiecesOf(TorrentFile file) => (int)((file.Length + _torrent.PieceLength - 1) / _torrent.PieceLength);
}
