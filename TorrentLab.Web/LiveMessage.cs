namespace TorrentLab.Web;

/// <summary>One message the server pushes over the live WebSocket; <see cref="Type"/> says which fields are set.</summary>
/// <remarks>
/// <c>torrents</c>: <see cref="Torrents"/>, the whole list (on connect, and when a torrent is added or removed).
/// <c>rows</c>: <see cref="Torrents"/>, the rows that changed since the last round (at most twice a second, all in
/// one message).
/// <c>pieces</c>: <see cref="InfoHash"/> with <see cref="Pieces"/> (every piece, on subscribe) or <see cref="Changes"/>
/// (<c>[index, state]</c> pairs since the last message), for subscribed torrents.
/// <c>detail</c>: <see cref="Details"/> of a subscribed torrent when it changed (files, trackers, peers).
/// <c>trace</c>: <see cref="Trace"/>, new wire messages of a torrent subscribed with trace on.
/// <c>lag</c>: <see cref="Dropped"/>, how many messages this client has lost so far because it read too slowly.
/// <c>error</c>: <see cref="Error"/>, why the client's last request was refused (not an info hash, no such torrent,
/// too many subscriptions).
/// </remarks>
public sealed record LiveMessage(string Type)
{
    public TorrentSummary[]? Torrents { get; init; }
    public TorrentSummary? Torrent { get; init; }
    public string? InfoHash { get; init; }
    public string? Pieces { get; init; }
    public int[][]? Changes { get; init; }
    public TorrentDetails? Details { get; init; }
    public TraceLine[]? Trace { get; init; }
    public long? Dropped { get; init; }
    public string? Error { get; init; }
}

/// <summary>What a client sends over the live WebSocket: <c>{"op":"subscribe","infoHash":"…","trace":true}</c> or
/// <c>{"op":"unsubscribe","infoHash":"…"}</c>.</summary>
public sealed record LiveRequest(string Op, string? InfoHash, bool Trace);
