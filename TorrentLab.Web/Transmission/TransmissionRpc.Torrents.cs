using System.Text.Json;

namespace TorrentLab.Web;

// torrent-get (rpc-spec 3.3): the fields a client asks for, of the torrents it names, as objects or as a table; each
// field written by its row of TorrentFields, and here the arrays and objects some of those rows write.
internal sealed partial class TransmissionRpc
{
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
        // Each field's row of the table (TorrentFields), looked up once; null: a field this server does not know.
        var rows = fields.Select(f => TorrentFields.ByTransmissionName.GetValueOrDefault(f)).ToArray();
        var changes = _torrents.Changes;
        var source = new FieldSource(_torrents, _options.MaxPeers, _ids);
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
                var view = new FieldView(torrent, torrent.Summary(changes), source);
                w.WriteStartObject();
                for (var i = 0; i < fields.Length; i++)
                {
                    w.WritePropertyName(names[i]);
                    rows[i]!.WriteTransmissionValue(w, view); // a kept list holds only known fields
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
            var view = new FieldView(torrent, torrent.Summary(changes), source);
            if (table) writer.WriteStartArray();
            else writer.WriteStartObject();
            for (var i = 0; i < fields.Length; i++)
            {
                if (!table) writer.WritePropertyName(names[i]);
                // A field of a later rpc-version: null, so the client knows it has no value. A field TorrentLab has no
                // figure for is written as Transmission's "none" value (0, false, "" or []), so a client's table still
                // fills; see docs/web.md for which ones.
                if (rows[i] is { } row) row.WriteTransmissionValue(writer, view);
                else writer.WriteNullValue();
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

    /// <summary>rpc-spec 3.3: priorities are -1 low, 0 normal, 1 high (TR_PRI_*); a skipped file keeps 0.</summary>
    internal static int PriorityOf(string priority) => priority switch { "low" => -1, "high" => 1, _ => 0 };

    internal static void WriteFiles(Utf8JsonWriter w, FieldView v)
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

    internal static void WriteFileStats(Utf8JsonWriter w, FieldView v)
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
    internal static void WriteTrackers(ManagedTorrent torrent, Utf8JsonWriter w, bool stats)
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
    internal static void WriteAvailability(ManagedTorrent torrent, Utf8JsonWriter w)
    {
        var seeds = torrent.PeersNow().Count(p => p.Progress >= 1);
        var pieces = torrent.Pieces;
        w.WriteStartArray();
        for (var i = 0; i < torrent.Torrent.PieceCount; i++) w.WriteNumberValue(pieces[i] == TorrentLab.Downloads.PieceState.Verified ? -1 : seeds);
        w.WriteEndArray();
    }

    /// <summary>rpc-spec 3.3's <c>peers</c>. "Client" is this server: <c>clientIsChoked</c> says the peer chokes us,
    /// <c>peerIsChoked</c> that we choke the peer.</summary>
    internal static void WritePeers(ManagedTorrent torrent, Utf8JsonWriter w)
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

    internal static void WritePeersFrom(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var key in (string[])["fromCache", "fromDht", "fromIncoming", "fromLpd", "fromLtep", "fromPex", "fromTracker"]) w.WriteNumber(key, 0);
        w.WriteEndObject();
    }
}
