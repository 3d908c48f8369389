using System.Text.Json;

namespace TorrentLab.Web;

// torrent-get (rpc-spec 3.3): the fields a client asks for, of the torrents it names, as objects or as a table.
internal sealed partial class TransmissionRpc
{
    /// <summary>rpc-spec 3.3: "tr_stat.status": what each state of the list is in Transmission's terms.</summary>
    private enum Status { Stopped = 0, CheckWait = 1, Check = 2, DownloadWait = 3, Download = 4, SeedWait = 5, Seed = 6 }

    /// <summary>Transmission's speeds and limits are in kB/s of 1000 bytes (session-get's <c>units.speed-bytes</c>).</summary>
    internal const int SpeedUnit = 1000;

    private void WriteTorrents(JsonElement args, Utf8JsonWriter writer)
    {
        var fields = TransmissionArguments.Strings(args, "fields") ?? throw Unsupported("torrent-get needs 'fields': the names of the fields to return");
        var table = TransmissionArguments.String(args, "format") == "table";
        var torrents = _ids.Resolve(args);
        writer.WriteStartArray("torrents");
        if (table)
        {
            writer.WriteStartArray();
            foreach (var field in fields) writer.WriteStringValue(field);
            writer.WriteEndArray();
        }
        foreach (var torrent in torrents)
        {
            var view = new TorrentView(torrent);
            if (table) writer.WriteStartArray();
            else writer.WriteStartObject();
            foreach (var field in fields)
            {
                if (!table) writer.WritePropertyName(field);
                WriteField(field, view, writer);
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
            case "downloadedEver": w.WriteNumberValue(s.BytesDone); break; // verified bytes: the engine keeps no raw total
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
            case "activityDate" or "doneDate" or "startDate" or "editDate" or "manualAnnounceTime": w.WriteNumberValue(0); break;
            case "secondsDownloading" or "secondsSeeding": w.WriteNumberValue(0); break;
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
            case "labels": w.WriteStartArray(); if (t.Category is { } c) w.WriteStringValue(c); w.WriteEndArray(); break;
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

    private static void WriteTrackers(ManagedTorrent torrent, Utf8JsonWriter w, bool stats)
    {
        w.WriteStartArray();
        var id = 0;
        foreach (var (tier, index) in torrent.TrackerTiers.Select((tier, index) => (tier, index)))
        {
            foreach (var url in tier)
            {
                w.WriteStartObject();
                w.WriteString("announce", url);
                w.WriteNumber("id", id++);
                w.WriteString("scrape", "");
                w.WriteNumber("tier", index);
                w.WriteString("sitename", Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : "");
                if (stats)
                {
                    w.WriteString("host", uri?.Authority ?? "");
                    w.WriteBoolean("isBackup", false);
                    w.WriteNumber("seederCount", -1); // -1: not known (the engine keeps no scrape)
                    w.WriteNumber("leecherCount", -1);
                    w.WriteNumber("downloadCount", -1);
                    w.WriteBoolean("hasAnnounced", false);
                    w.WriteString("lastAnnounceResult", "");
                    w.WriteNumber("announceState", 0);
                }
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
    }

    private static void WritePeers(ManagedTorrent torrent, Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var peer in torrent.IsRunning ? torrent.Details().Peers.Where(p => p.Connected) : [])
        {
            var endPoint = System.Net.IPEndPoint.TryParse(peer.Address, out var parsed) ? parsed : null;
            w.WriteStartObject();
            w.WriteString("address", endPoint?.Address.ToString() ?? peer.Address);
            w.WriteNumber("port", endPoint?.Port ?? 0);
            w.WriteString("clientName", peer.Client);
            w.WriteBoolean("clientIsChoked", peer.AmChoking);
            w.WriteBoolean("clientIsInterested", peer.AmInterested);
            w.WriteBoolean("peerIsChoked", peer.PeerChoking);
            w.WriteBoolean("peerIsInterested", peer.PeerInterested);
            w.WriteNumber("rateToClient", (long)peer.DownloadRate);
            w.WriteNumber("rateToPeer", (long)peer.UploadRate);
            w.WriteString("flagStr", "");
            w.WriteNumber("progress", 0);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WritePeersFrom(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var key in (string[])["fromCache", "fromDht", "fromIncoming", "fromLpd", "fromLtep", "fromPex", "fromTracker"]) w.WriteNumber(key, 0);
        w.WriteEndObject();
    }

    /// <summary>One torrent's figures, each read once per request (the summary takes the torrent's lock).</summary>
    private sealed class TorrentView(ManagedTorrent torrent)
    {
        private FileEntry[]? _files;
        private long? _wanted;
        public ManagedTorrent Torrent { get; } = torrent;
        public TorrentSummary Summary { get; } = torrent.Summary();
        public FileEntry[] Files => _files ??= Torrent.Files();
        public long Wanted => _wanted ??= Torrent.WantedBytes;
    }
}
