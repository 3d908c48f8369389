namespace TorrentLab.Extensions;

/// <summary>The fixed parts of our BEP 10 handshake: the handshake's own id, our name, our request queue. The
/// extensions and their ids are <see cref="ExtensionRegistry"/>'s.</summary>
internal static class ExtensionIds
{
    /// <summary>BEP 10: extended message id 0 is the extension handshake.</summary>
    public const byte Handshake = 0;

    /// <summary>Our client name and version, sent as <c>v</c>.</summary>
    public const string ClientVersion = "TorrentLab 0.1.0";

    /// <summary>How many outstanding requests we queue per peer without dropping any, sent as <c>reqq</c>: 2000, as
    /// libtorrent 2.0 (<c>max_allowed_in_request_queue</c>); the swarm refuses requests beyond it.</summary>
    public const int RequestQueue = 2000;
}
