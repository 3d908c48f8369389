namespace TorrentLab.Extensions;

/// <summary>BEP 55 <c>ut_holepunch</c>: a peer relays an introduction so that two peers behind NATs can dial each other
/// at once. The messages are HolepunchMessage's; whom to introduce, and the rate limit, are the swarm's
/// (Swarm/Holepunching.cs).</summary>
/// <remarks>BEP 55 rides on PEX (peers learn whom to ask for an introduction from it), so a private torrent (BEP 27:
/// peers from its trackers only) offers neither.</remarks>
internal sealed class HolepunchExtension : IExtension
{
    /// <inheritdoc/>
    public string Name => "ut_holepunch";

    /// <inheritdoc/>
    public byte Id => 6;

    /// <inheritdoc/>
    public bool OnPrivateTorrents => false;

    /// <summary>A peer we dialled was announced to the others before its handshake came: now PEX can add BEP 55's flag.</summary>
    public void OnHandshake(IExtensionPeer peer, ExtensionHandshake theirs)
    {
        if (peer.Outgoing && peer.Channel.BothSpeak(Name)) peer.OnHolepunchReady();
    }

    /// <summary>Hands the message to the swarm, which ignores a malformed one, as libtorrent does (it is a request for
    /// a favour, not part of the peer's own exchange with us).</summary>
    public void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload) => peer.OnHolepunch(payload);
}
