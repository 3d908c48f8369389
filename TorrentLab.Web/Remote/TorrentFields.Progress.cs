using static TorrentLab.Web.Moves;

namespace TorrentLab.Web;

// The rows of what a torrent is and how far it got: its identity, state, sizes, bytes moved, rates, peers and times.
// Each row: what moves it, then its REST, Transmission and qBittorrent names (null: that API has no such field), then
// its value. Bytes are bytes and rates bytes per second in all three APIs; dates are Unix seconds in both daemons'.
internal static partial class TorrentFields
{
    private static TorrentField[] Progress() =>
    [
        // What it is.
        new(WithVersion, null, "id", null, v => v.TransmissionId),
        new(WithVersion, "name", "name", "name", v => v.Summary.Name),
        new(WithVersion, "infoHash", "hashString", "infohash_v1", v => v.Summary.InfoHash),
        new(WithVersion, null, null, "infohash_v2", v => v.Torrent.Torrent.InfoHashV2?.Hex ?? ""),
        // BEP 27: a private torrent finds peers through its trackers only (no DHT, PEX or local discovery). qBittorrent's
        // torrents/properties has said so since 4.5.1 and its torrents/info since 5.0 (5.0.x wrote the key as "private",
        // qBittorrent issue 22113; its source names it is_private, as torrents/properties does).
        new(WithVersion, "isPrivate", "isPrivate", "is_private", v => v.Summary.IsPrivate),
        new(WithVersion, null, "magnetLink", "magnet_uri", v => v.Torrent.Torrent.MagnetLink),
        new(WithVersion, "pieceCount", "pieceCount", null, v => v.Summary.PieceCount),
        new(WithVersion, null, "pieceSize", null, v => v.Torrent.Torrent.PieceLength),
        new(WithVersion, null, "metadataPercentComplete", null, _ => 1), // a torrent is listed once its metadata is here

        // Where it stands. Transmission's status codes and qBittorrent's state strings from the REST API's state.
        new(WithVersion, "state", "status", "state", v => v.Summary.State)
        {
            InTransmission = (v, _) => (int)StatusOf(v.Summary),
            InQBittorrent = (v, _) => StateOf(v.Summary),
        },
        new(WithVersion, null, "isStopped", null, v => StatusOf(v.Summary) == TransmissionStatus.Stopped),
        new(WithVersion, null, "isFinished", null, v => v.Summary.State == "completed"),
        new(WithVersion, "stalled", "isStalled", null, v => v.Summary.Stalled),
        new(WithVersion, null, "error", null, v => v.Summary.Error is not null ? 3 : v.Summary.TrackerError is not null ? 2 : 0), // 3 local error, 2 tracker error
        new(WithVersion, null, "errorString", null, v => v.Summary.Error ?? v.Summary.TrackerError ?? ""),
        new(WithVersion, null, "recheckProgress", null, _ => 0),

        // Sizes and how much is held.
        new(WithVersion, "size", "totalSize", "total_size", v => v.Summary.Size),
        new(WithVersion, null, "sizeWhenDone", "size", v => v.Wanted), // the files it downloads, skipped ones left out
        new(WithVersion, null, "leftUntilDone", "amount_left", v => v.Left),
        new(WithVersion, "bytesDone", "haveValid", "completed", v => v.Summary.BytesDone),
        new(WithVersion, null, "haveUnchecked", null, _ => 0),
        new(WithVersion, null, "desiredAvailable", null, _ => 0),
        new(WithVersion, "progress", "percentDone", "progress", v => v.Summary.Progress), // of the wanted bytes, 0..1
        new(WithVersion, null, "percentComplete", null, v => v.Summary.PieceCount == 0 ? 1 : (double)v.Summary.PiecesDone / v.Summary.PieceCount),

        // Bytes moved. Downloaded is what it gained while it ran (0 for data it was added with), as both daemons count.
        new(WithVersion, null, "downloadedEver", "downloaded", v => v.Torrent.Downloaded),
        new(WithVersion, null, null, "downloaded_session", v => v.Torrent.DownloadedThisSession),
        new(WithVersion, "uploaded", "uploadedEver", "uploaded", v => v.Summary.Uploaded),
        new(WithVersion, null, null, "uploaded_session", v => v.Summary.Uploaded),
        new(WithVersion, null, "corruptEver", null, _ => 0),
        new(WithVersion, "ratio", "uploadRatio", "ratio", v => v.Summary.Ratio),
        new(WithVersion, "downloadRate", "rateDownload", "dlspeed", v => (long)v.Summary.DownloadRate),
        new(WithVersion, "uploadRate", "rateUpload", "upspeed", v => (long)v.Summary.UploadRate),
        // Seconds left while downloading. Not known: Transmission -2 while downloading (unknown) and -1 otherwise (not
        // available); qBittorrent its MAX_ETA.
        new(WithVersion, "eta", "eta", "eta", v => (long?)v.Summary.Eta)
        {
            InTransmission = (v, eta) => eta.Or(v.Summary.State == "downloading" ? -2 : -1),
            InQBittorrent = (_, eta) => eta.Or(QBittorrentUnknownEta),
        },
        new(WithVersion, null, "etaIdle", null, _ => -1),

        // Peers. The swarm's own counts come from the trackers' last answers (no scrape); none yet: 0, as qbittorrent-nox.
        new(WithVersion, "peers", "peersConnected", null, v => v.Summary.Peers),
        new(WithVersion, null, "peersSendingToUs", null, v => v.Summary.DownloadRate > 0 ? v.Summary.Peers : 0),
        new(WithVersion, null, "peersGettingFromUs", null, v => v.Summary.UploadRate > 0 ? v.Summary.Peers : 0),
        new(WithVersion, null, "webseedsSendingToUs", null, _ => 0),
        new(Unmarked, null, null, "num_seeds", v => v.Seeds),
        new(Unmarked, null, null, "num_leechs", v => v.Peers.Count - v.Seeds),
        new(WithVersion, null, null, "num_complete", v => v.Answered.Count == 0 ? 0 : v.Answered.Max(a => a.Seeders)),
        new(WithVersion, null, null, "num_incomplete", v => v.Answered.Count == 0 ? 0 : v.Answered.Max(a => a.Leechers)),
        new(WithVersion, null, null, "availability", _ => -1), // qBittorrent's distributed copies: not known here
        new(Unmarked, null, "availability", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WriteAvailability(v.Torrent, w) },
        new(Unmarked, null, "peers", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WritePeers(v.Torrent, w) },
        new(WithVersion, null, "peersFrom", null, _ => FieldValue.None) { WriteTransmission = (w, _) => TransmissionRpc.WritePeersFrom(w) },
        // When a connected peer last had every piece (not its own completion); never: 0, as qbittorrent-nox 4.5.2.
        new(Unmarked, null, null, "seen_complete", v => FieldValue.Seconds(v.Torrent.SeenComplete).Or(0)),

        // Times. A moment that never came: Transmission 0, qBittorrent -1.
        new(WithVersion, "addedAt", "addedDate", "added_on", v => FieldValue.Seconds(v.Summary.AddedAt)),
        // As Transmission: a torrent that never moved payload was last active when it was added.
        new(Unmarked, null, "activityDate", "last_activity", v => FieldValue.Seconds(v.Torrent.LastActivity ?? v.Summary.AddedAt)),
        new(Unmarked, null, "doneDate", "completion_on", v => FieldValue.Seconds(v.Torrent.CompletedAt))
        {
            InTransmission = (_, at) => at.Or(0),
            InQBittorrent = (_, at) => at.Or(-1),
        },
        new(Unmarked, null, "startDate", null, v => FieldValue.Seconds(v.Torrent.RunStartedAt).Or(0)), // 0: not running
        new(WithVersion, null, "editDate", null, _ => 0), // never edited (Transmission 3.00 answers 0 for a torrent added since it started)
        new(WithVersion, null, "manualAnnounceTime", null, _ => -1), // a reannounce may be asked for at any time
        new(WithClock, null, "secondsDownloading", null, v => v.Torrent.SecondsDownloading),
        new(WithClock, null, "secondsSeeding", "seeding_time", v => v.Torrent.SecondsSeeding),
        new(WithClock, null, null, "time_active", v => v.Torrent.SecondsDownloading + v.Torrent.SecondsSeeding),
    ];
}
