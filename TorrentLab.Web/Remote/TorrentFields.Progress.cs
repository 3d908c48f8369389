using static TorrentLab.Web.Moves;

namespace TorrentLab.Web;

// The rows of what a torrent is and how far it got: its identity, state, sizes, bytes moved, rates, peers and times.
// Each row: what moves it, then its REST, Transmission and qBittorrent names (null: that API has no such field), then
// its value; qBittorrent's torrents/properties key, where that route gives it, follows as Properties. Bytes are bytes and rates bytes per second in all three APIs; dates are Unix seconds in both daemons'.
internal static partial class TorrentFields
{
    private static TorrentField[] Progress() =>
    [
        // What it is.
        new(WithVersion, null, "id", null, v => v.TransmissionId),
        new(WithVersion, "name", "name", "name", v => v.Summary.Name) { Properties = "name" },
        new(WithVersion, "infoHash", "hashString", "infohash_v1", v => v.Summary.InfoHash) { Properties = "infohash_v1" },
        new(WithVersion, null, null, null, v => v.Summary.InfoHash) { Properties = "hash" }, // torrents/info's is its object's key
        new(WithVersion, null, null, "infohash_v2", v => v.Torrent.Torrent.InfoHashV2?.Hex ?? "") { Properties = "infohash_v2" },
        // BEP 27: a private torrent finds peers through its trackers only (no DHT, PEX or local discovery). qBittorrent's
        // torrents/properties has said so since 4.5.1 and its torrents/info since 5.0 (5.0.x wrote the key as "private",
        // qBittorrent issue 22113; its source names it is_private, as torrents/properties does).
        new(WithVersion, "isPrivate", "isPrivate", "is_private", v => v.Summary.IsPrivate) { Properties = "is_private" },
        new(WithVersion, null, "magnetLink", "magnet_uri", v => v.Torrent.Torrent.MagnetLink),
        new(WithVersion, "pieceCount", "pieceCount", null, v => v.Summary.PieceCount) { Properties = "pieces_num" },
        new(WithVersion, null, "pieceSize", null, v => v.Torrent.Torrent.PieceLength) { Properties = "piece_size" },
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
        new(WithVersion, "size", "totalSize", "total_size", v => v.Summary.Size)
        {
            Properties = "total_size", Metric = new("torrentlab_torrent_size_bytes", "Bytes of every file of the torrent."),
        },
        new(WithVersion, null, "sizeWhenDone", "size", v => v.Wanted) // the files it downloads, skipped ones left out
        {
            Metric = new("torrentlab_torrent_wanted_bytes", "Bytes of the files it downloads (skipped files left out)."),
        },
        new(WithVersion, null, "leftUntilDone", "amount_left", v => v.Left),
        new(WithVersion, "bytesDone", "haveValid", "completed", v => v.Summary.BytesDone)
        {
            Metric = new("torrentlab_torrent_verified_bytes", "Bytes of the wanted files it holds, verified."),
        },
        new(WithVersion, "piecesDone", null, null, v => v.Summary.PiecesDone) { Properties = "pieces_have" },
        new(WithVersion, null, "haveUnchecked", null, _ => 0),
        new(WithVersion, null, "desiredAvailable", null, _ => 0),
        new(WithVersion, "progress", "percentDone", "progress", v => v.Summary.Progress) // of the wanted bytes, 0..1
        {
            Metric = new("torrentlab_torrent_progress_ratio", "How much of the wanted bytes it holds, 0 to 1."),
        },
        new(WithVersion, null, "percentComplete", null, v => v.Summary.PieceCount == 0 ? 1 : (double)v.Summary.PiecesDone / v.Summary.PieceCount),

        // Bytes moved. Downloaded is what it gained while it ran (0 for data it was added with), as both daemons count.
        new(WithVersion, null, "downloadedEver", "downloaded", v => v.Torrent.Downloaded)
        {
            Properties = "total_downloaded", Metric = new("torrentlab_torrent_downloaded_bytes_total", "Payload bytes it downloaded, every run.", Counter: true),
        },
        new(WithVersion, null, null, "downloaded_session", v => v.Torrent.DownloadedThisSession) { Properties = "total_downloaded_session" },
        new(WithVersion, "uploaded", "uploadedEver", "uploaded", v => v.Summary.Uploaded)
        {
            Properties = "total_uploaded", Metric = new("torrentlab_torrent_uploaded_bytes_total", "Payload bytes it uploaded, every run.", Counter: true),
        },
        new(WithVersion, null, null, "uploaded_session", v => v.Summary.Uploaded) { Properties = "total_uploaded_session" },
        new(WithVersion, null, "corruptEver", null, _ => 0) { Properties = "total_wasted" },
        new(WithVersion, "ratio", "uploadRatio", "ratio", v => v.Summary.Ratio)
        {
            Properties = "share_ratio", Metric = new("torrentlab_torrent_share_ratio", "Uploaded bytes over its size."),
        },
        new(WithVersion, "downloadRate", "rateDownload", "dlspeed", v => (long)v.Summary.DownloadRate)
        {
            Properties = "dl_speed", Metric = new("torrentlab_torrent_download_rate_bytes", "Payload download rate now, bytes per second."),
        },
        new(WithVersion, "uploadRate", "rateUpload", "upspeed", v => (long)v.Summary.UploadRate)
        {
            Properties = "up_speed", Metric = new("torrentlab_torrent_upload_rate_bytes", "Payload upload rate now, bytes per second."),
        },
        // Averages over the time it ran: downloaded over the seconds it downloaded, uploaded over all its seconds.
        new(WithClock, null, null, null, v => v.Torrent.SecondsDownloading == 0 ? 0 : v.Torrent.Downloaded / v.Torrent.SecondsDownloading) { Properties = "dl_speed_avg" },
        new(WithClock, null, null, null, v => ActiveSeconds(v) == 0 ? 0 : v.Summary.Uploaded / ActiveSeconds(v)) { Properties = "up_speed_avg" },
        // Seconds left while downloading. Not known: Transmission -2 while downloading (unknown) and -1 otherwise (not
        // available); qBittorrent its MAX_ETA.
        new(WithVersion, "eta", "eta", "eta", v => (long?)v.Summary.Eta)
        {
            Properties = "eta",
            InTransmission = (v, eta) => eta.Or(v.Summary.State == "downloading" ? -2 : -1),
            InQBittorrent = (_, eta) => eta.Or(QBittorrentUnknownEta),
        },
        new(WithVersion, null, "etaIdle", null, _ => -1),

        // Peers. The swarm's own counts come from the trackers' last answers (no scrape); none yet: 0, as qbittorrent-nox.
        new(WithVersion, "peers", "peersConnected", null, v => v.Summary.Peers)
        {
            Properties = "nb_connections", Metric = new("torrentlab_torrent_peers", "Peers connected now."),
        },
        new(WithVersion, null, "peersSendingToUs", null, v => v.Summary.DownloadRate > 0 ? v.Summary.Peers : 0),
        new(WithVersion, null, "peersGettingFromUs", null, v => v.Summary.UploadRate > 0 ? v.Summary.Peers : 0),
        new(WithVersion, null, "webseedsSendingToUs", null, _ => 0),
        new(Unmarked, null, null, "num_seeds", v => v.Seeds) { Properties = "seeds" },
        new(Unmarked, null, null, "num_leechs", v => v.Peers.Count - v.Seeds) { Properties = "peers" },
        // torrents/properties' totals: the most of the connected ones and the trackers' last counts.
        new(Unmarked, null, null, null, v => v.Answered.Count == 0 ? v.Seeds : Math.Max(v.Seeds, v.Answered.Max(a => a.Seeders))) { Properties = "seeds_total" },
        new(Unmarked, null, null, null, v => v.Answered.Count == 0 ? v.Peers.Count - v.Seeds : Math.Max(v.Peers.Count - v.Seeds, v.Answered.Max(a => a.Leechers))) { Properties = "peers_total" },
        new(WithVersion, null, null, "num_complete", v => v.Answered.Count == 0 ? 0 : v.Answered.Max(a => a.Seeders)),
        new(WithVersion, null, null, "num_incomplete", v => v.Answered.Count == 0 ? 0 : v.Answered.Max(a => a.Leechers)),
        new(WithVersion, null, null, "availability", _ => -1), // qBittorrent's distributed copies: not known here
        new(Unmarked, null, "availability", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WriteAvailability(v.Torrent, w) },
        new(Unmarked, null, "peers", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WritePeers(v.Torrent, w) },
        new(WithVersion, null, "peersFrom", null, _ => FieldValue.None) { WriteTransmission = (w, _) => TransmissionRpc.WritePeersFrom(w) },
        // When a connected peer last had every piece (not its own completion); never: 0, as qbittorrent-nox 4.5.2.
        new(Unmarked, null, null, "seen_complete", v => FieldValue.Seconds(v.Torrent.SeenComplete))
        {
            InQBittorrent = (_, at) => at.Or(0),
            Properties = "last_seen",
            InProperties = (_, at) => at.Or(-1),
        },

        // Times. A moment that never came: Transmission 0, qBittorrent -1.
        new(WithVersion, "addedAt", "addedDate", "added_on", v => FieldValue.Seconds(v.Summary.AddedAt)) { Properties = "addition_date" },
        // As Transmission: a torrent that never moved payload was last active when it was added.
        new(Unmarked, null, "activityDate", "last_activity", v => FieldValue.Seconds(v.Torrent.LastActivity ?? v.Summary.AddedAt)),
        new(Unmarked, null, "doneDate", "completion_on", v => FieldValue.Seconds(v.Torrent.CompletedAt))
        {
            Properties = "completion_date",
            InTransmission = (_, at) => at.Or(0),
            InQBittorrent = (_, at) => at.Or(-1),
        },
        new(Unmarked, null, "startDate", null, v => FieldValue.Seconds(v.Torrent.RunStartedAt).Or(0)), // 0: not running
        new(WithVersion, null, "editDate", null, _ => 0), // never edited (Transmission 3.00 answers 0 for a torrent added since it started)
        new(WithVersion, null, "manualAnnounceTime", null, _ => -1), // a reannounce may be asked for at any time
        new(Unmarked, null, null, null, NextAnnounceIn) { Properties = "reannounce" },
        new(WithClock, null, "secondsDownloading", null, v => v.Torrent.SecondsDownloading)
        {
            Metric = new("torrentlab_torrent_downloading_seconds_total", "Seconds it ran while incomplete, every run.", Counter: true),
        },
        new(WithClock, null, "secondsSeeding", "seeding_time", v => v.Torrent.SecondsSeeding)
        {
            Properties = "seeding_time", Metric = new("torrentlab_torrent_seeding_seconds_total", "Seconds it seeded, every run.", Counter: true),
        },
        new(WithClock, null, null, "time_active", v => ActiveSeconds(v)) { Properties = "time_elapsed" },
    ];

    /// <summary>The seconds it ran, downloading and seeding.</summary>
    private static long ActiveSeconds(FieldView v) => v.Torrent.SecondsDownloading + v.Torrent.SecondsSeeding;

    /// <summary>Seconds until the soonest next announce of a tracker that answered, while it runs; 0 when none is due.</summary>
    private static FieldValue NextAnnounceIn(FieldView v)
    {
        if (!v.Torrent.IsRunning) return 0;
        var next = v.Answered.Select(a => a.NextAt).OfType<DateTimeOffset>().DefaultIfEmpty().Min();
        return next == default ? 0 : Math.Max(0, (long)(next - DateTimeOffset.UtcNow).TotalSeconds);
    }
}
