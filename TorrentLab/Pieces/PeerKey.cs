namespace TorrentLab.Pieces;

/// <summary>The simplest <see cref="IBlockSource"/>: a peer known by its name alone (equal names, same peer).</summary>
/// <param name="Name">How the peer is named, usually its address ("127.0.0.1:6881").</param>
internal sealed record PeerKey(string Name) : IBlockSource
{
    public override string ToString() => Name;
}
