namespace TorrentLab.Downloads;

/// <summary>What kind of moment the engine changed its mode at, as the piece map's timeline shows it.</summary>
public enum PieceMapMomentKind
{
    /// <summary>End game began: every missing block was asked of someone, so idle peers are asked for blocks already
    /// asked of others (<see cref="PieceMapMoment.Peer"/>: the peer whose requests were being made when it began).</summary>
    EndgameBegan = 0,
    /// <summary>A choke round unchoked the peer (BEP 3): it may ask us for blocks now.</summary>
    Unchoked = 1,
    /// <summary>A choke round choked the peer (BEP 3): its requests are not answered any more.</summary>
    Choked = 2,
    /// <summary>Super-seeding (BEP 16) revealed a piece to the peer with a <c>have</c>.</summary>
    SuperSeedRevealed = 3,
}

/// <summary>One moment the engine changed its mode: end game began, a choke round's decision about a peer, a
/// super-seed reveal.</summary>
/// <param name="At">When (the engine's clock).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Peer">The peer it concerns ("127.0.0.1:6881"), or null.</param>
/// <param name="Piece">The piece it concerns (a reveal's), or -1.</param>
/// <param name="PiecesLeft">Wanted pieces not verified yet at that moment (0 while seeding).</param>
public sealed record PieceMapMoment(DateTimeOffset At, PieceMapMomentKind Kind, string? Peer, int Piece, int PiecesLeft);
