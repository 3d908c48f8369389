namespace TorrentLab.Extensions;

/// <summary>BEP 9 metadata exchange (<c>ut_metadata</c>): a peer asks us for 16 KiB pieces of the info dictionary and
/// we answer each with the piece or a reject (MetadataServer.cs). The asking half is the magnet fetcher's
/// (Magnet/MetadataFetcher.cs); the lab's synthetic peer serves with faults of its own.</summary>
/// <remarks>Offered on private torrents too: it only serves what the peer could have from the .torrent file.</remarks>
internal sealed class MetadataExtension : IExtension
{
    /// <inheritdoc/>
    public string Name => "ut_metadata";

    /// <inheritdoc/>
    public byte Id => 3;   // libtorrent's is 2: a test that mixes up whose id is whose fails

    /// <inheritdoc/>
    public bool OnPrivateTorrents => true;

    /// <inheritdoc/>
    /// <exception cref="ExtensionException">Not a ut_metadata message.</exception>
    public void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload)
    {
        if (peer.Metadata.Answer(MetadataMessage.Decode(payload)) is { } answer) peer.Answer(this, answer.Encode());
    }
}
