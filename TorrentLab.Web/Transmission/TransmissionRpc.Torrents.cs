using System.Text.Json;

namespace TorrentLab.Web;

// torrent-get (rpc-spec 3.3): the fields a client asks for, of the torrents it names, as objects or as a table.
internal sealed partial class TransmissionRpc
{
    /// <summary>rpc-spec 3.3: "tr_stat.status": what each state of the list is in Transmission's terms.</summary>
    private enum Status { Stopped = 0, CheckWait = 1, Check = 2, DownloadWait = 3, Download = 4, SeedWait = 5, Seed = 6 }

    /// <summary>Transmission's speeds and limits are in kB/s of 1000 bytes (session-get's <c>units.speed-bytes</c>).</summary>
    internal const int SpeedUnit = 1000;

    private readonly TransmissionRows _rows = new();
    private int _rowsListVersion = -1; // the list version the kept rows were last pruned at

    private void WriteTorrents(JsonElement args, Utf8JsonWriter writer)
    {
        var fields = TransmissionArguments.Strings(args, "fields") ?? throw Unsupported("torrent-get needs 'fields': the names of the fields to return");
        var table = TransmissionArguments.String(args, "format") == "table";
        var torrents = _ids.Resolve(args);
        var names = fields.Select(f => JsonEncodedText.Encode(f)).ToArray(); // escaped once, not once per torrent
        var changes = _torrents.Changes;
        writer.WriteStartArray("torrents");
        if (table)
        {
            writer.WriteStartArray();
            foreach (var name in names) writer.WriteStringValue(name);
            writer.WriteEndArray();
        }
        if (!table && _rows.For(fields) is { } kept)
        {
            // The fields clients poll with: each torrent's object kept as bytes until it changes.
            void Write(Utf8JsonWriter w, ManagedTorrent torrent)
            {
                var view = new TorrentView(torrent, changes);
                w.WriteStartObject();
                for (var i = 0; i < fields.Length; i++)
                {
                    w.WritePropertyName(names[i]);
                    WriteField(fields[i], view, w);
                }
                w.WriteEndObject();
            }
            var write = (Action<Utf8JsonWriter, ManagedTorrent>)Write;
            foreach (var torrent in torrents) writer.WriteRawValue(kept.Of(torrent, changes, write), skipInputValidation: true);
            if (_torrents.ListVersion is var listVersion && Interlocked.Exchange(ref _rowsListVersion, listVersion) != listVersion)
                _rows.Forget(_torrents.Listed);
        }
        else foreach (var torrent in torrents)
        {
            var view = new TorrentView(torrent, changes);
            if (table) writer.WriteStartArray();
            else writer.WriteStartObject();
            for (var i = 0; i < fields.Length; i++)
            {
                if (!table) writer.WritePropertyName(names[i]);
                WriteField(fields[i], view, writer);
            }
            if (table) writer.WriteEndArray();
            else writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (args.TryGetProperty("ids", out var ids) && ids.ValueKind == JsonValueKind.String && ids.GetString() == "recently-active")
        {
            writer.WriteStartArray("removed");
            foreach (var id in _ids.RecentlyRemoved()) writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
    }

    /// <summary>One field's value. A field TorrentLab has no figure for is written as Transmission's "none" value
    /// (0, false, "" or []), so a client's table still fills; see docs/web.md for which ones.</summary>
    private void WriteField(string field, TorrentView v, Utf8JsonWriter w)
    {
        var s = v.Summary;
        var t = v.Torrent;
        switch (field)
        {
            case "id": w.WriteNumberValue(_ids.IdOf(t)); break;
            case "name": w.WriteStringValue(s.Name); break;
            case "hashString": w.WriteStringValue(s.InfoHash); break;
            case "status": w.WriteNumberValue((int)StatusOf(t, s)); break;
            case "error": w.WriteNumberValue(s.Error is not null ? 3 : s.TrackerError is not null ? 2 : 0); break; // 3 local error, 2 tracker error
            case "errorString": w.WriteStringValue(s.Error ?? s.TrackerError ?? ""); break;
            case "percentDone": w.WriteNumberValue(s.Progress); break;
            case "percentComplete": w.WriteNumberValue(s.PieceCount == 0 ? 1 : (double)s.PiecesDone / s.PieceCount); break;
            case "metadataPercentComplete": w.WriteNumberValue(1); break; // a torrent is listed once its metadata is here
            case "totalSize": w.WriteNumberValue(s.Size); break;
            case "sizeWhenDone": w.WriteNumberValue(v.Wanted); break;
            case "leftUntilDone": w.WriteNumberValue(Math.Max(0, v.Wanted - s.BytesDone)); break;
            case "desiredAvailable": w.WriteNumberValue(0); break;
            case "haveValid": w.WriteNumberValue(s.BytesDone); break;
            case "haveUnchecked" or "corruptEver": w.WriteNumberValue(0); break;
            case "downloadedEver": w.WriteNumberValue(t.Downloaded); break; // downloaded, not held: 0 for data it was added with
            case "uploadedEver": w.WriteNumberValue(s.Uploaded); break;
            case "uploadRatio": w.WriteNumberValue(s.Ratio); break;
            case "rateDownload": w.WriteNumberValue((long)s.DownloadRate); break;
            case "rateUpload": w.WriteNumberValue((long)s.UploadRate); break;
            case "peersConnected": w.WriteNumberValue(s.Peers); break;
            case "peersSendingToUs": w.WriteNumberValue(s.DownloadRate > 0 ? s.Peers : 0); break;
            case "peersGettingFromUs": w.WriteNumberValue(s.UploadRate > 0 ? s.Peers : 0); break;
            case "webseedsSendingToUs": w.WriteNumberValue(0); break;
            case "eta": w.WriteNumberValue(s.Eta is { } eta ? (long)eta : s.State == "downloading" ? -2 : -1); break; // -1 not available, -2 unknown
            case "etaIdle": w.WriteNumberValue(-1); break;
            case "isFinished": w.WriteBooleanValue(s.State == "completed"); break;
            case "isStalled": w.WriteBooleanValue(s.Stalled); break;
            case "isPrivate": w.WriteBooleanValue(t.Torrent.IsPrivate); break;
            case "addedDate": w.WriteNumberValue(s.AddedAt.ToUnixTimeSeconds()); break;
            // As Transmission: a torrent that never moved payload was last active when it was added.
            case "activityDate": w.WriteNumberValue((t.LastActivity ?? s.AddedAt).ToUnixTimeSeconds()); break;
            case "doneDate": w.WriteNumberValue(t.CompletedAt?.ToUnixTimeSeconds() ?? 0); break; // 0: not complete yet
            case "startDate": w.WriteNumberValue(t.RunStartedAt?.ToUnixTimeSeconds() ?? 0); break; // 0: not running
            case "editDate": w.WriteNumberValue(0); break; // 0: never edited (Transmission 3.00 answers 0 for a torrent added since it started)
            case "manualAnnounceTime": w.WriteNumberValue(-1); break; // -1: a reannounce may be asked for at any time
            case "secondsDownloading": w.WriteNumberValue(t.SecondsDownloading); break;
            case "secondsSeeding": w.WriteNumberValue(t.SecondsSeeding); break;
            case "maxConnectedPeers": w.WriteNumberValue(t.MaxPeers ?? _options.MaxPeers); break;
            case "torrentFile": w.WriteStringValue(_torrents.TorrentPathOf(t)); break;
            case "primary-mime-type": w.WriteStringValue(MimeTypes.PrimaryOf(t.Torrent)); break;
            case "availability": WriteAvailability(t, w); break;
            case "dateCreated": w.WriteNumberValue(t.Torrent.CreationDate?.ToUnixTimeSeconds() ?? 0); break;
            case "comment": w.WriteStringValue(t.Torrent.Comment ?? ""); break;
            case "creator": w.WriteStringValue(t.Torrent.CreatedBy ?? ""); break;
            case "source": w.WriteStringValue(""); break;
            case "downloadDir": w.WriteStringValue(_torrents.FolderOf(t)); break;
            case "magnetLink": w.WriteStringValue(t.Torrent.MagnetLink); break;
            case "pieceCount": w.WriteNumberValue(t.Torrent.PieceCount); break;
            case "pieceSize": w.WriteNumberValue(t.Torrent.PieceLength); break;
            case "pieces": w.WriteBase64StringValue(t.Pieces.Verified().ToBytes()); break; // BEP 3's bitfield, high bit first
            case "recheckProgress": w.WriteNumberValue(0); break;
            case "queuePosition": w.WriteNumberValue(_torrents.QueuePosition(t)); break;
            case "file-count": w.WriteNumberValue(v.Files.Length); break;
            case "files": WriteFiles(v, w); break;
            case "fileStats": WriteFileStats(v, w); break;
            case "wanted": w.WriteStartArray(); foreach (var f in v.Files) w.WriteNumberValue(f.Priority == "skip" ? 0 : 1); w.WriteEndArray(); break;
            case "priorities": w.WriteStartArray(); foreach (var f in v.Files) w.WriteNumberValue(PriorityOf(f.Priority)); w.WriteEndArray(); break;
            case "trackers": WriteTrackers(t, w, stats: false); break;
            case "trackerStats": WriteTrackers(t, w, stats: true); break;
            case "trackerList": w.WriteStringValue(string.Join("\n\n", t.TrackerTiers.Select(tier => string.Join('\n', tier)))); break;
            case "peers": WritePeers(t, w); break;
            case "peersFrom": WritePeersFrom(w); break;
            case "webseeds": w.WriteStartArray(); foreach (var url in t.Torrent.WebSeeds) w.WriteStringValue(url); w.WriteEndArray(); break;
            case "labels": w.WriteStartArray(); foreach (var label in TorrentManager.LabelsOf(t)) w.WriteStringValue(label); w.WriteEndArray(); break;
            case "downloadLimit": w.WriteNumberValue(t.DownloadLimit.BytesPerSecond / SpeedUnit); break;
            case "downloadLimited": w.WriteBooleanValue(t.DownloadLimit.BytesPerSecond > 0); break;
            case "uploadLimit": w.WriteNumberValue(t.UploadLimit.BytesPerSecond / SpeedUnit); break;
            case "uploadLimited": w.WriteBooleanValue(t.UploadLimit.BytesPerSecond > 0); break;
            case "honorsSessionLimits": w.WriteBooleanValue(true); break; // the global limits always apply
            case "bandwidthPriority": w.WriteNumberValue(0); break;
            case "peer-limit": w.WriteNumberValue(t.MaxPeers ?? _options.MaxPeers); break;
            case "seedRatioLimit": w.WriteNumberValue(t.Seeding is { Seed: false, Ratio: null } ? 0 : t.Seeding.Ratio ?? _torrents.Settings.SeedRatio ?? 0); break;
            case "seedRatioMode": w.WriteNumberValue(t.Seeding is { Seed: false, Ratio: null } ? 1 : t.Seeding.Ratio switch { null => 0, 0 => 2, _ => 1 }); break; // 0 global, 1 own, 2 unlimited
            case "seedIdleLimit": w.WriteNumberValue(0); break;
            case "seedIdleMode": w.WriteNumberValue(0); break;
            case "sequentialDownload": w.WriteBooleanValue(t.Sequential); break;
            case "isStopped": w.WriteBooleanValue(StatusOf(t, s) == Status.Stopped); break;
            case "group": w.WriteStringValue(""); break;
            default: w.WriteNullValue(); break; // a field of a later rpc-version: null, so the client knows it has no value
        }
    }

    private static Status StatusOf(ManagedTorrent torrent, TorrentSummary summary) => summary.State switch
    {
        "downloading" => Status.Download,
        "seeding" => Status.Seed,
        "checking" => Status.Check,
        "queued" => summary.PiecesDone == summary.PieceCount ? Status.SeedWait : Status.DownloadWait,
        _ => Status.Stopped, // paused, completed and failed
    };

    /// <summary>rpc-spec 3.3: priorities are -1 low, 0 normal, 1 high (TR_PRI_*); a skipped file keeps 0.</summary>
    internal static int PriorityOf(string priority) => priority switch { "low" => -1, "high" => 1, _ => 0 };

    private static void WriteFiles(TorrentView v, Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var file in v.Files)
        {
            w.WriteStartObject();
            w.WriteNumber("bytesCompleted", BytesCompleted(file));
            w.WriteNumber("length", file.Length);
            w.WriteString("name", file.Path);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteFileStats(TorrentView v, Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var file in v.Files)
        {
            w.WriteStartObject();
            w.WriteNumber("bytesCompleted", BytesCompleted(file));
            w.WriteBoolean("wanted", file.Priority != "skip");
            w.WriteNumber("priority", PriorityOf(file.Priority));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // The file's share of its verified pieces: exact for a complete or empty file, close enough for a progress bar.
    private static long BytesCompleted(FileEntry file) => file.Progress >= 1 ? file.Length : (long)(file.Length * file.Progress);

    /// <summary>rpc-spec 3.3's <c>trackers</c>, or with <paramref name="stats"/> its <c>trackerStats</c>: each tracker's
    /// last announce as the engine logged it (<see cref="ManagedTorrent.Announces"/>). The engine announces and never
    /// scrapes, so the scrape fields say "never scraped" and the swarm counts are those of the last announce's answer.</summary>
    private static void WriteTrackers(ManagedTorrent torrent, Utf8JsonWriter w, bool stats)
    {
        w.WriteStartArray();
        var id = 0;
        var announces = stats ? torrent.Announces : null;
        var running = torrent.IsRunning;
        foreach (var (tier, index) in torrent.TrackerTiers.Select((tier, index) => (tier, index)))
        {
            foreach (var url in tier)
            {
                var uri = Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : null;
                w.WriteStartObject();
                w.WriteString("announce", url);
                w.WriteNumber("id", id++);
                w.WriteString("scrape", ScrapeUrl(uri));
                w.WriteString("sitename", uri?.Host ?? "");
                w.WriteNumber("tier", index);
                if (stats)
                {
                    var last = announces!.GetValueOrDefault(url);
                    // tr_tracker_state: 0 inactive (not running), 1 waiting for the next announce, 3 announcing now.
                    w.WriteNumber("announceState", !running ? 0 : last is null ? 3 : 1);
                    w.WriteNumber("downloadCount", -1); // -1: not known (only a scrape tells)
                    w.WriteBoolean("hasAnnounced", last is not null);
                    w.WriteBoolean("hasScraped", false);
                    w.WriteString("host", uri is null ? "" : $"{uri.Scheme}://{uri.Authority}");
                    w.WriteBoolean("isBackup", false);
                    w.WriteNumber("lastAnnouncePeerCount", last?.Peers ?? 0);
                    w.WriteString("lastAnnounceResult", last?.Result ?? "");
                    // The engine logs an announce when its answer comes: its start time is not kept apart.
                    w.WriteNumber("lastAnnounceStartTime", last?.At.ToUnixTimeSeconds() ?? 0);
                    w.WriteBoolean("lastAnnounceSucceeded", last?.Succeeded ?? false);
                    w.WriteNumber("lastAnnounceTime", last?.At.ToUnixTimeSeconds() ?? 0);
                    w.WriteBoolean("lastAnnounceTimedOut", last is { Succeeded: false } && last.Result.Contains("timed out", StringComparison.OrdinalIgnoreCase));
                    w.WriteString("lastScrapeResult", "");
                    w.WriteNumber("lastScrapeStartTime", 0);
                    w.WriteBoolean("lastScrapeSucceeded", false);
                    w.WriteNumber("lastScrapeTime", 0);
                    w.WriteBoolean("lastScrapeTimedOut", false);
                    w.WriteNumber("leecherCount", last?.Leechers ?? -1);
                    w.WriteNumber("nextAnnounceTime", running && last?.NextAt is { } next ? next.ToUnixTimeSeconds() : 0);
                    w.WriteNumber("nextScrapeTime", 0);
                    w.WriteNumber("scrapeState", 0); // inactive: never scraped
                    w.WriteNumber("seederCount", last?.Seeders ?? -1);
                }
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
    }

    /// <summary>BEP 48's convention: an http(s) announce URL whose last segment begins with <c>announce</c> scrapes at
    /// the same URL with <c>scrape</c> in its place; a UDP tracker scrapes where it announces; others cannot be scraped
    /// (""), as Transmission shows them.</summary>
    internal static string ScrapeUrl(Uri? announce)
    {
        if (announce is null) return "";
        if (announce.Scheme == "udp") return announce.OriginalString;
        var path = announce.AbsolutePath;
        var slash = path.LastIndexOf('/');
        if (!path[(slash + 1)..].StartsWith("announce", StringComparison.Ordinal)) return "";
        return new UriBuilder(announce) { Path = path[..(slash + 1)] + "scrape" + path[(slash + 1 + "announce".Length)..] }.Uri.ToString();
    }

    /// <summary>rpc-spec 3.3 (rpc-version 17): per piece, -1 when we have it, else how many connected peers have it.
    /// The engine tells how many pieces each peer announced, not which: a peer is counted for every piece only once it
    /// has them all, so the count is a lower bound while partial peers are connected.</summary>
    private static void WriteAvailability(ManagedTorrent torrent, Utf8JsonWriter w)
    {
        var seeds = torrent.PeersNow().Count(p => p.Progress >= 1);
        var pieces = torrent.Pieces;
        w.WriteStartArray();
        for (var i = 0; i < torrent.Torrent.PieceCount; i++) w.WriteNumberValue(pieces[i] == TorrentLab.Downloads.PieceState.Verified ? -1 : seeds);
        w.WriteEndArray();
    }

    /// <summary>rpc-spec 3.3's <c>peers</c>. "Client" is this server: <c>clientIsChoked</c> says the peer chokes us,
    /// <c>peerIsChoked</c> that we choke the peer.</summary>
    private static void WritePeers(ManagedTorrent torrent, Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var peer in torrent.PeersNow().Where(p => p.Connected))
        {
            var endPoint = System.Net.IPEndPoint.TryParse(peer.Address, out var parsed) ? parsed : null;
            var downloadingFrom = peer.AmInterested && !peer.PeerChoking;
            var uploadingTo = peer.PeerInterested && !peer.AmChoking;
            w.WriteStartObject();
            w.WriteString("address", endPoint?.Address.ToString() ?? peer.Address);
            w.WriteBoolean("clientIsChoked", peer.PeerChoking);
            w.WriteBoolean("clientIsInterested", peer.AmInterested);
            w.WriteString("clientName", peer.Client);
            w.WriteString("flagStr", PeerFlags(peer, downloadingFrom, uploadingTo));
            w.WriteBoolean("isDownloadingFrom", downloadingFrom);
            w.WriteBoolean("isEncrypted", peer.Encrypted);
            w.WriteBoolean("isIncoming", peer.Incoming);
            w.WriteBoolean("isUTP", peer.Transport == "utp");
            w.WriteBoolean("isUploadingTo", uploadingTo);
            w.WriteBoolean("peerIsChoked", peer.AmChoking);
            w.WriteBoolean("peerIsInterested", peer.PeerInterested);
            w.WriteNumber("port", endPoint?.Port ?? 0);
            w.WriteNumber("progress", peer.Progress);
            w.WriteNumber("rateToClient", (long)peer.DownloadRate);
            w.WriteNumber("rateToPeer", (long)peer.UploadRate);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Transmission's flag letters (its peer list's legend): T uTP, D downloading from it, d would download
    /// (interested, choked), U uploading to it, u would upload (it is interested, we choke it), K it unchoked us but we
    /// are not interested, ? we unchoked it but it is not interested, E encrypted, I incoming.</summary>
    internal static string PeerFlags(PeerDetails peer, bool downloadingFrom, bool uploadingTo)
    {
        var flags = new System.Text.StringBuilder(8);
        if (peer.Transport == "utp") flags.Append('T');
        if (downloadingFrom) flags.Append('D');
        else if (peer.AmInterested) flags.Append('d');
        if (uploadingTo) flags.Append('U');
        else if (peer.PeerInterested) flags.Append('u');
        if (!peer.PeerChoking && !peer.AmInterested) flags.Append('K');
        if (!peer.AmChoking && !peer.PeerInterested) flags.Append('?');
        if (peer.Encrypted) flags.Append('E');
        if (peer.Incoming) flags.Append('I');
        return flags.ToString();
    }

    private static void WritePeersFrom(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var key in (string[])["fromCache", "fromDht", "fromIncoming", "fromLpd", "fromLtep", "fromPex", "fromTracker"]) w.WriteNumber(key, 0);
        w.WriteEndObject();
    }

    /// <summary>One torrent's figures, each read once per request (the summary takes the torrent's lock).</summary>
    private sealed class TorrentView(ManagedTorrent torrent, long changes)
    {
        private FileEntry[]? _files;
        private long? _wanted;
        public ManagedTorrent Torrent { get; } = torrent;
        public TorrentSummary Summary { get; } = torrent.Summary(changes);
        public FileEntry[] Files => _files ??= Torrent.Files();
        public long Wanted => _wanted ??= Torrent.WantedBytes;
    }
}
