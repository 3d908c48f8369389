using System.Net;
using TorrentLab.Pieces;

namespace TorrentLab.Downloads;

/// <summary>The changes a running torrent takes without stopping: its file priorities and piece order while it
/// downloads; a reannounce, its trackers, a peer to dial and its peer cap while it downloads or seeds. The swarm engine attaches
/// itself while it downloads (<c>Swarm/SwarmDownload.cs</c>) and a seeding torrent while it seeds
/// (<c>Swarm/SeedingTorrent.cs</c>); the session's torrent handle asks through it first, and stops and starts the run
/// only when nothing running took the change (the torrent prepares, or runs the single-peer reference story; a seeding
/// torrent that is to download again).</summary>
internal sealed class LiveChanges
{
    private Target? _target;

    /// <summary>What a running torrent takes: each returns false when it no longer can (the swarm stopped downloading, the
    /// seeding ended); a seeding torrent has no <see cref="Selection"/> or <see cref="Sequential"/>.</summary>
    internal sealed record Target(
        Func<PieceSelection, bool>? Selection,
        Func<bool, bool>? Sequential,
        Func<bool> Reannounce,
        Func<IReadOnlyList<IReadOnlyList<string>>, bool> Trackers,
        Func<IPEndPoint, bool> AddPeer,
        Func<int, bool> MaxPeers);

    /// <summary>The torrent runs with <paramref name="target"/> from now on: changes go to it.</summary>
    internal void Attach(Target target) => Volatile.Write(ref _target, target);

    /// <summary>The target stopped running: changes no longer go to it (a later one is left alone).</summary>
    internal void Detach(Target target) => Interlocked.CompareExchange(ref _target, null, target);

    /// <summary>Gives the running download a new file selection; false when none took it.</summary>
    public bool TrySetSelection(PieceSelection selection) => Volatile.Read(ref _target)?.Selection?.Invoke(selection) ?? false;

    /// <summary>Gives the running download another piece order; false when none took it.</summary>
    public bool TrySetSequential(bool sequential) => Volatile.Read(ref _target)?.Sequential?.Invoke(sequential) ?? false;

    /// <summary>Asks the running torrent to announce now; false when none took it.</summary>
    public bool TryReannounce() => Volatile.Read(ref _target)?.Reannounce() ?? false;

    /// <summary>Gives the running torrent its trackers (tiers, BEP 12); false when none took them.</summary>
    public bool TrySetTrackers(IReadOnlyList<IReadOnlyList<string>> tiers) => Volatile.Read(ref _target)?.Trackers(tiers) ?? false;

    /// <summary>Gives the running torrent a peer to dial; false when none took it.</summary>
    public bool TryAddPeer(IPEndPoint peer) => Volatile.Read(ref _target)?.AddPeer(peer) ?? false;

    /// <summary>Gives the running torrent its peer cap; false when none took it.</summary>
    public bool TrySetMaxPeers(int maxPeers) => Volatile.Read(ref _target)?.MaxPeers(maxPeers) ?? false;
}
