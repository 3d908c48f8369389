using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Storage;

namespace TorrentLab.Client;

/// <summary>The one-line answer to "why no progress" (issue 81), drawn from a torrent's state and what its trackers,
/// the DHT and its peers did lately (<see cref="DiagnosisMemory"/>).</summary>
internal static class DiagnosisVerdict
{
    /// <summary>The diagnosis of a torrent in <paramref name="state"/> (its <paramref name="progress"/> while it runs)
    /// from what <paramref name="memory"/> holds, at <paramref name="now"/>.</summary>
    public static ProgressDiagnosis Diagnose(DiagnosisMemory memory, TorrentState state, Exception? error, DownloadProgress? progress,
        bool usesDht, DateTimeOffset now)
    {
        var connected = (progress?.Peers ?? []).Select(p => Connected(p, now)).ToList();
        var shown = connected.Select(c => c.Subject).ToHashSet();
        var peers = connected.Concat(memory.Peers.Where(p => !shown.Contains(p.Subject))).ToList();
        var trackers = memory.Trackers;
        var dht = usesDht ? memory.Dht ?? new DiagnosisFinding("dht", FindingKind.Nothing, "no lookup ended yet", now) : null;
        var (cause, verdict) = Of(state, error, progress, trackers, dht, connected, memory.Peers);
        return new ProgressDiagnosis
        {
            Cause = cause, Verdict = verdict, State = state, Trackers = trackers, Dht = dht, Peers = peers,
            Reachability = memory.Reachability ?? new DiagnosisFinding("port", FindingKind.Nothing, "no peer has reached us from outside yet", now),
        };
    }

    /// <summary>A connected peer as a finding: choking us while we want its pieces, having nothing we want, or fine.</summary>
    private static DiagnosisFinding Connected(PeerProgress peer, DateTimeOffset now)
    {
        var name = IPEndPoint.TryParse(peer.Address, out var endpoint) ? DiagnosisMemory.Name(endpoint) : peer.Address;
        var (kind, text) = peer switch
        {
            { DownloadRate: > 0 } => (FindingKind.Ok, $"connected ({peer.Client}), sending"),
            { AmInterested: true, PeerChoking: true } => (FindingKind.ChokedUs, $"connected ({peer.Client}), choked us while we want its pieces"),
            { AmInterested: false } => (FindingKind.NothingWeWant, $"connected ({peer.Client}), has nothing we want"),
            _ => (FindingKind.Connected, $"connected ({peer.Client})"),
        };
        return new DiagnosisFinding(name, kind, text, now);
    }

    /// <summary>The main reason, in order: what stops the torrent (state, disk), then whether data arrives, then what
    /// the connected peers do, then why no peer is connected (the peers tried, then the sources).</summary>
    private static (StallCause, string) Of(TorrentState state, Exception? error, DownloadProgress? progress,
        IReadOnlyList<DiagnosisFinding> trackers, DiagnosisFinding? dht, List<DiagnosisFinding> connected, IReadOnlyList<DiagnosisFinding> tried)
    {
        switch (state)
        {
            case TorrentState.Failed when error is StorageException or IOException or UnauthorizedAccessException:
                return (StallCause.Disk, $"its files cannot be written: {UntrustedText.Clean(error.Message, 300)}");
            case TorrentState.Failed:
                return (StallCause.Failed, $"failed: {UntrustedText.Clean(error?.Message, 300)}");
            case TorrentState.Paused: return (StallCause.Paused, "paused: start it to download");
            case TorrentState.Checking: return (StallCause.Busy, "checking the data on disk");
            case TorrentState.Moving: return (StallCause.Busy, "moving its data");
            case TorrentState.Seeding or TorrentState.Completed: return (StallCause.Complete, "complete: every wanted piece is verified");
        }
        if (progress is { DownloadRate: > 0 })
            return (StallCause.Progressing, $"downloading from {connected.Count(c => c.Kind == FindingKind.Ok)} of {connected.Count} connected peer(s)");
        if (connected.Count > 0)
        {
            if (connected.All(c => c.Kind == FindingKind.ChokedUs))
                return (StallCause.ChokedByPeers, $"every connected peer ({connected.Count}) keeps us choked: waiting for an upload slot");
            if (connected.All(c => c.Kind == FindingKind.NothingWeWant))
                return (StallCause.PeersHaveNothing, $"no connected peer ({connected.Count}) has a piece we want");
            return (StallCause.Waiting, $"{connected.Count} peer(s) connected, no data yet");
        }
        if (tried.Count > 0 && tried.All(p => p.Kind is not (FindingKind.Ok or FindingKind.Connected)))
        {
            var most = tried.GroupBy(p => p.Kind).OrderByDescending(g => g.Count()).First();
            return (StallCause.PeersUnreachable, $"no peer connected: {tried.Count} tried, mostly {Words(most.Key)} ({most.Count()}), e.g. {most.First().Subject}: {most.First().Text}");
        }
        if (trackers.Count > 0 && trackers.All(t => t.Kind is FindingKind.TrackerUnreachable) && dht is not { Kind: FindingKind.Ok })
            return (StallCause.TrackersUnreachable, $"no peer: every tracker is unreachable ({trackers[0].Subject}: {trackers[0].Text})");
        if (trackers.Count > 0 && trackers.All(t => t.Kind is FindingKind.TrackerUnreachable or FindingKind.TrackerRefused or FindingKind.TrackerUnregistered)
            && dht is not { Kind: FindingKind.Ok })
        {
            var refused = trackers.First(t => t.Kind is not FindingKind.TrackerUnreachable);
            return (StallCause.TrackersRefused, $"no peer: the tracker{(refused.Kind == FindingKind.TrackerUnregistered ? " does not know the torrent" : " refused")} ({refused.Subject}: {refused.Text})");
        }
        if (trackers.Count > 0 && trackers.All(t => t.Kind != FindingKind.Ok) && dht is not { Kind: FindingKind.Ok })
            return (StallCause.NoPeers, "no peer: the trackers answered with none" + (dht is null ? "" : " and the DHT found none"));
        return (StallCause.Waiting, progress?.Status is { } status ? $"waiting: {status}" : "waiting for peers");
    }

    /// <summary>The kind of a failed announce: the tracker's failure reason says whether it knows the torrent.</summary>
    public static FindingKind TrackerFailure(string? failureReason) =>
        failureReason is null ? FindingKind.TrackerUnreachable
        : failureReason.Contains("unregistered", StringComparison.OrdinalIgnoreCase) || failureReason.Contains("not registered", StringComparison.OrdinalIgnoreCase)
          || failureReason.Contains("not found", StringComparison.OrdinalIgnoreCase) ? FindingKind.TrackerUnregistered
        : FindingKind.TrackerRefused;

    private static string Words(FindingKind kind) => kind switch
    {
        FindingKind.PeerUnreachable => "unreachable",
        FindingKind.Blocklisted => "in the blocklist",
        FindingKind.AddressRefused => "addresses we may not dial",
        FindingKind.Refused => "not taken",
        FindingKind.HandshakeFailed => "failed handshakes",
        FindingKind.Encryption => "failed encryption",
        FindingKind.ChokedUs => "choked us",
        FindingKind.NothingWeWant => "had nothing we want",
        FindingKind.Banned => "banned",
        _ => "disconnected",
    };
}
