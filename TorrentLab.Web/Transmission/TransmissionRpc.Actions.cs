using System.Text.Json;
using TorrentLab.Metainfo;

namespace TorrentLab.Web;

// The methods that change torrents (rpc-spec 3.1, 3.2, 3.4-3.7, 4.6). Each checks every argument before it changes
// anything, so a refused request leaves the torrents as they were.
internal sealed partial class TransmissionRpc
{
    /// <summary>rpc-spec 3.4: add by <c>filename</c> (a magnet link, an http/https URL, or a .torrent on the server)
    /// or by <c>metainfo</c> (the .torrent in base64), into <c>download-dir</c> (inside the downloads folder); answers
    /// <c>torrent-added</c> or <c>torrent-duplicate</c>.</summary>
    private async Task AddAsync(JsonElement args, Utf8JsonWriter writer, CancellationToken ct)
    {
        var folder = TransmissionArguments.String(args, "download-dir");
        _torrents.SaveFolderOf(folder); // refused before anything is fetched
        var start = !(TransmissionArguments.Bool(args, "paused") ?? _torrents.Settings.StartAddedTorrents == false);
        var label = Label(args);
        if (TransmissionArguments.String(args, "cookies") is { Length: > 0 }) throw Unsupported("cookies are not supported: a URL is fetched without cookies (only \"\")");
        if (TransmissionArguments.Long(args, "bandwidthPriority") is { } priority && priority != 0)
            throw Unsupported($"bandwidthPriority {priority} is not supported: torrents have no bandwidth priority here (only 0, normal)");
        var sequential = TransmissionArguments.Bool(args, "sequentialDownload");
        var peerLimit = PeerLimit(args);
        var metainfo = TransmissionArguments.String(args, "metainfo");
        var filename = TransmissionArguments.String(args, "filename");
        byte[] bytes;
        IReadOnlyList<System.Net.IPEndPoint> peers = [];
        if (!string.IsNullOrEmpty(metainfo))
        {
            try { bytes = Convert.FromBase64String(metainfo); }
            catch (FormatException) { throw Unsupported("invalid or corrupt torrent file: 'metainfo' is not base64"); }
        }
        else if (!string.IsNullOrEmpty(filename))
        {
            if (RemoteLinks.MagnetHash(filename) is { } hash && _torrents.Find(hash) is { } known)
            {
                WriteAdded(writer, "torrent-duplicate", known);
                return;
            }
            (bytes, peers) = await RemoteLinks.FetchAsync(_torrents, _options, filename, ct).ConfigureAwait(false);
        }
        else throw Unsupported("no filename or metainfo specified");

        var torrent = Torrent.Parse(bytes);
        if (_torrents.Find(torrent.InfoHash.Hex) is { } duplicate)
        {
            WriteAdded(writer, "torrent-duplicate", duplicate);
            return;
        }
        var changes = FileChanges(args, torrent.Files.Count(f => !f.IsPadding), current: null);
        var added = await _torrents.AddAsync(bytes, start: false, peers, folder, ct).ConfigureAwait(false);
        _options.Log?.Invoke($"added '{added.Torrent.Name}' ({added.InfoHash}) through the Transmission RPC");
        if (changes.Count > 0) await _torrents.Adjust.SetPrioritiesAsync(added, changes, ct).ConfigureAwait(false);
        if (label is { Count: > 0 }) _torrents.Labels.SetLabels(added, label);
        await _torrents.Adjust.SetRunOptionsAsync(added, sequential, peerLimit, ct).ConfigureAwait(false);
        if (start) await _torrents.StartAsync(added, ct).ConfigureAwait(false);
        WriteAdded(writer, "torrent-added", added);
    }

    private void WriteAdded(Utf8JsonWriter writer, string key, ManagedTorrent torrent)
    {
        writer.WriteStartObject(key);
        writer.WriteNumber("id", _ids.IdOf(torrent));
        writer.WriteString("name", torrent.Torrent.Name);
        writer.WriteString("hashString", torrent.InfoHash);
        writer.WriteEndObject();
    }

    private async Task StartAsync(JsonElement args, bool now, CancellationToken ct)
    {
        var torrents = _ids.Resolve(args);
        if (now) _torrents.Queue.Move(torrents, QueueMove.Top); // start-now: ahead of every waiting download
        foreach (var torrent in torrents) await _torrents.StartAsync(torrent, ct).ConfigureAwait(false);
    }

    private async Task ForEachAsync(JsonElement args, Func<ManagedTorrent, Task> action)
    {
        foreach (var torrent in _ids.Resolve(args)) await action(torrent).ConfigureAwait(false);
    }

    /// <summary>rpc-spec 3.7: renames the file or folder at <c>path</c> (its top folder, or its one file, included) of
    /// one torrent to <c>name</c>, on disk; answers the <c>path</c>, <c>name</c> and <c>id</c>. As Transmission, the
    /// name is one segment (no '/'), and a rename of the top renames the torrent.</summary>
    private async Task RenamePathAsync(JsonElement args, Utf8JsonWriter writer, CancellationToken ct)
    {
        var torrents = _ids.Resolve(args);
        if (torrents.Count != 1) throw Unsupported($"torrent-rename-path names one torrent, got {torrents.Count}");
        var path = TransmissionArguments.String(args, "path") ?? throw Unsupported("torrent-rename-path needs 'path'");
        var name = TransmissionArguments.String(args, "name") ?? throw Unsupported("torrent-rename-path needs 'name'");
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
            throw Unsupported($"invalid name '{UntrustedText.Clean(name, 60)}': one file or folder name, without '/'");
        var torrent = torrents[0];
        var trimmed = path.Trim('/');
        var isFile = torrent.Torrent.Files.Any(f => !f.IsPadding && f.DisplayPath == trimmed);
        var slash = trimmed.LastIndexOf('/');
        var newPath = slash < 0 ? name : trimmed[..(slash + 1)] + name;
        try { await _torrents.RenameAsync(torrent, trimmed, newPath, folder: !isFile, ct).ConfigureAwait(false); }
        catch (WebApiException e) { throw Unsupported(e.Message); }
        writer.WriteString("path", path);
        writer.WriteString("name", name);
        writer.WriteNumber("id", _ids.IdOf(torrent));
    }

    /// <summary>rpc-spec 3.6: remove, with <c>delete-local-data</c> also the files (inside the downloads folder only).</summary>
    private async Task RemoveAsync(JsonElement args)
    {
        var delete = TransmissionArguments.Bool(args, "delete-local-data") ?? false;
        foreach (var torrent in _ids.Resolve(args))
        {
            await _torrents.RemoveAsync(torrent, delete).ConfigureAwait(false);
            _options.Log?.Invoke($"removed '{torrent.Torrent.Name}'{(delete ? " and its data" : "")} through the Transmission RPC");
        }
    }

    /// <summary>rpc-spec 3.2: every argument of <see cref="SetArguments"/> is applied, or the whole request is refused
    /// before anything changes (an argument TorrentLab cannot apply, such as a bandwidth priority other than normal).
    /// <c>location</c> points the torrents at another folder without moving their data, as Transmission's torrent-set
    /// does; <c>sequentialDownload</c> and <c>peer-limit</c> restart a running torrent with them.</summary>
    private async Task SetAsync(JsonElement args, CancellationToken ct)
    {
        if (TransmissionArguments.Bool(args, "honorsSessionLimits") == false) throw Unsupported("honorsSessionLimits false is not supported: the global limits always apply");
        if (TransmissionArguments.Long(args, "bandwidthPriority") is { } priority && priority != 0)
            throw Unsupported($"bandwidthPriority {priority} is not supported: torrents have no bandwidth priority here (only 0, normal)");
        if (TransmissionArguments.String(args, "group") is { Length: > 0 }) throw Unsupported("group is not supported: there are no bandwidth groups here (only \"\")");
        var sequential = TransmissionArguments.Bool(args, "sequentialDownload");
        var peerLimit = PeerLimit(args);
        var queuePosition = TransmissionArguments.Long(args, "queuePosition");
        if (queuePosition is < 0) throw Unsupported($"queuePosition must be 0 or more, got {queuePosition}");
        var location = TransmissionArguments.String(args, "location");
        _torrents.SaveFolderOf(location);
        var torrents = _ids.Resolve(args);
        var down = Limit(args, "downloadLimit", "downloadLimited", torrents.Any(t => t.DownloadLimit.BytesPerSecond > 0));
        var up = Limit(args, "uploadLimit", "uploadLimited", torrents.Any(t => t.UploadLimit.BytesPerSecond > 0));
        var ratio = SeedRatio(args);
        var idle = SeedIdle(args);
        var label = Label(args);
        var changes = torrents.Select(t => t.Files()).Select((files, i) => (Torrent: torrents[i], Changes: FileChanges(args, files.Length, files))).ToList();
        // Every torrent's new list is checked before any changes.
        var trackers = torrents.Select(t => (Torrent: t, Tiers: TrackerChanges(args, t.TrackerTiers) is { } tiers ? TorrentAdjustments.CleanTrackers(tiers) : null))
            .Where(c => c.Tiers is not null).ToList();
        foreach (var (torrent, tiers) in trackers) await _torrents.Adjust.SetTrackersAsync(torrent, tiers, ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(location))
            foreach (var torrent in torrents) await _torrents.MoveAsync(torrent, location, moveData: false, ct).ConfigureAwait(false);
        foreach (var (torrent, fileChanges) in changes)
        {
            if (down is { } d) _torrents.Adjust.SetLimit(torrent.DownloadLimit, d);
            if (up is { } u) _torrents.Adjust.SetLimit(torrent.UploadLimit, u);
            if (ratio is not null || idle is not null)
                await _torrents.Adjust.SetSeedingAsync(torrent, WithIdle(ratio is { } r ? WithRatio(torrent.Seeding, r.Mode, r.Limit) : torrent.Seeding, idle)).ConfigureAwait(false);
            if (label is not null) _torrents.Labels.SetLabels(torrent, label);
            if (fileChanges.Count > 0) await _torrents.Adjust.SetPrioritiesAsync(torrent, fileChanges, ct).ConfigureAwait(false);
            await _torrents.Adjust.SetRunOptionsAsync(torrent, sequential, peerLimit, ct).ConfigureAwait(false);
        }
        if (queuePosition is { } position) _torrents.Queue.MoveTo(torrents, (int)Math.Min(position, int.MaxValue));
    }

    /// <summary>A torrent's seeding limits after a seedRatioMode/seedRatioLimit: mode 0 the session's ratio, 2 none,
    /// 1 its own, where 0 means what it means in Transmission (the torrent stops as soon as it is complete: it does not
    /// seed), not TorrentLab's "no ratio limit".</summary>
    internal static SeedPolicy WithRatio(SeedPolicy policy, int mode, double? limit) => mode switch
    {
        0 => policy with { Ratio = null, Seed = policy.Seed == false && policy.Ratio is null ? null : policy.Seed },
        2 => policy with { Ratio = 0, Seed = policy.Seed == false && policy.Ratio is null ? null : policy.Seed },
        _ when (limit ?? policy.Ratio) == 0 => policy with { Seed = false, Ratio = null },
        _ => policy with { Ratio = limit ?? policy.Ratio, Seed = policy.Seed == false && policy.Ratio is null ? null : policy.Seed },
    };

    /// <summary>The labels of a torrent-add or torrent-set, checked, or null when absent. Labels, categories and tags
    /// are one model here: the first label is the torrent's category (the page's, qBittorrent's), the others its tags
    /// (<see cref="TorrentLabels.SetLabels"/>).</summary>
    private static IReadOnlyList<string>? Label(JsonElement args)
    {
        var labels = TransmissionArguments.Strings(args, "labels");
        if (labels is null) return null;
        // Transmission 4 drops empty labels and duplicates; a comma it refuses (its label lists are comma-separated).
        IReadOnlyList<string> kept = [.. labels.Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal)];
        try { TorrentLabels.CheckLabels(kept); }
        catch (WebApiException e) { throw Unsupported(e.Message); }
        return kept;
    }

    private static int? PeerLimit(JsonElement args)
    {
        var limit = TransmissionArguments.Long(args, "peer-limit");
        if (limit is < 1 or > TorrentAdjustments.MaxPeerLimit) throw Unsupported($"peer-limit must be 1..{TorrentAdjustments.MaxPeerLimit}, got {limit}");
        return (int?)limit;
    }

    /// <summary>A limit in bytes per second (0 unlimited) from Transmission's kB/s and its on/off flag, or null when
    /// neither is given. A value given without its flag turns the limit on, except 0 while the limit is off, which
    /// leaves it off (unlimited), as Transmission stores the value and keeps the limit off.</summary>
    /// <remarks>In Transmission a limit of 0 that is on means no transfer at all (transmission-daemon 3.00 clamps each
    /// period's bytes to the band's budget, which a 0 kB/s limit never fills), not "unlimited" as 0 is in TorrentLab's
    /// own limits. TorrentLab's limits cannot stop a transfer, so that request is refused (pause the torrents instead)
    /// rather than answered "success" and read as unlimited.</remarks>
    /// <param name="args">The method's arguments.</param>
    /// <param name="value">The key of the limit in kB/s (<c>speed-limit-down</c>, <c>downloadLimit</c>...).</param>
    /// <param name="enabled">The key of its on/off flag.</param>
    /// <param name="limitedNow">Whether the limit is on now (a value without its flag keeps Transmission's flag).</param>
    internal static long? Limit(JsonElement args, string value, string enabled, bool limitedNow)
    {
        var kbps = TransmissionArguments.Long(args, value);
        var on = TransmissionArguments.Bool(args, enabled);
        if (kbps is < 0) throw Unsupported($"{value} must be 0 or more kB/s, got {kbps}");
        if (kbps == 0 && (on == true || (on is null && limitedNow)))
            throw Unsupported($"{value} 0 with {enabled} means no transfer at all in Transmission, which TorrentLab's limits cannot do: pause the torrents instead, or turn {enabled} off for no limit");
        if (on == false) return 0;
        if (kbps is { } k) return k * SpeedUnit;
        return null; // on without a value: the limit already set stays (0 stays unlimited)
    }

    /// <summary>A torrent's seeding limits after a seedIdleMode/seedIdleLimit (minutes without an upload): mode 0 the
    /// session's idle limit, 1 its own, 2 none. A limit given without a mode is its own, as in Transmission.</summary>
    internal static SeedPolicy WithIdle(SeedPolicy policy, (int Mode, long? Limit)? idle) => idle switch
    {
        null => policy,
        { Mode: 0 } => policy with { IdleMinutes = null },
        { Mode: 2 } => policy with { IdleMinutes = 0 },
        { Limit: { } minutes } => policy with { IdleMinutes = minutes },
        // Mode 1 without a limit: its own limit kept, or none while it has none of its own.
        _ => policy with { IdleMinutes = policy.IdleMinutes ?? 0 },
    };

    private static (int Mode, long? Limit)? SeedIdle(JsonElement args)
    {
        var limit = TransmissionArguments.Long(args, "seedIdleLimit");
        var mode = TransmissionArguments.Long(args, "seedIdleMode");
        // Transmission keeps the limit in a 16-bit field of minutes; 0 would stop a torrent the moment it seeds.
        if (limit is < 1 or > ushort.MaxValue) throw Unsupported($"seedIdleLimit must be 1..{ushort.MaxValue} minutes, got {limit}");
        if (mode is not (null or 0 or 1 or 2)) throw Unsupported($"seedIdleMode must be 0 (global), 1 (this torrent's) or 2 (unlimited), got {mode}");
        if (mode is null && limit is null) return null;
        return ((int)(mode ?? 1), limit);
    }

    private static (int Mode, double? Limit)? SeedRatio(JsonElement args)
    {
        var limit = TransmissionArguments.Double(args, "seedRatioLimit");
        var mode = TransmissionArguments.Long(args, "seedRatioMode");
        if (limit is < 0) throw Unsupported($"seedRatioLimit must be 0 or more, got {limit}");
        if (mode is not (null or 0 or 1 or 2)) throw Unsupported($"seedRatioMode must be 0 (global), 1 (this torrent's) or 2 (unlimited), got {mode}");
        if (mode is null && limit is null) return null;
        return ((int)(mode ?? 1), limit);
    }

    /// <summary>The file changes of a torrent-add or torrent-set: files-unwanted and files-wanted (an empty list means
    /// every file), then priority-high/low/normal on the files still wanted. Files are numbered from 0 (pad files left
    /// out). Wanted and priority are one setting here: unwanting a file forgets its priority, wanting it again makes it
    /// normal, and a priority given to an unwanted file leaves it unwanted.</summary>
    /// <exception cref="WebApiException">A file number out of range.</exception>
    private static List<FilePriorityChange> FileChanges(JsonElement args, int count, FileEntry[]? current)
    {
        var priorities = current?.Select(f => f.Priority).ToArray() ?? Enumerable.Repeat("normal", count).ToArray();
        int[] Indexes(string key)
        {
            var list = TransmissionArguments.Ints(args, key);
            if (list is null) return [];
            if (list.Length == 0) return [.. Enumerable.Range(0, count)];
            foreach (var i in list)
                if (i < 0 || i >= count) throw Unsupported($"{key}: file {i} is out of range: the torrent has {count} file(s), numbered from 0");
            return list;
        }
        // In transmission-daemon's order (rpcimpl.c's torrentSet): unwanted before wanted, then high, low, normal.
        foreach (var i in Indexes("files-unwanted")) priorities[i] = "skip";
        foreach (var i in Indexes("files-wanted")) if (priorities[i] == "skip") priorities[i] = "normal";
        foreach (var (key, priority) in (ReadOnlySpan<(string, string)>)[("priority-high", "high"), ("priority-low", "low"), ("priority-normal", "normal")])
            foreach (var i in Indexes(key)) if (priorities[i] != "skip") priorities[i] = priority;
        var before = current?.Select(f => f.Priority).ToArray() ?? Enumerable.Repeat("normal", count).ToArray();
        return [.. Enumerable.Range(0, count).Where(i => priorities[i] != before[i]).Select(i => new FilePriorityChange(i + 1, priorities[i]))];
    }

    /// <summary>rpc-spec 3.6: a new folder for the torrents' data, inside the downloads folder; with <c>move</c> the data
    /// moves there, without the torrents look for it there (a re-check).</summary>
    private async Task SetLocationAsync(JsonElement args, CancellationToken ct)
    {
        var location = TransmissionArguments.String(args, "location") ?? throw Unsupported("torrent-set-location needs 'location'");
        var move = TransmissionArguments.Bool(args, "move") ?? false;
        _torrents.SaveFolderOf(location);
        foreach (var torrent in _ids.Resolve(args)) await _torrents.MoveAsync(torrent, location, move, ct).ConfigureAwait(false);
    }

    /// <summary>The tracker list after a torrent-set's trackerList, trackerAdd, trackerRemove and trackerReplace (in
    /// that order), or null when it names none. rpc-spec 3.2: trackerList is "a string of announce URLs, one per line,
    /// with a blank line between tiers"; trackerAdd appends each URL as a tier of its own; trackerRemove and
    /// trackerReplace name trackers by the <c>id</c> torrent-get gives them (their place in the list, from 0).</summary>
    /// <exception cref="WebApiException">An unknown id, or arguments of the wrong shape.</exception>
    private static List<List<string>>? TrackerChanges(JsonElement args, IReadOnlyList<IReadOnlyList<string>> current)
    {
        var list = TransmissionArguments.String(args, "trackerList");
        var add = TransmissionArguments.Strings(args, "trackerAdd");
        var remove = TransmissionArguments.Ints(args, "trackerRemove");
        var replace = args.TryGetProperty("trackerReplace", out var r) ? r : default;
        if (list is null && add is null && remove is null && replace.ValueKind == JsonValueKind.Undefined) return null;
        var tiers = list is not null
            ? [.. list.Replace("\r", "", StringComparison.Ordinal).Split("\n\n").Select(tier => tier.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList())]
            : current.Select(tier => tier.ToList()).ToList();
        var rows = tiers.SelectMany((tier, t) => tier.Select((_, u) => (Tier: t, Url: u))).ToList(); // id -> its place
        (int Tier, int Url) Row(long id) => id >= 0 && id < rows.Count ? rows[(int)id] : throw Unsupported($"no tracker with id {id}: torrent-get's trackers give the ids");
        if (replace.ValueKind != JsonValueKind.Undefined)
        {
            if (replace.ValueKind != JsonValueKind.Array || replace.GetArrayLength() % 2 != 0) throw Unsupported("trackerReplace must be [id, url, id, url, ...]");
            var items = replace.EnumerateArray().ToArray();
            for (var i = 0; i < items.Length; i += 2)
            {
                if (items[i].ValueKind != JsonValueKind.Number || !items[i].TryGetInt64(out var id) || items[i + 1].ValueKind != JsonValueKind.String)
                    throw Unsupported("trackerReplace must be [id, url, id, url, ...]");
                var (tier, url) = Row(id);
                tiers[tier][url] = items[i + 1].GetString()!;
            }
        }
        foreach (var (tier, url) in (remove ?? []).Select(id => Row(id)).OrderByDescending(p => p.Tier).ThenByDescending(p => p.Url).Distinct().ToList())
            tiers[tier].RemoveAt(url);
        foreach (var url in add ?? []) tiers.Add([url]);
        return tiers;
    }


    private void Move(JsonElement args, QueueMove move) => _torrents.Queue.Move(_ids.Resolve(args), move);
}
