namespace TorrentLab.Extensions;

/// <summary>What an extension's handler may see and do on one connection of the swarm: the peer, and the
/// torrent-level state the extensions touch (the metadata we serve, the peer exchange, the pieces).</summary>
/// <remarks>The swarm's peer implements it (Swarm/SwarmPeer.Extensions.cs); the decisions that span peers (whom to
/// tell about whom, whom to introduce) stay with the swarm behind these calls.</remarks>
internal interface IExtensionPeer
{
    /// <summary>The connection's channel: our handshake, the peer's, and the ids it chose.</summary>
    ExtensionChannel Channel { get; }

    /// <summary>The torrent (its metainfo): what any extension may read of it.</summary>
    Metainfo.Torrent Torrent { get; }

    /// <summary>The torrent is private (BEP 27).</summary>
    bool IsPrivate { get; }

    /// <summary>We dialled the peer (it did not dial us).</summary>
    bool Outgoing { get; }

    /// <summary>Pieces in the torrent.</summary>
    int PieceCount { get; }

    /// <summary>The torrent's metadata, as we serve it (BEP 9).</summary>
    MetadataServer Metadata { get; }

    /// <summary>The peer exchange with it, once started (BEP 11).</summary>
    PexState? Pex { get; }

    /// <summary>Queues the answer to one of the peer's requests under the id it chose for <paramref name="extension"/>,
    /// in the bounded answer queue; nothing when the peer did not announce it.</summary>
    void Answer(IExtension extension, ReadOnlyMemory<byte> payload);

    /// <summary>One line to the torrent's log about this peer (named first), for what an extension only reports.</summary>
    void Log(string line);

    /// <summary>Both sides announced ut_pex: the swarm starts the exchange with it.</summary>
    void StartPex();

    /// <summary>Peers the peer told us of, worth dialling.</summary>
    void OnPexLearned(IReadOnlyList<PexPeer> peers);

    /// <summary>The peer no longer has a piece it announced (BEP 54).</summary>
    void OnPieceLost(int index);

    /// <summary>A ut_holepunch message (BEP 55) for the swarm, which decodes it and ignores a malformed one.</summary>
    void OnHolepunch(ReadOnlyMemory<byte> payload);

    /// <summary>Both sides announced ut_holepunch on a peer we dialled: the swarm may now flag it in PEX (BEP 55).</summary>
    void OnHolepunchReady();

    /// <summary>The peer said whether it wants nothing more (BEP 21).</summary>
    void OnUploadOnly(bool uploadOnly);
}
