using System.Security.Cryptography;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;

namespace TorrentLab.Storage;

/// <summary>Checks whole pieces read from disk (alignment padding zeroed) against a torrent's hashes: SHA-1, the v2
/// merkle trees (BEP 52), or both for a hybrid. Thread-safe: workers check different pieces at once.</summary>
/// <remarks>In a v2 torrent every piece belongs to one file: the file's bytes in it are hashed into the piece's
/// subtree and compared with the file's piece layer, or for a file of one piece with its root. A file whose layer the
/// torrent did not carry is checked whole by <see cref="Finish"/>: its piece hashes are assembled into a layer and
/// hashed up to the root, so its pieces pass or fail together.</remarks>
internal sealed class PieceCheck
{
    private readonly Torrent _torrent;
    private readonly bool _sha1;
    private readonly (int File, int PieceInFile)[] _owners = [];
    private readonly Dictionary<int, byte[]> _unlayered = []; // file index -> piece hashes computed so far

    public PieceCheck(Torrent torrent)
    {
        _torrent = torrent;
        _sha1 = !torrent.IsV2Only;
        Scheme = PieceHashScheme.FullCheck(torrent);
        if (torrent.InfoHashV2 is null) return;
        _owners = new (int, int)[torrent.PieceCount];
        Array.Fill(_owners, (-1, 0)); // pieces of padding only (a hybrid's tail) have no v2 hash
        for (var f = 0; f < torrent.Files.Count; f++)
        {
            var file = torrent.Files[f];
            if (file.IsPadding || file.Length == 0 || file.PiecesRoot.IsEmpty) continue;
            var first = (int)(file.Offset / torrent.PieceLength);
            var count = (int)((file.Length + torrent.PieceLength - 1) / torrent.PieceLength);
            for (var p = 0; p < count; p++) _owners[first + p] = (f, p);
            if (file.Length > torrent.PieceLength && file.PieceLayer.IsEmpty) _unlayered[f] = new byte[count * MerkleTree.HashSize];
        }
    }

    /// <summary>The scheme this check applies (<see cref="PieceHashScheme"/>).</summary>
    public string Scheme { get; }

    /// <summary>True when piece <paramref name="index"/>'s bytes match (for a file without a piece layer: so far).</summary>
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
        if (!_unlayered.TryGetValue(f, out var layer))
            return MerkleTree.VerifyPiece(data, pieceInFile, file.Length, _torrent.PieceLength, file.PiecesRoot.Span, file.PieceLayer.Span);
        MerkleTree.PieceRoot(data, _torrent.PieceLength).CopyTo(layer, pieceInFile * MerkleTree.HashSize); // each worker writes its own slot
        return true;
    }

    /// <summary>Settles the files without a piece layer: clears all their pieces unless every one was read and
    /// their hashes lead to the file's root.</summary>
    public void Finish(bool[] good)
    {
        foreach (var (f, layer) in _unlayered)
        {
            var file = _torrent.Files[f];
            var first = (int)(file.Offset / _torrent.PieceLength);
            var count = layer.Length / MerkleTree.HashSize;
            var whole = Enumerable.Range(first, count).All(p => good[p])
                && MerkleTree.RootFromPieceLayer(layer, _torrent.PieceLength).AsSpan().SequenceEqual(file.PiecesRoot.Span);
            if (!whole) Array.Fill(good, false, first, count);
        }
    }
}
