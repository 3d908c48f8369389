using System.Net;
using TorrentLab.Pieces;

namespace TorrentLab.Downloads;

/// <summary>The changes a running torrent takes without stopping: its file priorities and piece order while it
/// downloads; a reannounce, its trackers, a peer to dial, its peer cap, its seeding plan and super-seeding while it downloads or seeds. The swarm engine attaches
/// itself while it downloads (<c>Swarm/SwarmDownload.cs</c>) and a seeding torrent while it seeds
/// (<c>Swarm/SeedingTorrent.cs</c>); the session's torrent handle asks through it first, and stops and starts the run
/// only when nothing running took the change (the torrent prepares, or runs the single-peer reference story; a seeding
/// torrent that is to download more with no swarm awake to do it in).</summary>
internal sealed class LiveChanges
{
    private Target? _target;

    /// <summary>What a running torrent takes: each returns false when it no longer can (the swarm stopped downloading, the
    /// seeding ended); a seeding torrent takes a <see cref="Selection"/> that wants more by downloading it, and keeps a
    /// <see cref="Sequential"/> order for then.</summary>
    internal sealed record Target(
        Func<PieceSelection, bool>? Selection,
        Func<bool, bool>? Sequential,
        Func<bool> Reannounce,
        Func<IReadOnlyList<IReadOnlyList<string>>, bool> Trackers,
        Func<IPEndPoint, bool> AddPeer,
        Func<int, bool> MaxPeers,
        Func<SeedingPlan, bool>? Seeding = null,
        Func<bool, bool>? SuperSeed = null);

    /// <summary>Whether a download seeds once complete, and until when (<see cref="DownloadOptions.SeedAfterDownload"/>,
    /// <see cref="DownloadOptions.SeedRatio"/>, <see cref="DownloadOptions.SeedTime"/>,
    /// <see cref="DownloadOptions.SeedIdleTime"/>).</summary>
    internal sealed record SeedingPlan(bool Seed, double? Ratio, TimeSpan? Time, TimeSpan? Idle = null)
    {
        public static SeedingPlan Of(DownloadOptions o) => new(o.SeedAfterDownload, o.SeedRatio, o.SeedTime, o.SeedIdleTime);

        public DownloadOptions Into(DownloadOptions o) => o with { SeedAfterDownload = Seed, SeedRatio = Ratio, SeedTime = Time, SeedIdleTime = Idle };
    }

    /// <summary>A download's seeding plan until it completes: changed live until then (<see cref="TrySet"/>), read once
    /// at completion (<see cref="Decide"/>), after which a change is the seeding run's to take or refuse.</summary>
    internal sealed class SeedingChoice(DownloadOptions options)
    {
        private readonly Lock _lock = new();
        private SeedingPlan _plan = SeedingPlan.Of(options);
        private bool _decided;

        /// <summary>The plan from now on; false once the download completed (its seeding started as it was).</summary>
        public bool TrySet(SeedingPlan plan)
        {
            lock (_lock)
            {
                if (_decided) return false;
                _plan = plan;
                return true;
            }
        }

        /// <summary>The download completed: <paramref name="o"/> with the plan as it stands now, for good.</summary>
        public DownloadOptions Decide(DownloadOptions o)
        {
            lock (_lock)
            {
                _decided = true;
                return _plan.Into(o);
            }
        }
    }

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

    /// <summary>Gives the running download its seeding plan (whether it seeds once complete, until when); false when
    /// none took it (no download runs, or it completed already).</summary>
    public bool TrySetSeeding(SeedingPlan plan) => Volatile.Read(ref _target)?.Seeding?.Invoke(plan) ?? false;

    /// <summary>Turns the running torrent's super-seeding on or off (BEP 16); false when none took it.</summary>
    public bool TrySetSuperSeed(bool on) => Volatile.Read(ref _target)?.SuperSeed?.Invoke(on) ?? false;

    /// <summary>Gives the running torrent its peer cap; false when none took it.</summary>
    public bool TrySetMaxPeers(int maxPeers) => Volatile.Read(ref _target)?.MaxPeers(maxPeers) ?? false;

    /// <summary>Gives the running torrent of <paramref name="torrent"/> new options with its peers kept when all that
    /// changed is live (its peer cap, piece order, file priorities, trackers, peers to dial, super-seeding, its seeding
    /// plan before it completes); false when anything else changed or the run refused a part (it then starts again with
    /// them all). The one test of what is live, for every change of settings.</summary>
    public bool TryTake(DownloadOptions before, DownloadOptions after, Metainfo.Torrent torrent)
    {
        var rest = after with
        {
            MaxPeers = before.MaxPeers, Engine = before.Engine, Sequential = before.Sequential, FilePriorities = before.FilePriorities,
            Trackers = before.Trackers, ExtraPeers = before.ExtraPeers,
            SeedAfterDownload = before.SeedAfterDownload, SeedRatio = before.SeedRatio, SeedTime = before.SeedTime, SeedIdleTime = before.SeedIdleTime,
            SuperSeed = before.SuperSeed,
        };
        if (rest != before) return false; // a setting the engine reads only at a start
        if ((after.MaxPeers != before.MaxPeers || after.Engine != before.Engine)
            && !(before.EngineToRun == DownloadEngine.Swarm && after.EngineToRun == DownloadEngine.Swarm && TrySetMaxPeers(after.MaxPeers)))
            return false;
        if (after.Sequential != before.Sequential && !TrySetSequential(after.Sequential)) return false;
        if (!ReferenceEquals(after.FilePriorities, before.FilePriorities)
            && !(after.FilePriorities ?? []).SequenceEqual(before.FilePriorities ?? [])
            && !TrySetSelection(PieceSelection.For(torrent, after.FilePriorities)))
            return false;
        var tiers = after.TrackersOf(torrent);
        if (!tiers.SequenceEqual(before.TrackersOf(torrent), TierComparer) && !TrySetTrackers(tiers)) return false;
        if (after.SuperSeed != before.SuperSeed && !TrySetSuperSeed(after.SuperSeed)) return false;
        foreach (var peer in after.ExtraPeers.Except(before.ExtraPeers))
            if (!TryAddPeer(peer)) return false; // a peer no longer given is not dialled again from the next start
        var plan = SeedingPlan.Of(after);
        return plan == SeedingPlan.Of(before) || TrySetSeeding(plan);
    }

    /// <summary>Two tiers are the same when they list the same trackers in the same order.</summary>
    private static readonly EqualityComparer<IReadOnlyList<string>> TierComparer = EqualityComparer<IReadOnlyList<string>>.Create(
        (a, b) => a is null ? b is null : b is not null && a.SequenceEqual(b), t => t.Count);
}
