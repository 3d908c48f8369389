using System.Text.Json;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>Why a torrent makes progress or not (<c>GET /api/torrents/{infoHash}/why</c>): the library's
/// <see cref="ProgressDiagnosis"/>, with the server's own queue said first.</summary>
/// <param name="InfoHash">The torrent's v1 info hash.</param>
/// <param name="Name">The torrent's name.</param>
/// <param name="Cause">The main reason: progressing, complete, paused, queued, busy, noMetadata, disk, failed,
/// trackersUnreachable, trackersRefused, noPeers, peersUnreachable, chokedByPeers, peersHaveNothing, waiting.</param>
/// <param name="Verdict">The main reason in one line.</param>
/// <param name="Trackers">Each tracker's last answer.</param>
/// <param name="Dht">The DHT's lookups; absent when the torrent does not use the DHT.</param>
/// <param name="Reachability">Whether a peer reached our port from outside.</param>
/// <param name="Peers">The peers tried lately, the connected ones first, then newest first.</param>
public sealed record WhyReport(string InfoHash, string Name, string Cause, string Verdict, WhyFinding[] Trackers, WhyFinding? Dht,
    WhyFinding Reachability, WhyFinding[] Peers)
{
    internal static WhyReport Of(ManagedTorrent torrent)
    {
        var diagnosis = torrent.Handle.Diagnose();
        var (cause, verdict) = torrent.State == TorrentState.Queued
            ? (StallCause.Queued, "queued: waiting for a download slot (the server runs a few at a time)")
            : (diagnosis.Cause, diagnosis.Verdict);
        return new(torrent.Torrent.InfoHash.Hex, torrent.Torrent.Name, ApiName(cause), verdict, [.. diagnosis.Trackers.Select(WhyFinding.Of)],
            diagnosis.Dht is { } dht ? WhyFinding.Of(dht) : null, WhyFinding.Of(diagnosis.Reachability), [.. diagnosis.Peers.Select(WhyFinding.Of)]);
    }

    /// <summary>An enum value as the API names it (camelCase, as the rest of its JSON).</summary>
    internal static string ApiName<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}

/// <summary>One finding of a diagnosis.</summary>
/// <param name="Subject">A tracker's URL, a peer's address, <c>dht</c> or <c>port</c>.</param>
/// <param name="Kind">ok, trackerUnreachable, trackerRefused, trackerUnregistered, noPeers, peerUnreachable, blocklisted,
/// addressRefused, refused, handshakeFailed, encryption, chokedUs, nothingWeWant, banned, disconnected, connected, nothing.</param>
/// <param name="Text">The same in words, with the tracker's or the connection's own reason.</param>
/// <param name="At">When it was seen.</param>
public sealed record WhyFinding(string Subject, string Kind, string Text, DateTimeOffset At)
{
    internal static WhyFinding Of(DiagnosisFinding finding) => new(finding.Subject, WhyReport.ApiName(finding.Kind), finding.Text, finding.At);
}
