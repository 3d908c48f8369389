using Microsoft.Extensions.Logging;

namespace TorrentLab;

/// <summary>How the engine's log lines reach an <see cref="ILogger"/>: the engine writes plain lines through an
/// <c>Action&lt;string&gt;</c> (its call sites stay one short line each, and cost nothing when no one listens), made
/// here once per session, node or torrent from the logger the caller gave.</summary>
/// <remarks>The categories, one per layer: <see cref="Session"/> (the port, incoming connections, LSD),
/// <see cref="Dht"/> (the DHT node), <see cref="Swarm"/> (a torrent's run in the swarm engine: peers, pieces, its
/// trackers), <see cref="Reference"/> (the single-peer story) and <see cref="Magnet"/> (a magnet link's metadata
/// fetch). A torrent given its own logger (<c>DownloadOptions.Logger</c>) writes every line of its run there instead.</remarks>
internal static class EngineLog
{
    public const string Session = "TorrentLab.Session";
    public const string Dht = "TorrentLab.Dht";
    public const string Swarm = "TorrentLab.Swarm";
    public const string Reference = "TorrentLab.Reference";
    public const string Magnet = "TorrentLab.Magnet";

    /// <summary>A writer of lines to <paramref name="logger"/> at <paramref name="level"/>, or null when there is no
    /// logger or it takes nothing at that level (asked once, here: the engine then formats no line at all).</summary>
    public static Action<string>? Lines(ILogger? logger, LogLevel level = LogLevel.Debug)
    {
        if (logger is null || !logger.IsEnabled(level)) return null;
        return line => logger.Log(level, default, line, null, static (text, _) => text);
    }

    /// <summary>As <see cref="Lines(ILogger?, LogLevel)"/>, for the category <paramref name="category"/> of a factory.</summary>
    public static Action<string>? Lines(ILoggerFactory? factory, string category, LogLevel level = LogLevel.Debug) =>
        factory is null ? null : Lines(factory.CreateLogger(category), level);
}
