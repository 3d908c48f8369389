using System.Text.RegularExpressions;

namespace TorrentLab.Lab;

/// <summary>Hints drawn from what our tracker saw: the reason it rejected an announce, an info hash that arrived
/// changed by its encoding, an announce that never came, or a magnet announce that claimed to be a seeder.</summary>
internal static partial class TrackerEvidence
{
    /// <summary>A hint when the tracker rejected the student's announce, got a slipped info hash, or never heard from
    /// it; null when it answered the student normally.</summary>
    /// <param name="swarm">The swarm (its log, torrent and seeders).</param>
    /// <param name="magnet">Whether the program was given a magnet link (the tracker URL is its <c>tr</c>) rather than a
    /// .torrent file (the top-level <c>announce</c>).</param>
    public static string? Hint(LabSwarm swarm, bool magnet = false)
    {
        var lines = swarm.Log.Where(l => l.StartsWith("tracker:", StringComparison.Ordinal)).ToList();
        var rejected = lines.FirstOrDefault(l => l.Contains("rejected", StringComparison.Ordinal));
        if (rejected is not null)
        {
            var reason = rejected[(rejected.IndexOf(": ", rejected.IndexOf("rejected", StringComparison.Ordinal), StringComparison.Ordinal) + 2)..];
            if (reason.Contains("hex", StringComparison.Ordinal))
                return "the tracker got the info hash as 40 hex characters: send the 20 raw bytes of the SHA-1, percent-encoded " +
                    "(e.g. %d6%9f...), not its hex text. Tracker said: " + reason;
            return InfoHashEncoding.ExplainLength(swarm.Torrent.Torrent.InfoHash.Bytes, reason) is { } slip
                ? slip + ". Tracker said: " + reason
                : "the tracker refused your announce: " + reason;
        }
        var student = StudentAnnounces(swarm);
        if (student.Count == 0)
            return magnet
                ? $"no announce reached the tracker: send an HTTP GET to the magnet link's tracker (its 'tr' parameter, percent-decoded: " +
                  $"{swarm.Tracker.HttpAnnounceUrl}) with info_hash (the 20 bytes of the link's hex hash), peer_id, port, uploaded, " +
                  "downloaded, left and compact=1"
                : $"no announce reached the tracker: send an HTTP GET to the torrent's 'announce' URL ({swarm.Tracker.HttpAnnounceUrl}) " +
                  "with info_hash, peer_id, port, uploaded, downloaded, left and compact=1";
        var expected = swarm.Torrent.Torrent.InfoHash.Hex;
        var announced = student.Select(l => AnnouncePattern().Match(l)).Where(m => m.Success).Select(m => m.Groups["hash"].Value).ToList();
        if (announced.Count > 0 && !announced.Contains(expected))
            return InfoHashEncoding.ExplainSlip(swarm.Torrent.Torrent.InfoHash.Bytes, Convert.FromHexString(announced[0]))
                ?? (InfoHashMistakes.Explain(swarm.Torrent, announced[0]) is { } mistake ? $"the tracker got info hash {announced[0]}: {mistake}" : null)
                ?? $"the tracker got info hash {announced[0]}, not the torrent's {expected}, so it listed no peers: send the 20 raw bytes of " +
                   "the SHA-1 of the info dictionary, each byte that is not a letter, digit or one of - . _ ~ written as %XX";
        return null;
    }

    /// <summary>A hint when the program's first announce for a magnet link said <c>left=0</c> (it claimed to be a seeder
    /// before it had anything), else null; a <c>completed</c> or later announce may rightly say 0.</summary>
    public static string? SeederAnnounceHint(LabSwarm swarm) =>
        StudentAnnounces(swarm).FirstOrDefault() is { } first && first.Contains(" left=0 ", StringComparison.Ordinal)
            ? "you announced left=0, which tells the tracker you are a seeder with nothing left to download (trackers may then " +
              "list no seeders to you): a magnet link does not tell the length, so announce a positive left (1 is fine) until " +
              "the metadata arrives, then the bytes you still miss"
            : null;

    /// <summary>The tracker's lines for the student's announces: the seeders announce first, each from its own port.</summary>
    private static List<string> StudentAnnounces(LabSwarm swarm)
    {
        var seeders = swarm.Peers.Select(p => $":{p.EndPoint.Port} ").ToList();
        return [.. swarm.Log.Where(l => l.StartsWith("tracker: announce http", StringComparison.Ordinal) && !seeders.Any(l.Contains))];
    }

    // "tracker: announce http 127.0.0.1:6881 d69f...40 hex event=started left=12 -> 2 peer(s), ..."
    [GeneratedRegex(@"^tracker: announce http \S+ (?<hash>[0-9a-f]{40}) ")]
    private static partial Regex AnnouncePattern();
}
