using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>What a swarm download came to: its result, and, when it is to seed, the torrent seeding on in its session
/// as a record of the session (no task waits with it).</summary>
/// <param name="Result">What it downloaded; null for a whole torrent that seeds from the start (its result is made when
/// its seeding ends).</param>
/// <param name="Seeding">The torrent seeding on, or null when it does not seed.</param>
internal readonly record struct SwarmOutcome(DownloadResult? Result, SeedingTorrent? Seeding);
