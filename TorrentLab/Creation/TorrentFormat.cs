namespace TorrentLab.Creation;

/// <summary>Which hashes a new torrent carries: BEP 3 (v1), BEP 52 (v2), or both (hybrid).</summary>
public enum TorrentFormat
{
    /// <summary>BEP 3: SHA-1 piece hashes over the concatenated files; every client reads it. The default.</summary>
    V1,

    /// <summary>BEP 52 only: a SHA-256 merkle tree per file, files aligned to pieces; v1-only clients cannot use it.</summary>
    V2,

    /// <summary>Both (BEP 52 upgrade path): the v2 data plus a v1 file list aligned with BEP 47 pad files.</summary>
    Hybrid,
}
