namespace TorrentLab.Extensions;

/// <summary>One BEP 10 extension we speak: its name, the id we receive it on, whether a private torrent offers it,
/// and what it does with what a peer sends. Each lives in its own file and is listed once in <see cref="ExtensionRegistry"/>.</summary>
internal interface IExtension
{
    /// <summary>The name in a handshake's <c>m</c> dictionary (BEP 10), or the handshake key for one that is not a message.</summary>
    string Name { get; }

    /// <summary>Our id for it: peers send it to us with this id (BEP 10: each side picks its own). 0 for a handshake
    /// key that is not a message (<c>upload_only</c>): it is not put in <c>m</c>.</summary>
    byte Id { get; }

    /// <summary>Whether a private torrent offers it. BEP 27: such a torrent takes peers from its trackers only.</summary>
    bool OnPrivateTorrents { get; }

    /// <summary>The peer's extension handshake (the first or a later one) arrived.</summary>
    void OnHandshake(IExtensionPeer peer, ExtensionHandshake theirs) { }

    /// <summary>A message arrived with our <see cref="Id"/>; a malformed one throws <see cref="ExtensionException"/>
    /// (the peer is dropped) unless the extension says it ignores it.</summary>
    void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload) { }
}
