namespace TorrentLab.Client;

/// <summary>What a <see cref="TorrentAlert"/> reports.</summary>
public enum TorrentAlertKind
{
    /// <summary>The torrent's <see cref="TorrentHandle.State"/> changed (<see cref="TorrentAlert.State"/>).</summary>
    StateChanged,
    /// <summary>A magnet link's metadata arrived from a peer and verified against its info hash (BEP 9).</summary>
    MetadataReceived,
    /// <summary>A piece verified against its hash and was written (<see cref="TorrentAlert.Index"/>: the piece).</summary>
    PieceFinished,
    /// <summary>Every piece of a wanted file verified (<see cref="TorrentAlert.Index"/>: the file).</summary>
    FileCompleted,
    /// <summary>A tracker answered an announce (<see cref="TorrentAlert.Message"/>: what it said).</summary>
    TrackerAnswered,
    /// <summary>An announce failed (<see cref="TorrentAlert.Message"/>: why).</summary>
    TrackerFailed,
    /// <summary>A peer was banned for sending data that failed its hash (<see cref="TorrentAlert.Message"/>: which, why).</summary>
    PeerBanned,
    /// <summary>Reading or writing the torrent's data failed; the torrent stopped (<see cref="TorrentAlert.Error"/>).</summary>
    StorageError,
    /// <summary>The session's interface (<see cref="Downloads.SessionSettings.BindInterface"/>) went down, or lost its
    /// address: the torrent sends nothing until it is back (<see cref="TorrentAlert.Message"/>: the session's line).</summary>
    InterfaceDown,
    /// <summary>The session's interface is back with an address: the torrent announces and dials again
    /// (<see cref="TorrentAlert.Message"/>: the session's line, with the address).</summary>
    InterfaceUp,
}

/// <summary>One thing that happened to a torrent of a <see cref="TorrentSession"/>, as libtorrent's alerts report it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Torrent">The torrent it happened to.</param>
public sealed record TorrentAlert(TorrentAlertKind Kind, TorrentHandle Torrent)
{
    /// <summary>When it was reported (the session's clock).</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The new state, for <see cref="TorrentAlertKind.StateChanged"/>.</summary>
    public TorrentState? State { get; init; }

    /// <summary>The piece (<see cref="TorrentAlertKind.PieceFinished"/>) or file (<see cref="TorrentAlertKind.FileCompleted"/>) index.</summary>
    public int? Index { get; init; }

    /// <summary>What the tracker said (peers given, next announce, its warning), why an announce failed, or why a peer
    /// was banned: one line of text from the network (untrusted, cleaned of control characters).</summary>
    public string? Message { get; init; }

    /// <summary>The tracker that answered (<see cref="TorrentAlertKind.TrackerAnswered"/>), or the last one asked when an
    /// announce failed (<see cref="TorrentAlertKind.TrackerFailed"/>; null when none was).</summary>
    public string? Url { get; init; }

    /// <summary>The peer banned, for <see cref="TorrentAlertKind.PeerBanned"/>.</summary>
    public System.Net.IPEndPoint? Peer { get; init; }

    /// <summary>The error, for <see cref="TorrentAlertKind.StorageError"/>.</summary>
    public Exception? Error { get; init; }

    /// <summary>The torrent's verified pieces when this was reported (<see cref="TorrentHandle.PiecesDone"/> then: a
    /// reader of the alert later sees the count of its moment).</summary>
    public int PiecesDone { get; init; }

    /// <summary>Payload bytes of the wanted pieces verified when this was reported (<see cref="TorrentHandle.BytesDone"/>
    /// then).</summary>
    public long BytesDone { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        TorrentAlertKind.StateChanged => $"{Torrent.Torrent.Name}: {State}",
        TorrentAlertKind.PieceFinished => $"{Torrent.Torrent.Name}: piece {Index}",
        TorrentAlertKind.FileCompleted => $"{Torrent.Torrent.Name}: file {Index} complete",
        TorrentAlertKind.StorageError => $"{Torrent.Torrent.Name}: storage error: {Error?.Message}",
        TorrentAlertKind.TrackerAnswered or TorrentAlertKind.TrackerFailed => $"{Torrent.Torrent.Name}: {Kind} {Url}: {Message}",
        TorrentAlertKind.PeerBanned => $"{Torrent.Torrent.Name}: {Kind} {Peer}: {Message}",
        _ => $"{Torrent.Torrent.Name}: {Kind}{(Message is null ? "" : ": " + Message)}",
    };
}

/// <summary>Where a <see cref="TorrentHandle"/> stands.</summary>
public enum TorrentState
{
    /// <summary>Not running: added paused, or paused by <see cref="TorrentHandle.PauseAsync"/>.</summary>
    Paused,
    /// <summary>Starting: the resume decision, a re-hash of data on disk (in turn with the session's other torrents).</summary>
    Checking,
    /// <summary>Fetching the pieces it wants.</summary>
    Downloading,
    /// <summary>Has every piece it wants and uploads to peers.</summary>
    Seeding,
    /// <summary>Has every piece it wants and does not seed (or seeded to its ratio or time limit).</summary>
    Completed,
    /// <summary>Stopped by an error (<see cref="TorrentHandle.Error"/>); start it again to retry.</summary>
    Failed,
    /// <summary>Its data is moving to another folder (<see cref="TorrentHandle.MoveDataAsync"/>).</summary>
    Moving,
}
