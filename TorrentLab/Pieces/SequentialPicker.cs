using TorrentLab.Wire;

namespace TorrentLab.Pieces;

/// <summary>Picks the lowest-numbered missing piece the peer has: the simple order of the reference download
/// (and what streaming wants), at the cost of ignoring rarity.</summary>
internal sealed class SequentialPicker : IPiecePicker
{
    public int Pick(Bitfield peerHas, PickContext context)
    {
        for (var i = context.FirstCandidate; i < context.PieceCount; i++)
            if (peerHas[i] && context.IsCandidate(i)) return i;
        return -1;
    }
}
