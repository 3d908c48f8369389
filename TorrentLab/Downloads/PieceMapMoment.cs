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
    /// <summary>Rarest first began: the first pieces were picked at random (a newcomer gets something to trade
    /// quickly), and from here each is the one fewest connected peers have (<see cref="PieceMapMoment.Peer"/>: the peer
    /// the first such pick was for). Only for a download that started with fewer than those pieces.</summary>
    RarestFirstBegan = 4,
}

/// <summary>One moment the engine changed its mode: end game began, a choke round's decision about a peer, a
/// super-seed reveal.</summary>
/// <remarks>Made by the library, read by a program: what it learns later is a new property (the library's rule for
/// public types, docs/library.md).</remarks>
public sealed record PieceMapMoment
{
    internal PieceMapMoment(DateTimeOffset at, PieceMapMomentKind kind, string? peer, int piece, int piecesLeft)
    {
        At = at;
        Kind = kind;
        Peer = peer;
        Piece = piece;
        PiecesLeft = piecesLeft;
    }

    /// <summary>When (the engine's clock).</summary>
    public DateTimeOffset At { get; }

    /// <summary>What happened.</summary>
    public PieceMapMomentKind Kind { get; }

    /// <summary>The peer it concerns ("127.0.0.1:6881"), or null.</summary>
    public string? Peer { get; }

    /// <summary>The piece it concerns (a reveal's), or -1.</summary>
    public int Piece { get; }

    /// <summary>Wanted pieces not verified yet at that moment (0 while seeding).</summary>
    public int PiecesLeft { get; }
}
