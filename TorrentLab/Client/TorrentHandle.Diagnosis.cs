using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>Why the torrent makes progress or not (issue 81): what its trackers, the DHT and its peers did lately,
/// remembered as the engine reports it (<see cref="DiagnosisMemory"/>), and the one-line verdict drawn from it.</summary>
public sealed partial class TorrentHandle
{
    private DiagnosisMemory? _memory; // made at the first report

    private DiagnosisMemory Memory => LazyInitializer.EnsureInitialized(ref _memory, () => new DiagnosisMemory(_session.Session.Settings.Time));

    /// <summary>How many peers tried a diagnosis remembers (the newest).</summary>
    public static int DiagnosisPeers => DiagnosisMemory.MaxPeers;

    /// <summary>Why the torrent makes progress or does not, now: a verdict line and the findings it comes from (each
    /// tracker's last answer, the DHT's lookups, the peers tried lately and why each was dropped or refused, whether
    /// a peer reached us from outside).</summary>
    public ProgressDiagnosis Diagnose()
    {
        var memory = Memory;
        TorrentState state;
        Exception? error;
        DownloadProgress? progress;
        bool usesDht;
        lock (_lock) (state, error, progress, usesDht) = (State, _error, _run is null ? null : _progress, _session.Session.Settings.Dht && !Torrent.IsPrivate);
        return DiagnosisVerdict.Diagnose(memory, state, error, progress, usesDht, _session.Session.Settings.Time.GetUtcNow());
    }

    void ITorrentEvents.PeerTried(IPEndPoint peer, FindingKind kind, string reason) => Memory.Peer(peer, kind, reason);
    void ITorrentEvents.Reached(IPEndPoint by, IPAddress? seenAs) => Memory.Reached(by, seenAs);
    void ITorrentEvents.DhtLookedUp(int found, string? error) => Memory.DhtLookup(found, error);
}
