using System.Globalization;
using System.Text.RegularExpressions;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>One tracker's last announce as the engine logged it (<c>Swarm/Announcer.cs</c>): when, whether it
/// answered, how many peers it gave, its swarm counts and when the next announce is due.</summary>
/// <param name="At">When the answer (or the failure) came.</param>
/// <param name="Succeeded">It answered.</param>
/// <param name="Result">"Success", or why it failed.</param>
/// <param name="Peers">Peers the answer gave.</param>
/// <param name="Seeders">Seeders it counts (BEP 3's <c>complete</c>), or -1 when it did not say.</param>
/// <param name="Leechers">Leechers it counts (<c>incomplete</c>), or -1.</param>
/// <param name="NextAt">When the next announce is due, or null after a failure (retried with a growing delay).</param>
internal sealed record TrackerAnnounce(DateTimeOffset At, bool Succeeded, string Result, int Peers, int Seeders, int Leechers,
    DateTimeOffset? NextAt);

/// <summary>What a torrent keeps for the remote-control APIs beyond the page's figures, in the saved list.</summary>
/// <param name="Tags">Its tags (qBittorrent's tags, Transmission's labels after the first), sorted.</param>
/// <param name="Name">The name a qBittorrent client gave it (<c>torrents/rename</c>), or null for the .torrent's.</param>
/// <param name="CompletedAt">When it first had every wanted piece.</param>
/// <param name="LastActivity">When it last sent or received payload.</param>
/// <param name="SecondsDownloading">Seconds it ran while incomplete, every run.</param>
/// <param name="SecondsSeeding">Seconds it ran while complete.</param>
/// <param name="Files">Where its files lie when they were renamed: one path per file of the .torrent; null when none was.</param>
/// <param name="Downloaded">Bytes it downloaded over every run (<see cref="ManagedTorrent.Downloaded"/>).</param>
/// <param name="SeenComplete">When a peer with every piece was last seen connected (<see cref="ManagedTorrent.SeenComplete"/>).</param>
internal sealed record RemoteEntry(IReadOnlyList<string>? Tags = null, string? Name = null, DateTimeOffset? CompletedAt = null,
    DateTimeOffset? LastActivity = null, long SecondsDownloading = 0, long SecondsSeeding = 0, IReadOnlyList<string>? Files = null,
    long Downloaded = 0, DateTimeOffset? SeenComplete = null);

// What the remote-control APIs show beyond the page: tags, a display name, when the torrent was last active and how
// long it ran, and each tracker's last answer.
internal sealed partial class ManagedTorrent
{
    private string[] _tags = [];      // guarded by _lock; sorted, no duplicates
    private string? _displayName;     // guarded by _lock
    private DateTimeOffset? _completedAt, _lastActivity, _segmentStart, _seenComplete;
    private long _downloaded, _downloadedBefore; // every run's downloaded bytes; those of the runs before this server loaded it
    private TorrentState _segmentState, _notedState; // _notedState: the state last seen (ObserveLocked)
    private long _secondsDownloading, _secondsSeeding, _lastBytes = -1, _lastUploaded = -1;
    private Dictionary<string, TrackerAnnounce>? _announces; // by announce URL; made at the first tracker line

    /// <summary>Its tags, sorted (qBittorrent's tags; Transmission's labels after the category).</summary>
    public IReadOnlyList<string> Tags { get { lock (_lock) return _tags; } }

    /// <summary>Replaces its tags.</summary>
    public void SetTags(IEnumerable<string> tags)
    {
        var sorted = tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        lock (_lock)
        {
            if (sorted.AsSpan().SequenceEqual(_tags)) return;
            _tags = sorted;
            Bump();
        }
    }

    /// <summary>The name it shows: one given through qBittorrent's rename, else the .torrent's.</summary>
    public string ShownName { get { lock (_lock) return _displayName ?? Torrent.Name; } }

    /// <summary>Gives it a name of its own to show (null: the .torrent's again); its files keep their names.</summary>
    public void SetDisplayName(string? name)
    {
        lock (_lock)
        {
            _displayName = name == Torrent.Name ? null : name;
            Bump();
        }
    }

    /// <summary>When it first had every wanted piece; null while it never had.</summary>
    public DateTimeOffset? CompletedAt { get { Observe(); lock (_lock) return _completedAt; } }

    /// <summary>When it last sent or received payload; null when it never did.</summary>
    public DateTimeOffset? LastActivity { get { Observe(); lock (_lock) return _lastActivity; } }

    /// <summary>Bytes it downloaded, over every run (qBittorrent's <c>downloaded</c>, Transmission's
    /// <c>downloadedEver</c>): the verified bytes it gained while it ran, so data it was added with, or found by a
    /// re-check, counts for nothing. The engine keeps no count of payload received, so a block received twice or a
    /// piece that failed its hash is not counted either. As of the last look (<see cref="Observe"/>, each
    /// <see cref="Summary()"/>).</summary>
    public long Downloaded { get { lock (_lock) return _downloaded; } }

    /// <summary>The part of <see cref="Downloaded"/> since this server loaded it (qBittorrent's <c>downloaded_session</c>).</summary>
    public long DownloadedThisSession { get { lock (_lock) return _downloaded - _downloadedBefore; } }

    /// <summary>When a connected peer last had every piece (libtorrent's and qBittorrent's "last seen complete": a
    /// complete copy seen in the swarm, not this torrent's own); null while none was seen. Noted when the connected
    /// peers are read (<see cref="PeersNow"/>: each time a remote-control row of the torrent is written).</summary>
    public DateTimeOffset? SeenComplete { get { lock (_lock) return _seenComplete; } }

    /// <summary>When the current run began (null while it does not run).</summary>
    public DateTimeOffset? RunStartedAt { get { Observe(); lock (_lock) return IsRunning ? _runStartedAt : null; } }

    private DateTimeOffset? _runStartedAt;

    /// <summary>Seconds it ran while incomplete, over every run, this one included.</summary>
    public long SecondsDownloading { get { Observe(); lock (_lock) return _secondsDownloading + Running(TorrentState.Downloading); } }

    /// <summary>Seconds it ran while complete, over every run, this one included.</summary>
    public long SecondsSeeding { get { Observe(); lock (_lock) return _secondsSeeding + Running(TorrentState.Seeding); } }

    private long Running(TorrentState state) =>
        _segmentStart is { } start && _segmentState == state ? (long)(DateTimeOffset.UtcNow - start).TotalSeconds : 0;

    /// <summary>A run began, or went from downloading to seeding: the time so far counts for the state it was in.</summary>
    private void NoteSegmentLocked(TorrentState now)
    {
        var at = DateTimeOffset.UtcNow;
        if (_segmentStart is { } start)
        {
            var seconds = (long)(at - start).TotalSeconds;
            if (_segmentState == TorrentState.Downloading) _secondsDownloading += seconds;
            else if (_segmentState == TorrentState.Seeding) _secondsSeeding += seconds;
        }
        if (now is TorrentState.Downloading or TorrentState.Seeding)
        {
            _runStartedAt = _segmentStart is null ? at : _runStartedAt;
            (_segmentStart, _segmentState) = (at, now);
        }
        else (_segmentStart, _runStartedAt) = (null, null);
        if (now is TorrentState.Seeding or TorrentState.Completed) _completedAt ??= at;
    }

    /// <summary>Takes what the handle did since the last look: a change of state (a run began, began to seed, ended)
    /// and payload that moved. Called on each of the session's alerts for this torrent and each time its row is made,
    /// so a dropped alert loses nothing but the moment.</summary>
    public void Observe()
    {
        lock (_lock)
        {
            // The state before the counts, as Summary reads them: a look that saw the run end with the counts from before
            // its last pieces would leave those bytes out of what was downloaded (a paused or completed torrent gains none).
            var state = StateLocked();
            ObserveLocked(state, Handle.Progress, Handle.BytesDone, Handle.Uploaded);
        }
    }

    private void ObserveLocked(TorrentState state, DownloadProgress? progress, long bytesDone, long uploaded)
    {
        var before = _notedState;
        if (state != _notedState)
        {
            _notedState = state;
            NoteSegmentLocked(state);
        }
        if (state is TorrentState.Checking or TorrentState.Moving) return; // a re-hash finds bytes, nothing moved on the wire
        var running = state is TorrentState.Downloading or TorrentState.Seeding;
        // Bytes gained while it ran (or in the look that saw its run end) came from peers; a paused torrent gains bytes
        // only when a file is selected again whose pieces were verified already.
        if (_lastBytes >= 0 && bytesDone > _lastBytes && (running || before == TorrentState.Downloading)) _downloaded += bytesDone - _lastBytes;
        if ((_lastBytes >= 0 && bytesDone != _lastBytes) || (_lastUploaded >= 0 && uploaded != _lastUploaded)
            || (running && progress is { } p && (p.DownloadRate > 0 || p.UploadRate > 0)))
            _lastActivity = DateTimeOffset.UtcNow;
        (_lastBytes, _lastUploaded) = (bytesDone, uploaded);
    }

    /// <summary>The peers connected now (the detail view's list, without the rest of its figures).</summary>
    public IReadOnlyList<PeerDetails> PeersNow()
    {
        var progress = Handle.Progress;
        lock (_lock)
        {
            if (!IsRunning) return [];
            var peers = Peers.Snapshot(progress, running: true, Torrent.PieceCount);
            if (peers.Any(p => p.Progress >= 1)) _seenComplete = DateTimeOffset.UtcNow;
            return peers;
        }
    }

    /// <summary>The last announce of each tracker that was asked, by URL.</summary>
    public IReadOnlyDictionary<string, TrackerAnnounce> Announces
    {
        get { lock (_lock) return _announces is null ? Empty : new Dictionary<string, TrackerAnnounce>(_announces, StringComparer.Ordinal); }
    }

    private static readonly Dictionary<string, TrackerAnnounce> Empty = [];

    // The swarm's "tracker: 3 peers, next announce in 1800 s (from http://t/announce: 2 seeders, 1 leecher)", and the
    // single-peer story's "tracker: 3 peer(s), interval 1800 s".
    [GeneratedRegex(@"^tracker: (\d+) peer(?:s|\(s\))?, (?:next announce in|interval) (\d+) s(?: \(from (\S+?)(?:: (\d+) seeders?, (\d+) leechers?)?\))?$", RegexOptions.CultureInvariant)]
    private static partial Regex AnsweredLine();

    /// <summary>Reads a tracker line of the engine's log into the announce state of the tracker it names (of every
    /// tracker when it names none).</summary>
    private void NoteTrackerLineLocked(string line, DateTimeOffset at, IReadOnlyList<IReadOnlyList<string>> tiers)
    {
        TrackerAnnounce announce;
        string? url = null;
        if (AnsweredLine().Match(line) is { Success: true } m)
        {
            int Number(int group) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : -1;
            url = m.Groups[3].Success ? m.Groups[3].Value : null;
            announce = new TrackerAnnounce(at, true, "Success", Number(1), Number(4), Number(5), at.AddSeconds(Number(2)));
        }
        else if (line.StartsWith("tracker announce failed: ", StringComparison.Ordinal))
            announce = new TrackerAnnounce(at, false, line["tracker announce failed: ".Length..], 0, -1, -1, null);
        else return;
        _announces ??= new(StringComparer.Ordinal);
        var urls = tiers.SelectMany(tier => tier).ToList();
        var named = url is not null ? urls.Where(u => u == url).ToList() : urls.Where(u => line.Contains(u, StringComparison.Ordinal)).ToList();
        foreach (var u in named.Count > 0 ? named : urls) _announces[u] = announce;
    }

    private string[]? _renamed; // guarded by _lock: every file's path since a rename, null while none was renamed

    /// <summary>Moves its files on disk to the paths of <paramref name="renamed"/> (the same torrent,
    /// <see cref="TorrentLab.Metainfo.Torrent.WithFilePaths"/>) through the handle, which records them in the resume
    /// ledger and runs the renamed torrent from then on; the torrent does not run meanwhile.</summary>
    /// <exception cref="TorrentLab.Storage.StorageException">A file is in the way, or could not be moved: nothing was renamed.</exception>
    public async Task RenameAsync(TorrentLab.Metainfo.Torrent renamed)
    {
        if (IsRunning) throw new InvalidOperationException("stop the torrent before renaming its files");
        await Handle.RenameFilesAsync(renamed).ConfigureAwait(false);
        lock (_lock)
        {
            Torrent = renamed;
            _renamed = [.. renamed.Files.Select(f => f.DisplayPath)];
            Bump();
        }
    }

    /// <summary>What the saved list keeps of this part; null when there is nothing to keep.</summary>
    public RemoteEntry? RemoteToSave()
    {
        Observe();
        lock (_lock)
        {
            var entry = new RemoteEntry(_tags.Length == 0 ? null : _tags, _displayName, _completedAt, _lastActivity,
                _secondsDownloading + Running(TorrentState.Downloading), _secondsSeeding + Running(TorrentState.Seeding), _renamed,
                _downloaded, _seenComplete);
            return entry == new RemoteEntry() ? null : entry;
        }
    }

    /// <summary>Takes what the saved list kept (at load, before the torrent runs).</summary>
    public void LoadRemote(RemoteEntry? entry)
    {
        if (entry is null) return;
        lock (_lock)
        {
            _tags = [.. (entry.Tags ?? []).Where(TorrentLabels.ValidTag).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            _renamed = entry.Files is { } files && files.SequenceEqual(Torrent.Files.Select(f => f.DisplayPath)) ? [.. files] : null;
            _displayName = entry.Name is { Length: > 0 } name && TorrentAdjustments.ValidName(name) ? name : null;
            (_completedAt, _lastActivity, _seenComplete) = (entry.CompletedAt, entry.LastActivity, entry.SeenComplete);
            _downloaded = _downloadedBefore = Math.Max(0, entry.Downloaded);
            (_secondsDownloading, _secondsSeeding) = (Math.Max(0, entry.SecondsDownloading), Math.Max(0, entry.SecondsSeeding));
            if (_completedAt is null && StateLocked() == TorrentState.Completed) _completedAt = AddedAt;
        }
    }

    private CachedSummary? _summary; // the last row made, with the numbers it was made at

    private sealed record CachedSummary(int Version, long Changes, TorrentSummary Summary);

    /// <summary>Its row as <see cref="Summary()"/> makes it, made again only when the torrent changed (its
    /// <see cref="Version"/>) or the list did (<paramref name="changes"/>, <see cref="TorrentManager.Changes"/>: the
    /// settings a row reads): a poll of 10,000 idle torrents allocates no row.</summary>
    public TorrentSummary Summary(long changes)
    {
        var version = Version; // read first: a change meanwhile leaves the row under the older number, made again next time
        if (Volatile.Read(ref _summary) is { } cached && cached.Version == version && cached.Changes == changes) return cached.Summary;
        var summary = Summary();
        Volatile.Write(ref _summary, new CachedSummary(version, changes, summary));
        return summary;
    }

    /// <summary>Adds this part's figures to a row: its shown name and its tags.</summary>
    private TorrentSummary WithRemote(TorrentSummary summary) => summary with
    {
        Name = _displayName ?? summary.Name,
        Tags = _tags,
    };
}
