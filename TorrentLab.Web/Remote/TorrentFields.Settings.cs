using static TorrentLab.Web.Moves;

namespace TorrentLab.Web;

// The rows of what is set on a torrent and what it is made of: limits, seeding, the queue, labels, trackers, folders,
// files and the .torrent's own metadata. Limits: Transmission in kB/s of 1000 bytes (session-get's units), qBittorrent in
// bytes/s; 0 is no limit in both.
internal static partial class TorrentFields
{
    private static TorrentField[] Settings() =>
    [
        // Rate limits: its own, under the server's global ones.
        new(WithVersion, null, "downloadLimit", "dl_limit", v => v.Torrent.DownloadLimit.BytesPerSecond)
        {
            InTransmission = (_, bytes) => bytes.Whole / TransmissionRpc.SpeedUnit,
            Properties = "dl_limit",
            InProperties = (_, bytes) => bytes.Whole == 0 ? -1 : bytes, // torrents/properties: -1 for none
        },
        new(WithVersion, null, "downloadLimited", null, v => v.Torrent.DownloadLimit.BytesPerSecond > 0),
        new(WithVersion, null, "uploadLimit", "up_limit", v => v.Torrent.UploadLimit.BytesPerSecond)
        {
            InTransmission = (_, bytes) => bytes.Whole / TransmissionRpc.SpeedUnit,
            Properties = "up_limit",
            InProperties = (_, bytes) => bytes.Whole == 0 ? -1 : bytes,
        },
        new(WithVersion, null, "uploadLimited", null, v => v.Torrent.UploadLimit.BytesPerSecond > 0),
        new(WithVersion, null, "honorsSessionLimits", null, _ => true), // the global limits always apply
        new(WithVersion, null, "bandwidthPriority", null, _ => 0),
        new(Unmarked, null, "maxConnectedPeers", null, v => v.Torrent.MaxPeers ?? v.Source.MaxPeers) { Properties = "nb_connections_limit" },
        new(Unmarked, null, "peer-limit", null, v => v.Torrent.MaxPeers ?? v.Source.MaxPeers),
        new(Unmarked, null, "sequentialDownload", "seq_dl", v => v.Torrent.Sequential),
        new(Unmarked, null, null, "super_seeding", v => v.Torrent.SuperSeed),
        new(WithVersion, null, null, "auto_tmm", _ => false),
        new(WithVersion, null, null, "f_l_piece_prio", _ => false),
        new(WithVersion, null, null, "force_start", _ => false),

        // Seeding limits. Transmission: the ratio in force and its mode (0 the server's, 1 its own, 2 unlimited); a
        // torrent that does not seed stops at ratio 0. qBittorrent: max_* the limits in force (-1 none), *_limit its own
        // (-2 the server's, -1 none); 0 for a torrent that does not seed. "In force" and "the server's" count its
        // category's limits (TorrentLabels.Limits.cs) over the defaults, as the engine does (ShareLimits.Plan).
        new(WithVersion, null, "seedRatioLimit", null, v => v.Torrent.Seeding is { Seed: false, Ratio: null } ? 0
            : v.Torrent.Seeding.Ratio ?? Category(v)?.Ratio ?? v.Source.Torrents.Settings.SeedRatio ?? 0),
        new(WithVersion, null, "seedRatioMode", null, v => v.Torrent.Seeding is { Seed: false, Ratio: null } ? 1
            : v.Torrent.Seeding.Ratio switch { null => 0, 0 => 2, _ => 1 }),
        // Idle (inactive) seeding: minutes without an upload. Transmission: its own limit while it has one, else its
        // category's, else the session's (30 when the session has none, Transmission's default); its mode as the ratio's.
        new(WithVersion, null, "seedIdleLimit", null, v => (long)(v.Torrent.Seeding.IdleMinutes is > 0 and var own ? own
            : Category(v)?.IdleMinutes is > 0 and var category ? category
            : v.Source.Torrents.Settings.SeedIdleMinutes ?? TransmissionSession.DefaultIdleMinutes)),
        new(WithVersion, null, "seedIdleMode", null, v => v.Torrent.Seeding.IdleMinutes switch { null => 0, 0 => 2, _ => 1 }),
        new(WithVersion, null, null, "max_ratio", v => v.Torrent.Seeding is { Seed: false } ? 0
            : (v.Torrent.Seeding.Ratio ?? Category(v)?.Ratio ?? v.Source.Torrents.Settings.SeedRatio) is double ratio && ratio > 0 ? ratio : -1),
        new(WithVersion, null, null, "max_seeding_time", v => v.Torrent.Seeding is { Seed: false } ? 0
            : (v.Torrent.Seeding.Minutes ?? Category(v)?.Minutes ?? v.Source.Torrents.Settings.SeedMinutes) is double minutes && minutes > 0 ? (long)minutes : -1),
        new(WithVersion, null, null, "max_inactive_seeding_time", v => v.Torrent.Seeding is { Seed: false } ? 0
            : (v.Torrent.Seeding.IdleMinutes ?? Category(v)?.IdleMinutes ?? v.Source.Torrents.Settings.SeedIdleMinutes) is double minutes && minutes > 0 ? (long)minutes : -1),
        new(WithVersion, null, null, "inactive_seeding_time_limit", v => v.Torrent.Seeding is { Seed: false } ? 0
            : v.Torrent.Seeding.IdleMinutes switch { null => -2L, 0 => -1L, var m => (long)m.Value }),
        new(WithVersion, null, null, "ratio_limit", v => v.Torrent.Seeding is { Seed: false } ? 0
            : v.Torrent.Seeding.Ratio switch { null => -2.0, 0 => -1.0, var r => r.Value }),
        new(WithVersion, null, null, "seeding_time_limit", v => v.Torrent.Seeding is { Seed: false } ? 0
            : v.Torrent.Seeding.Minutes switch { null => -2L, 0 => -1L, var m => (long)m.Value }),

        // The queue: Transmission's place from 0; qBittorrent's from 1, only while queued (0 otherwise).
        new(WithVersion, null, "queuePosition", null, v => v.Source.Torrents.Queue.Position(v.Torrent)),
        new(WithVersion, null, null, "priority", v => v.Summary.State == "queued" ? v.Source.Torrents.Queue.Position(v.Torrent) + 1 : 0),

        // Labels: one model, the category first and then the tags in Transmission's labels.
        new(WithVersion, null, "labels", null, _ => FieldValue.None)
        {
            WriteTransmission = (w, v) =>
            {
                w.WriteStartArray();
                foreach (var label in TorrentLabels.LabelsOf(v.Torrent)) w.WriteStringValue(label);
                w.WriteEndArray();
            },
        },
        new(WithVersion, "category", null, "category", v => v.Torrent.Category ?? ""),
        new(WithVersion, "tags", null, "tags", v => string.Join(", ", v.Summary.Tags)),

        // Trackers, as edited. qBittorrent's tracker is the first one, "" while the last announce failed.
        new(WithVersion, null, "trackers", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WriteTrackers(v.Torrent, w, stats: false) },
        new(Unmarked, null, "trackerStats", null, _ => FieldValue.None) { WriteTransmission = (w, v) => TransmissionRpc.WriteTrackers(v.Torrent, w, stats: true) },
        new(Unmarked, null, "trackerList", null, v => string.Join("\n\n", v.Torrent.TrackerTiers.Select(tier => string.Join('\n', tier)))),
        new(WithVersion, null, null, "tracker", v => v.Summary.TrackerError is null ? v.Torrent.TrackerTiers.SelectMany(tier => tier).FirstOrDefault() ?? "" : ""),
        new(WithVersion, null, null, "trackers_count", v => v.Torrent.TrackerTiers.Sum(tier => tier.Count)),
        new(WithVersion, null, "webseeds", null, _ => FieldValue.None)
        {
            WriteTransmission = (w, v) =>
            {
                w.WriteStartArray();
                foreach (var url in v.Torrent.Torrent.WebSeeds) w.WriteStringValue(url);
                w.WriteEndArray();
            },
        },

        // Folders and files.
        new(WithVersion, null, "downloadDir", "save_path", v => v.Folder) { Properties = "save_path" },
        new(WithVersion, null, null, "content_path", v => Path.Combine(v.Folder, v.Torrent.Torrent.Name)),
        new(WithVersion, null, null, "download_path", _ => "") { Properties = "download_path" },
        new(WithVersion, null, "torrentFile", null, v => v.Source.Torrents.TorrentPathOf(v.Torrent)),
        new(WithVersion, null, "primary-mime-type", null, v => MimeTypes.PrimaryOf(v.Torrent.Torrent)),
        new(Unmarked, null, "file-count", null, v => v.Files.Length),
        new(Unmarked, null, "files", null, _ => FieldValue.None) { WriteTransmission = TransmissionRpc.WriteFiles },
        new(Unmarked, null, "fileStats", null, _ => FieldValue.None) { WriteTransmission = TransmissionRpc.WriteFileStats },
        new(Unmarked, null, "wanted", null, _ => FieldValue.None)
        {
            WriteTransmission = (w, v) =>
            {
                w.WriteStartArray();
                foreach (var f in v.Files) w.WriteNumberValue(f.Priority == "skip" ? 0 : 1);
                w.WriteEndArray();
            },
        },
        new(Unmarked, null, "priorities", null, _ => FieldValue.None)
        {
            WriteTransmission = (w, v) =>
            {
                w.WriteStartArray();
                foreach (var f in v.Files) w.WriteNumberValue(TransmissionRpc.PriorityOf(f.Priority));
                w.WriteEndArray();
            },
        },
        new(Unmarked, null, "pieces", null, _ => FieldValue.None) // BEP 3's bitfield, high bit first
        {
            WriteTransmission = (w, v) => w.WriteBase64StringValue(v.Torrent.Pieces.Verified().ToBytes()),
        },

        // The .torrent's own metadata.
        new(WithVersion, null, "dateCreated", null, v => FieldValue.Seconds(v.Torrent.Torrent.CreationDate).Or(0)) { Properties = "creation_date" }, // none: 0, as qbittorrent-nox 4.5.2
        new(WithVersion, null, "comment", null, v => v.Torrent.Torrent.Comment ?? "") { Properties = "comment" },
        new(WithVersion, null, "creator", null, v => v.Torrent.Torrent.CreatedBy ?? "") { Properties = "created_by" },
        new(WithVersion, null, "source", null, _ => ""),
        new(WithVersion, null, "group", null, _ => ""),
    ];

    // The share limits of the torrent's category, or null.
    private static CategoryLimits? Category(FieldView v) => v.Source.Torrents.Labels.LimitsOf(v.Torrent.Category);
}
