namespace TorrentLab.Extensions;

/// <summary>BEP 11 peer exchange (<c>ut_pex</c>): about once a minute each side tells the other which peers joined and
/// left its swarm. The rules of one exchange are PexState's; whom to tell about whom is the swarm's
/// (Swarm/PeerExchange.cs).</summary>
/// <remarks>BEP 27: a private torrent "MUST NOT" use PEX, so it does not even offer ut_pex.</remarks>
internal sealed class PexExtension : IExtension
{
    /// <inheritdoc/>
    public string Name => "ut_pex";

    /// <inheritdoc/>
    public byte Id => 4;   // libtorrent's is 1

    /// <inheritdoc/>
    public bool OnPrivateTorrents => false;

    /// <summary>Starts the exchange once the peer announced ut_pex (we offered it: the torrent is not private).</summary>
    public void OnHandshake(IExtensionPeer peer, ExtensionHandshake theirs)
    {
        if (peer.Pex is null && !peer.IsPrivate && peer.Channel.PeerSupports(Name)) peer.StartPex();
    }

    /// <inheritdoc/>
    /// <exception cref="ExtensionException">Not a ut_pex message.</exception>
    public void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload)
    {
        if (peer.Pex is { } pex) peer.OnPexLearned(pex.Receive(PexMessage.Decode(payload)));
    }
}
