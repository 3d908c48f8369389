namespace TorrentLab.Pieces;

/// <summary>A peer as the <see cref="PieceManager"/> knows it: whoever blocks are asked of and come from.</summary>
/// <remarks>The piece manager keys its per-peer state by this object, so it must have stable equality for as long as
/// the peer is connected (the swarm's peer compares by reference, <see cref="PeerKey"/> by name). The swarm's peer
/// implements it, so what the piece manager hands back (culprits, peers to cancel) is the peer itself.</remarks>
internal interface IBlockSource
{
    /// <summary>How logs and messages name the peer ("127.0.0.1:6881").</summary>
    string Name { get; }
}
