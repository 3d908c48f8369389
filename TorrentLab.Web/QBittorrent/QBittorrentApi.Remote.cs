using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static TorrentLab.Web.QBittorrentAnswer;

namespace TorrentLab.Web;

// The torrents/* routes media managers and remote GUIs call beyond adding and starting: tags, the queue, announcing
// again, names, the per-torrent switches and limits, and categories edited or removed.
internal sealed partial class QBittorrentApi
{
    /// <summary>torrents/createTags: <c>tags</c>, separated by commas.</summary>
    private Task CreateTagsAsync(HttpContext context, QBittorrentInput input)
    {
        _torrents.Labels.CreateTags(TorrentLabels.ParseTags(input["tags"]));
        return TextAsync(context, "");
    }

    /// <summary>torrents/deleteTags: the tags go, and every torrent loses them.</summary>
    private Task DeleteTagsAsync(HttpContext context, QBittorrentInput input)
    {
        _torrents.Labels.DeleteTags(TorrentLabels.ParseTags(input["tags"]));
        return TextAsync(context, "");
    }

    /// <summary>torrents/addTags and torrents/removeTags: <c>hashes</c> and <c>tags</c>; removeTags without tags removes
    /// every tag of the torrents.</summary>
    private Task EditTagsAsync(HttpContext context, QBittorrentInput input, bool add)
    {
        var tags = TorrentLabels.ParseTags(input["tags"]);
        if (add && tags.Count == 0) throw new WebApiException(400, "give 'tags': names separated by commas");
        return ForEachAsync(context, input, t =>
        {
            if (add) _torrents.Labels.AddTags(t, tags);
            else _torrents.Labels.RemoveTags(t, input["tags"] is null ? null : tags);
            return Task.CompletedTask;
        });
    }

    private void WriteTags(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var tag in _torrents.Labels.Tags) w.WriteStringValue(tag);
        w.WriteEndArray();
    }

    /// <summary>torrents/topPrio, bottomPrio, increasePrio and decreasePrio: the torrents' places in the queue (the
    /// queue is always on here, so never qBittorrent's 409 "Torrent queueing must be enabled").</summary>
    private Task MoveInQueueAsync(HttpContext context, QBittorrentInput input, QueueMove move)
    {
        var hashes = input["hashes"] ?? throw new WebApiException(400, "give 'hashes': info hashes separated by '|', or 'all'");
        _torrents.Queue.Move(Selected(hashes) ?? [], move);
        return TextAsync(context, "");
    }

    /// <summary>torrents/rename: the name the torrent is shown with (its files keep theirs, as in qBittorrent); 409 for
    /// an empty one, as qBittorrent answers "Incorrect torrent name".</summary>
    private Task RenameAsync(HttpContext context, QBittorrentInput input)
    {
        var torrent = Torrent(input);
        var name = input["name"]?.Trim() ?? "";
        if (name.Length == 0) throw new WebApiException(409, "Incorrect torrent name");
        try { _torrents.Adjust.Rename(torrent, name); }
        catch (WebApiException e) { throw new WebApiException(409, e.Message, e); }
        return TextAsync(context, "");
    }

    /// <summary>torrents/renameFile and renameFolder: <c>hash</c>, <c>oldPath</c> and <c>newPath</c>, relative to the
    /// save path as torrents/files names them; the files move on disk. 409 for a path that is not the torrent's or is
    /// taken, as qBittorrent answers.</summary>
    private async Task RenameFileAsync(HttpContext context, QBittorrentInput input, bool folder)
    {
        var torrent = Torrent(input);
        var (from, to) = (input["oldPath"] ?? "", input["newPath"] ?? "");
        if (from.Length == 0 || to.Length == 0) throw new WebApiException(400, "give 'oldPath' and 'newPath'");
        try { await _torrents.RenameAsync(torrent, from, to, folder, context.RequestAborted).ConfigureAwait(false); }
        catch (WebApiException e) when (e.StatusCode == 404) { throw new WebApiException(409, e.Message, e); }
        await TextAsync(context, "").ConfigureAwait(false);
    }

    /// <summary>torrents/addPeers: <c>hashes</c> and <c>peers</c>, <c>ip:port</c> separated by '|' (IPv6 as [ip]:port):
    /// each torrent tries them on every run (a running one restarts to dial them). Answers, as qBittorrent, per torrent
    /// how many were <c>added</c> and how many it had already (<c>failed</c>). 400 for a peer that is not an address that
    /// may be dialled, before anything changes.</summary>
    private async Task AddPeersAsync(HttpContext context, QBittorrentInput input)
    {
        var peers = (input["peers"] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (peers.Length == 0) throw new WebApiException(400, "No valid peers were specified");
        foreach (var peer in peers)
            if (!System.Net.IPEndPoint.TryParse(peer, out var parsed) || parsed.Port == 0)
                throw new WebApiException(400, $"'{UntrustedText.Clean(peer, 60)}' is not ip:port");
        var hashes = input["hashes"] ?? throw new WebApiException(400, "give 'hashes': info hashes separated by '|', or 'all'");
        var counts = new List<(string Hash, int Added, int Failed)>();
        foreach (var torrent in Selected(hashes) ?? [])
        {
            var added = 0;
            foreach (var peer in peers) added += await _torrents.Adjust.AddPeerAsync(torrent, peer, context.RequestAborted).ConfigureAwait(false) ? 1 : 0;
            counts.Add((torrent.InfoHash, added, peers.Length - added));
        }
        await JsonAsync(context, w =>
        {
            w.WriteStartObject();
            foreach (var (hash, added, failed) in counts)
            {
                w.WriteStartObject(hash);
                w.WriteNumber("added", added);
                w.WriteNumber("failed", failed);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>torrents/export: the torrent's .torrent file, as it was added.</summary>
    private async Task ExportAsync(HttpContext context, QBittorrentInput input)
    {
        var bytes = _torrents.TorrentFileOf(Torrent(input));
        context.Response.ContentType = "application/x-bittorrent";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>torrents/toggleSequentialDownload: pieces in order, or rarest first again.</summary>
    private Task ToggleSequentialAsync(HttpContext context, QBittorrentInput input) =>
        ForEachAsync(context, input, t => _torrents.Adjust.SetRunOptionsAsync(t, !t.Sequential, maxPeers: null, context.RequestAborted));

    /// <summary>torrents/setSuperSeeding: <c>value</c> true or false, as qBittorrent's clients send it.</summary>
    private Task SetSuperSeedingAsync(HttpContext context, QBittorrentInput input)
    {
        var on = input["value"]?.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            var other => throw new WebApiException(400, $"value '{UntrustedText.Clean(other ?? "", 20)}': give 'true' or 'false'"),
        };
        return ForEachAsync(context, input, t => _torrents.Adjust.SetSuperSeedAsync(t, on, context.RequestAborted));
    }

    /// <summary>torrents/setShareLimits: <c>ratioLimit</c> and <c>seedingTimeLimit</c> (minutes), both required as in
    /// qBittorrent 4.5, and <c>inactiveSeedingTimeLimit</c> (minutes without an upload; optional, as qBittorrent 4.6
    /// added it): -2 the defaults, -1 no limit, 0 it stops seeding at once. A running torrent takes them at once.</summary>
    private Task SetShareLimitsAsync(HttpContext context, QBittorrentInput input)
    {
        if (input["ratioLimit"] is null || input["seedingTimeLimit"] is null)
            throw new WebApiException(400, "give 'ratioLimit' and 'seedingTimeLimit' (-2 the defaults, -1 no limit)");
        var policy = QBittorrentAdd.ShareLimits(input) ?? SeedPolicy.Default;
        return ForEachAsync(context, input, t => _torrents.Adjust.SetSeedingAsync(t, policy));
    }

    /// <summary>torrents/setAutoManagement: only <c>enable=false</c>: automatic management would save each torrent where
    /// its category saves, and no torrent here is saved anywhere but where the user put it.</summary>
    private Task SetAutoManagementAsync(HttpContext context, QBittorrentInput input)
    {
        if (input.Flag("enable"))
            throw new WebApiException(400, "enable true: automatic torrent management is not supported (a torrent stays in the folder it was given); only false is taken");
        return ForEachAsync(context, input, _ => Task.CompletedTask);
    }

    /// <summary>torrents/editCategory: 409 for a category that does not exist; its save path can only be the downloads
    /// folder (or "").</summary>
    private Task EditCategoryAsync(HttpContext context, QBittorrentInput input)
    {
        var category = input["category"];
        if (string.IsNullOrEmpty(category)) throw new WebApiException(400, "give 'category'");
        if (!_torrents.Labels.Categories.Contains(category)) throw new WebApiException(409, $"category '{UntrustedText.Clean(category, 40)}' does not exist");
        if (input["savePath"] is { Length: > 0 } savePath
            && System.IO.Path.TrimEndingDirectorySeparator(savePath) != System.IO.Path.TrimEndingDirectorySeparator(_torrents.Downloads))
            throw new WebApiException(409, "savePath: every torrent of this server is downloaded to its downloads folder; a category cannot have another");
        return TextAsync(context, "");
    }

    /// <summary>torrents/removeCategories: <c>categories</c>, one per line; their torrents have none after.</summary>
    private Task RemoveCategoriesAsync(HttpContext context, QBittorrentInput input)
    {
        var names = (input["categories"] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _torrents.Labels.RemoveCategories(names);
        return TextAsync(context, "");
    }

    /// <summary>torrents/reannounce: the running torrents of <c>hashes</c> announce now.</summary>
    private Task ReannounceAsync(HttpContext context, QBittorrentInput input)
    {
        if (input["trackers"] is { Length: > 0 })
            throw new WebApiException(400, "trackers: a reannounce goes to every tracker of the torrent here; give no trackers");
        return ForEachAsync(context, input, t => _torrents.Adjust.ReannounceAsync(t, context.RequestAborted));
    }

    /// <summary>torrents/downloadLimit and uploadLimit: <c>{"hash": bytes per second}</c>, 0 for none.</summary>
    private void WriteLimits(Utf8JsonWriter w, QBittorrentInput input, bool download)
    {
        var hashes = input["hashes"] ?? throw new WebApiException(400, "give 'hashes': info hashes separated by '|', or 'all'");
        w.WriteStartObject();
        foreach (var t in Selected(hashes) ?? []) w.WriteNumber(t.InfoHash, (download ? t.DownloadLimit : t.UploadLimit).BytesPerSecond);
        w.WriteEndObject();
    }

    /// <summary>torrents/pieceStates: per piece 0 not downloaded, 1 being downloaded, 2 downloaded.</summary>
    private void WritePieceStates(Utf8JsonWriter w, ManagedTorrent t)
    {
        var pieces = t.Pieces;
        w.WriteStartArray();
        for (var i = 0; i < t.Torrent.PieceCount; i++)
            w.WriteNumberValue(pieces[i] switch { Downloads.PieceState.Verified => 2, Downloads.PieceState.Requested => 1, _ => 0 });
        w.WriteEndArray();
    }

    /// <summary>torrents/pieceHashes: each piece's SHA-1 in hex (BEP 3's <c>pieces</c>); none for a v2-only torrent,
    /// whose pieces are verified by its merkle trees instead.</summary>
    private static void WritePieceHashes(Utf8JsonWriter w, ManagedTorrent t)
    {
        w.WriteStartArray();
        if (!t.Torrent.IsV2Only)
            for (var i = 0; i < t.Torrent.PieceCount; i++) w.WriteStringValue(Convert.ToHexStringLower(t.Torrent.GetPieceHash(i)));
        w.WriteEndArray();
    }

    /// <summary>torrents/webseeds: the .torrent's BEP 19 web seeds.</summary>
    private static void WriteWebSeeds(Utf8JsonWriter w, ManagedTorrent t)
    {
        w.WriteStartArray();
        foreach (var url in t.Torrent.WebSeeds)
        {
            w.WriteStartObject();
            w.WriteString("url", url);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>sync/torrentPeers: the torrent's connected peers, keyed <c>ip:port</c>; always a full update (a torrent's
    /// peers are few), which every client must accept.</summary>
    private void WriteTorrentPeers(Utf8JsonWriter w, ManagedTorrent t)
    {
        w.WriteStartObject();
        w.WriteBoolean("full_update", true);
        w.WriteStartObject("peers");
        foreach (var peer in t.PeersNow().Where(p => p.Connected))
        {
            var endPoint = System.Net.IPEndPoint.TryParse(peer.Address, out var parsed) ? parsed : null;
            var (flags, descriptions) = PeerFlags(peer);
            w.WriteStartObject(peer.Address);
            w.WriteString("client", peer.Client);
            w.WriteString("connection", peer.Transport == "utp" ? "μTP" : "BT");
            w.WriteNumber("dl_speed", (long)peer.DownloadRate);
            w.WriteNumber("downloaded", peer.Downloaded);
            w.WriteString("files", "");
            w.WriteString("flags", flags);
            w.WriteString("flags_desc", descriptions);
            w.WriteString("ip", endPoint?.Address.ToString() ?? peer.Address);
            w.WriteString("peer_id_client", PeerIdClient(peer.PeerId));
            w.WriteNumber("port", endPoint?.Port ?? 0);
            w.WriteNumber("progress", peer.Progress);
            // qBittorrent's relevance: the share of what we lack that the peer has; a complete peer has all of it.
            w.WriteNumber("relevance", peer.Progress >= 1 && t.Pieces.CountOf(Downloads.PieceState.Verified) < t.Torrent.PieceCount ? 1 : 0);
            w.WriteNumber("up_speed", (long)peer.UploadRate);
            w.WriteNumber("uploaded", peer.Uploaded);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteNumber("rid", Interlocked.Increment(ref _peersRid));
        w.WriteBoolean("show_flags", false); // no country flags: peers' countries are not looked up
        w.WriteEndObject();
    }

    private long _peersRid;

    /// <summary>qBittorrent's peer flags, with their legend: D downloading, d interested and choked, U uploading, u it
    /// is interested and we choke it, K it unchoked us but we are not interested, ? we unchoked it but it is not
    /// interested, I incoming, E encrypted, P uTP.</summary>
    private static (string Flags, string Descriptions) PeerFlags(PeerDetails peer)
    {
        var flags = new List<(char Flag, string What)>();
        if (peer.AmInterested) flags.Add(peer.PeerChoking ? ('d', "Interested (local) and choked (peer)") : ('D', "Interested (local) and unchoked (peer)"));
        if (peer.PeerInterested) flags.Add(peer.AmChoking ? ('u', "Interested (peer) and choked (local)") : ('U', "Interested (peer) and unchoked (local)"));
        if (!peer.PeerChoking && !peer.AmInterested) flags.Add(('K', "Not interested (local) and unchoked (peer)"));
        if (!peer.AmChoking && !peer.PeerInterested) flags.Add(('?', "Not interested (peer) and unchoked (local)"));
        if (peer.Incoming) flags.Add(('I', "Incoming connection"));
        if (peer.Encrypted) flags.Add(('E', "Encrypted traffic"));
        if (peer.Transport == "utp") flags.Add(('P', "μTP"));
        return (string.Join(' ', flags.Select(f => f.Flag)), string.Join('\n', flags.Select(f => $"{f.Flag} = {f.What}")));
    }

    /// <summary>The client prefix of a peer id as qBittorrent shows it (<c>-qB4520-</c>), or "".</summary>
    private static string PeerIdClient(string? peerIdHex)
    {
        if (peerIdHex is not { Length: 40 }) return "";
        var bytes = Convert.FromHexString(peerIdHex.AsSpan(0, 16));
        return bytes.All(b => b is >= 0x20 and < 0x7f) ? System.Text.Encoding.ASCII.GetString(bytes) : "";
    }

    /// <summary>transfer/speedLimitsMode: "1" while the alternative limits are in force, else "0".</summary>
    private Task SpeedLimitsModeAsync(HttpContext context) => TextAsync(context, _torrents.Limits.AltSpeed.Active == true ? "1" : "0");

    /// <summary>transfer/toggleSpeedLimitsMode: switches the alternative limits (Transmission's turtle mode) on or off by
    /// hand. While the schedule holds them on, they cannot be switched off by hand (409): turn the scheduler off.</summary>
    private Task ToggleSpeedLimitsModeAsync(HttpContext context)
    {
        var now = _torrents.Limits.AltSpeed;
        var after = _torrents.Limits.UpdateAltSpeed(new AltSpeedSettings(Enabled: now.Active != true));
        if (after.Active == now.Active)
        {
            _torrents.Limits.UpdateAltSpeed(new AltSpeedSettings(Enabled: now.Enabled)); // as it was
            throw new WebApiException(409, "the alternative limits' schedule holds them on now: turn scheduler_enabled off to switch them by hand");
        }
        return TextAsync(context, "");
    }

    /// <summary>transfer/setSpeedLimitsMode (API 2.8.23): <c>mode</c> 1 the alternative limits, 0 the normal ones.</summary>
    private Task SetSpeedLimitsModeAsync(HttpContext context, QBittorrentInput input)
    {
        var mode = input["mode"] switch
        {
            "1" => true, "0" => false,
            var m => throw new WebApiException(400, $"mode must be 0 or 1, got '{UntrustedText.Clean(m, 10)}'"),
        };
        if ((_torrents.Limits.AltSpeed.Active == true) != mode) return ToggleSpeedLimitsModeAsync(context);
        return TextAsync(context, "");
    }
}
