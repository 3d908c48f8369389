using System.Text;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>A validated HTTP announce.</summary>
internal sealed record HttpAnnounce(InfoHash InfoHash, PeerId PeerId, int Port, long Uploaded, long Downloaded, long Left,
    AnnounceEvent Event, int NumWant, bool Compact, bool NoPeerId, string? TrackerId);

/// <summary>The checks a classroom tracker makes on an announce, each failing with a reason that names the problem.</summary>
internal static class TrackerRequestRules
{
    private const int DefaultNumWant = 50; // BEP 3 leaves it to the tracker; 50 is the common choice

    /// <exception cref="TrackerException">The first problem found, in words a student can act on.</exception>
    public static HttpAnnounce ValidateAnnounce(TrackerQuery query, IReadOnlyCollection<InfoHash>? allowed)
    {
        var infoHash = ToInfoHash(query.Bytes("info_hash") ?? throw new TrackerException("missing 'info_hash'"));
        var peerIdBytes = query.Bytes("peer_id") ?? throw new TrackerException("missing 'peer_id'");
        // BEP 3: "peer_id: A string of length 20 which this downloader uses as its id."
        if (peerIdBytes.Length != PeerId.Length)
            throw new TrackerException($"'peer_id' must be {PeerId.Length} bytes, got {peerIdBytes.Length}");
        var port = (int)query.RequireNumber("port", ushort.MaxValue);
        if (port == 0) throw new TrackerException("'port' must be between 1 and 65535, got '0'");
        var uploaded = query.RequireNumber("uploaded");
        var downloaded = query.RequireNumber("downloaded");
        var left = query.RequireNumber("left");
        var evt = query.Text("event") switch
        {
            null or "" or "empty" => AnnounceEvent.None,
            "started" => AnnounceEvent.Started,
            "completed" => AnnounceEvent.Completed,
            "stopped" => AnnounceEvent.Stopped,
            "paused" => AnnounceEvent.Paused,   // BEP 21: a partial seed; a regular announce for the peer list
            var other => throw new TrackerException($"'event' must be started, completed, stopped, paused or empty, got '{other}'"),
        };
        var numWant = query.Bytes("numwant") is null ? DefaultNumWant : (int)query.RequireNumber("numwant", int.MaxValue);
        if (allowed is not null && !allowed.Contains(infoHash))
            throw new TrackerException($"unknown info_hash {infoHash.Hex}: this tracker does not track that torrent");
        return new HttpAnnounce(infoHash, new PeerId(peerIdBytes), port, uploaded, downloaded, left, evt, numWant,
            Compact: query.Text("compact") != "0", NoPeerId: query.Text("no_peer_id") == "1", query.Text("trackerid"));
    }

    /// <summary>An info hash from its query bytes: exactly 20 raw bytes (BEP 3), never 40 hex characters.</summary>
    public static InfoHash ToInfoHash(byte[] bytes)
    {
        if (bytes.Length == 2 * InfoHash.Length && bytes.All(b => Uri.IsHexDigit((char)b)))
            throw new TrackerException($"'info_hash' is 40 hex characters ({Encoding.ASCII.GetString(bytes)}): " +
                "send the 20 raw bytes percent-encoded, don't send it as hex");
        if (bytes.Length != InfoHash.Length)
            throw new TrackerException($"'info_hash' must be {InfoHash.Length} raw bytes, got {bytes.Length}");
        return new InfoHash(bytes);
    }
}
