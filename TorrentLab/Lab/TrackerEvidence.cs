namespace TorrentLab.Lab;

/// <summary>Hints drawn from what our tracker saw: the reason it rejected an announce, or that no announce came.</summary>
internal static class TrackerEvidence
{
    /// <summary>A hint when the tracker rejected the student's announce or never heard from it; null when it
    /// answered the student normally.</summary>
    public static string? Hint(LabSwarm swarm)
    {
        var lines = swarm.Log.Where(l => l.StartsWith("tracker:", StringComparison.Ordinal)).ToList();
        var rejected = lines.FirstOrDefault(l => l.Contains("rejected", StringComparison.Ordinal));
        if (rejected is not null)
        {
            var reason = rejected[(rejected.IndexOf(": ", rejected.IndexOf("rejected", StringComparison.Ordinal), StringComparison.Ordinal) + 2)..];
            if (reason.Contains("hex", StringComparison.Ordinal))
                return "the tracker got the info hash as 40 hex characters: send the 20 raw bytes of the SHA-1, percent-encoded " +
                    "(e.g. %d6%9f...), not its hex text. Tracker said: " + reason;
            return "the tracker refused your announce: " + reason;
        }
        // The seeders announce first, with left=0; a student's announce is any other.
        var seeders = swarm.Peers.Select(p => $":{p.EndPoint.Port} ").ToList();
        var student = lines.Where(l => l.Contains("announce http", StringComparison.Ordinal) && !seeders.Any(l.Contains)).ToList();
        if (student.Count == 0)
            return $"no announce reached the tracker: send an HTTP GET to the torrent's 'announce' URL ({swarm.Tracker.HttpAnnounceUrl}) " +
                "with info_hash, peer_id, port, uploaded, downloaded, left and compact=1";
        return null;
    }
}
