using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>Why a torrent makes progress or does not, from what its trackers, the DHT and its peers did lately
/// (<see cref="TorrentHandle.Diagnose"/>): one verdict line, then the findings it was drawn from.</summary>
/// <remarks>A snapshot: what the handle remembers is bounded (each tracker's last answer, the last
/// <see cref="TorrentHandle.DiagnosisPeers"/> peers tried), so a torrent running for weeks costs no more than a new one.</remarks>
public sealed record ProgressDiagnosis
{
    /// <summary>The main reason, for a program.</summary>
    public required StallCause Cause { get; init; }

    /// <summary>The main reason in one line, e.g. "no peer: every tracker is unreachable".</summary>
    public required string Verdict { get; init; }

    /// <summary>The torrent's state when diagnosed.</summary>
    public required TorrentState State { get; init; }

    /// <summary>Each tracker's last answer (the torrent's trackers in their order; one never asked is left out).</summary>
    public required IReadOnlyList<DiagnosisFinding> Trackers { get; init; }

    /// <summary>The DHT's lookups for the torrent and what they found; null when the torrent does not use the DHT.</summary>
    public DiagnosisFinding? Dht { get; init; }

    /// <summary>Whether our port was reached from outside: a peer connected to us, or a peer said which address it sees
    /// us at (BEP 10 <c>yourip</c>); <see cref="FindingKind.Nothing"/> while neither happened.</summary>
    public required DiagnosisFinding Reachability { get; init; }

    /// <summary>The peers tried lately, newest first, each with what came of it; the connected ones as they are now.</summary>
    public required IReadOnlyList<DiagnosisFinding> Peers { get; init; }
}

/// <summary>The main reason a torrent makes progress or not, as <see cref="ProgressDiagnosis.Cause"/> gives it.</summary>
/// <remarks>No cause says "no metadata": a handle holds its torrent's metadata from the start (a magnet link becomes
/// a handle once <see cref="TorrentSession.FetchMagnetAsync"/> has fetched it, BEP 9), so a fetch that finds nothing
/// fails that call, with its reason, before any torrent exists.</remarks>
public enum StallCause
{
    /// <summary>Data arrives.</summary>
    Progressing,
    /// <summary>It has every piece it wants.</summary>
    Complete,
    /// <summary>Paused (<see cref="TorrentHandle.PauseAsync"/>).</summary>
    Paused,
    /// <summary>Waiting for its turn in an application's queue (a queue kept by the application, as <c>serve</c>'s).</summary>
    Queued,
    /// <summary>Checking or moving its data.</summary>
    Busy,
    /// <summary>Its files cannot be written: the disk is full, a folder is not writable.</summary>
    Disk,
    /// <summary>Failed for another reason (<see cref="TorrentHandle.Error"/>).</summary>
    Failed,
    /// <summary>No tracker answered and no other source gave a peer.</summary>
    TrackersUnreachable,
    /// <summary>The trackers answered with a failure reason (the torrent unregistered among them).</summary>
    TrackersRefused,
    /// <summary>The sources answered, but with no peer.</summary>
    NoPeers,
    /// <summary>Peers are known but none could be connected to (unreachable, blocked, refused, failed handshakes).</summary>
    PeersUnreachable,
    /// <summary>Peers are connected but every one keeps us choked.</summary>
    ChokedByPeers,
    /// <summary>Peers are connected but none has a piece we want.</summary>
    PeersHaveNothing,
    /// <summary>Waiting: announcing, dialling, or nothing seen yet.</summary>
    Waiting,
}
