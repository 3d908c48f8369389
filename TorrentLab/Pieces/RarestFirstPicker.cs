using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Picks the piece that the fewest connected peers have, breaking ties at random; the first few pieces
/// are picked purely at random. This is the strategy BEP 3 and the original client describe.</summary>
/// <remarks>Rarest first spreads rare pieces before their only holders leave. Random first pieces get a new peer
/// something to trade quickly: the rarest pieces are slow to get since few peers can send them. One linear scan
/// per pick (reservoir sampling over the ties); picks happen once per piece, not per block.</remarks>
public sealed class RarestFirstPicker : IPiecePicker
{
    private readonly Random _random;
    private readonly int _randomFirstPieces;

    /// <param name="randomFirstPieces">While we have fewer pieces than this, pick at random.</param>
    /// <param name="random">Source of tie-breaks (seed it in tests); null means a shared random source.</param>
    public RarestFirstPicker(int randomFirstPieces = 4, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomFirstPieces);
        _randomFirstPieces = randomFirstPieces;
        _random = random ?? Random.Shared;
    }

    public int Pick(Bitfield peerHas, PickContext context)
    {
        var random = context.HaveCount < _randomFirstPieces;
        int best = -1, bestAvailability = int.MaxValue, ties = 0;
        for (var i = context.FirstCandidate; i < context.PieceCount; i++)
        {
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
        }
        return best;
    }
}
