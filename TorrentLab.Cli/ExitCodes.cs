namespace TorrentLab.Cli;

/// <summary>The process exit codes: one per kind of failure, so scripts and checkers can tell them apart.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The job ran but could not finish (e.g. no peer could deliver the data, a lab check failed).</summary>
    public const int Failed = 1;
    /// <summary>Wrong command line: unknown command, missing or malformed argument.</summary>
    public const int Usage = 2;
    /// <summary>The input is not valid bencode or not a valid .torrent / magnet link.</summary>
    public const int BadInput = 3;
    /// <summary>Reading or writing files failed (missing file, permission denied).</summary>
    public const int Io = 4;
    /// <summary>The tracker failed or answered with a failure reason.</summary>
    public const int Tracker = 5;
    /// <summary>The peer connection failed or a peer broke the protocol.</summary>
    public const int Peer = 6;
    /// <summary>The disk is full; free space and run again to resume.</summary>
    public const int NoSpace = 7;
    /// <summary>Data on disk does not match the torrent's piece hashes.</summary>
    public const int VerifyFailed = 8;
    /// <summary>A valid input TorrentLab cannot handle yet (a request this version does not implement, reported as a
    /// <c>NotSupportedException</c>); v2-only torrents download and seed (docs/v2.md).</summary>
    public const int Unsupported = 9;
    /// <summary>A port named on the command line (or saved by <c>serve</c>) cannot be bound: taken, or not ours to take.
    /// A port is never silently replaced; only the default peer port 6881 moves to 6882-6889, then any free port.</summary>
    public const int PortUnavailable = 10;
    /// <summary>A running <c>torrentlab serve</c> could not be reached at the address given (<c>why</c>, <c>pieces</c>).</summary>
    public const int ServeUnreachable = 11;
    /// <summary>The server has no torrent of the info hash given (<c>why</c>, <c>pieces</c>).</summary>
    public const int UnknownTorrent = 12;
    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
