using System.Text.RegularExpressions;
using TorrentLab.Extensions;

namespace TorrentLab.Lab;

/// <summary>Hints drawn from what the magnet peers logged about the extension protocol (BEP 10) and the metadata
/// exchange (BEP 9): a handshake without the extension bit, a message sent under an id the peer never gave, a
/// request for a piece past the end, pieces never asked for, corrupted metadata that was trusted.</summary>
internal static partial class MagnetEvidence
{
    /// <summary>A hint for the first classic mistake the peers' log proves, or null when it proves none.</summary>
    /// <param name="swarm">The swarm (its log and torrent).</param>
    /// <param name="metadataId">The id the peers receive ut_metadata on.</param>
    /// <param name="run">How the program ended.</param>
    /// <param name="fetchedMetadata">Whether the stage needs the metadata (magnet_info and the downloads), so that pieces
    /// never requested are a mistake; false for magnet_handshake.</param>
    public static string? Hint(LabSwarm swarm, byte metadataId, StudentRun run, bool fetchedMetadata)
    {
        var log = swarm.Log;
        bool Logged(string phrase) => log.Any(l => l.Contains(phrase, StringComparison.Ordinal));
        if (Logged(PeerLog.NoExtensionBit) && !Logged(PeerLog.ReceivedExtensionHandshake))
            return "your handshake did not set the extension bit, so the peer sent no extension handshake: set bit 0x10 of " +
                "reserved byte 5 (the sixth of the 8 reserved bytes, counting from 0), as BEP 10 says";
        if (log.FirstOrDefault(l => l.Contains(PeerLog.UnassignedId, StringComparison.Ordinal)) is { } unassigned)
        {
            var sent = UnassignedIdPattern().Match(unassigned).Groups[1].Value;
            return OwnMetadataId(log) is { } own && own.ToString(System.Globalization.CultureInfo.InvariantCulture) == sent
                ? $"you sent a ut_metadata message with id {sent}, the id from YOUR extension handshake: send with the id the PEER " +
                  $"gave in its handshake's 'm' dictionary ({metadataId} here); ids are chosen by the receiver"
                : $"you sent an extended message with id {sent}, which the peer never assigned: use m['ut_metadata'] from the " +
                  $"peer's extension handshake ({metadataId} here), and id 0 only for the extension handshake itself";
        }
        if (!fetchedMetadata) return null;
        var size = swarm.Torrent.Torrent.RawInfo.Length;
        var count = MetadataMessage.PieceCount(size);
        var answered = log.Select(l => AnsweredPattern().Match(l)).Where(m => m.Success).ToList();
        var pastEnd = answered.FirstOrDefault(m => m.Groups[2].Value == "reject" && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= count);
        if (pastEnd is not null)
            return $"you asked for metadata piece {pastEnd.Groups[1].Value}, but metadata_size is {size} bytes: {count} piece(s) " +
                $"of 16 KiB (16384 bytes), numbered 0..{count - 1}, the last one shorter";
        var requested = answered.Where(m => m.Groups[2].Value == "data").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        if (requested.Count > 0 && requested.Count < count)
            return $"metadata_size is {size} bytes, which is {count} pieces of 16 KiB: request every piece (0..{count - 1}) and join " +
                "the data of each in order before you decode it";
        var last = answered.LastOrDefault();
        if (run.TimedOut && last is not null && last.Groups[2].Value == "reject")
            return "a peer rejected your metadata request (ut_metadata msg_type 2: it has no metadata to give) and your program " +
                "kept waiting for data that never comes: on a reject, leave that peer and ask another one from the magnet link's " +
                "tracker, and never wait for a peer without a timeout";
        var honestCopy = HonestFullCopy(log, count);
        var usedBlocks = swarm.Trace.Any(l => l.Contains("<- request ", StringComparison.Ordinal));
        if (honestCopy && !run.Succeeded && !run.TimedOut && !usedBlocks)
            return "an honest peer sent you every metadata piece, yet your program did not accept the metadata (did its SHA-1 " +
                "differ from the link's info hash?): a ut_metadata data message is a bencoded dictionary {msg_type, piece, " +
                "total_size} FOLLOWED by the piece's bytes; keep only the bytes after that dictionary's closing 'e', then join " +
                "the pieces in order and hash them";
        if (Logged(PeerLog.MetadataCorrupted) && !run.TimedOut && !honestCopy)
            return "a peer sent metadata that does not hash to the info hash, and you used it: compute the SHA-1 of the joined " +
                "pieces, compare it with the magnet link's info hash, and fetch the metadata from another peer when they differ";
        return null;
    }

    /// <summary>Whether some peer of <paramref name="swarm"/> sent one connection every metadata piece, uncorrupted.</summary>
    public static bool ServedEveryMetadataPiece(LabSwarm swarm) =>
        HonestFullCopy(swarm.Log, MetadataMessage.PieceCount(swarm.Torrent.Torrent.RawInfo.Length));

    /// <summary>Whether one connection to a peer that serves true metadata answered every piece with data.</summary>
    private static bool HonestFullCopy(IReadOnlyList<string> log, int count) =>
        log.Where(l => !l.Contains(PeerLog.MetadataCorrupted, StringComparison.Ordinal))
            .Select(l => (Line: l, Match: AnsweredPattern().Match(l)))
            .Where(a => a.Match.Success && a.Match.Groups[2].Value == "data")
            .GroupBy(a => a.Line[..a.Line.IndexOf(": answered", StringComparison.Ordinal)])   // "peer 127.0.0.1:40001: connection 2"
            .Any(g => g.Select(a => a.Match.Groups[1].Value).Distinct().Count() == count);

    /// <summary>The ut_metadata id the downloader announced in its extension handshake, if a peer logged it.</summary>
    public static int? OwnMetadataId(IReadOnlyList<string> log) =>
        log.Select(l => OwnIdPattern().Match(l)).FirstOrDefault(m => m.Success) is { } m
            ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    // "received extended message with id 3, which is not an id we assigned (we receive ut_metadata on 41)"
    [GeneratedRegex(@"received extended message with id (\d+),")]
    private static partial Regex UnassignedIdPattern();

    // "answered ut_metadata request piece=1 with ut_metadata data piece=1 total_size=16620 len=236"
    [GeneratedRegex(@"answered ut_metadata request piece=(\d+) with ut_metadata (data|reject)")]
    private static partial Regex AnsweredPattern();

    // "received extension handshake m={ut_metadata: 1} ..."
    [GeneratedRegex(@"received extension handshake m=\{[^}]*ut_metadata: (\d+)")]
    private static partial Regex OwnIdPattern();
}
