using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Picks the piece that the fewest connected peers have, breaking ties at random; the first few pieces
/// are picked purely at random. This is the strategy BEP 3 and the original client describe.</summary>
/// <remarks>Rarest first spreads rare pieces before their only holders leave. Random first pieces get a new peer
/// something to trade quickly: the rarest pieces are slow to get since few peers can send them. Each pick compares at
/// most 256 candidates (reservoir sampling over the ties): all of them in a small torrent, a sample from a random
/// point in a large one, so piece lengths of a few bytes (millions of pieces) stay fast.</remarks>
internal sealed class RarestFirstPicker : IPiecePicker
{
    /// <summary>Candidates compared per pick: exact rarest first for small torrents, a sample of this many from a
    /// random starting point for large ones (as libtorrent, whose picker also keeps the cost per pick bounded).</summary>
    private const int MaxCandidatesSeen = 256;

    private readonly Random _random;
    private readonly int _randomFirstPieces;

    /// <param name="randomFirstPieces">While we have fewer pieces than this, pick at random.</param>
    /// <param name="random">Source of tie-breaks (seed it in tests); null means a shared random source.</param>
    public RarestFirstPicker(int randomFirstPieces = 4, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomFirstPieces);
        _randomFirstPieces = randomFirstPieces;
        _random = random ?? Randomness.Shared;
    }

    /// <summary>Pieces picked at random before rarest first: while we have fewer than this.</summary>
    public int RandomFirstPieces => _randomFirstPieces;

    public int Pick(Bitfield peerHas, PickContext context)
    {
        var random = context.HaveCount < _randomFirstPieces;
        var first = context.FirstCandidate;
        var span = context.PieceCount - first;
        if (span <= 0) return -1;
        // A bounded scan from a random point: a torrent of millions of tiny pieces must not cost a full pass per pick.
        var start = span <= MaxCandidatesSeen ? first : first + _random.Next(span);
        int best = -1, bestAvailability = int.MaxValue, ties = 0, seen = 0;
        for (var step = 0; step < span; step++)
        {
            var i = start + step;
            if (i >= context.PieceCount) i -= span;
            if (!peerHas[i] || !context.IsCandidate(i)) continue;
            var availability = random ? 0 : context.Availability(i);
            if (availability < bestAvailability)
            {
                (best, bestAvailability, ties) = (i, availability, 1);
            }
            else if (availability == bestAvailability && _random.Next(++ties) == 0)
            {
                best = i; // reservoir sampling: each of the ties ends up chosen with probability 1/ties
            }
            // Nothing is rarer than a piece only this peer has (or than anything, while picking at random).
            if (++seen >= MaxCandidatesSeen || (bestAvailability <= 1 && span > MaxCandidatesSeen)) break;
        }
        return best;
    }
}
