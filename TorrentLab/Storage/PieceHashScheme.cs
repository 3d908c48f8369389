using TorrentLab.Metainfo;

namespace TorrentLab.Storage;

/// <summary>Which hashes a piece was checked with: the names a resume ledger records.</summary>
public static class PieceHashScheme
{
    /// <summary>BEP 3: the SHA-1 of the whole piece from <c>info.pieces</c>.</summary>
    public const string Sha1 = "sha1";

    /// <summary>BEP 52: the piece's SHA-256 merkle subtree against the file's piece layer or pieces root.</summary>
    public const string Merkle = "merkle-sha256";

    /// <summary>Both, as BEP 52 asks of a hybrid: "they must also verify that pieces match both piece hash formats".</summary>
    public const string Both = Sha1 + "+" + Merkle;

    /// <summary>The scheme a full check (<see cref="PieceVerifier"/>) uses for <paramref name="torrent"/>.</summary>
    public static string FullCheck(Torrent torrent) => torrent.IsV2Only ? Merkle : torrent.IsHybrid ? Both : Sha1;

    /// <summary>True when pieces verified with <paramref name="scheme"/> can be trusted for <paramref name="torrent"/>.</summary>
    public static bool Suffices(string scheme, Torrent torrent) => scheme switch
    {
        Sha1 => !torrent.IsV2Only,
        Merkle => torrent.InfoHashV2 is not null,
        Both => torrent.IsHybrid,
        _ => false,
    };
}
