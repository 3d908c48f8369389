using TorrentLab.Client;
using HandleState = TorrentLab.Client.TorrentState;

namespace TorrentLab.Web;

/// <summary>The server's hooks: a program run when a torrent is added or completes (qBittorrent's "Run external
/// program", Transmission's torrent scripts, <c>serve --on-added</c> and <c>--on-complete</c>) and a webhook told of
/// every event (<c>--webhook</c>). The one source of the events: <see cref="Added"/> (every add, a magnet link's once
/// its metadata arrived) and <see cref="Follow"/> (the session's alerts: completed, failed). Settings saved; hooks run
/// by a <see cref="HookRunner"/>, never in the engine's way.</summary>
/// <param name="torrents">Where each torrent's save folder is.</param>
/// <param name="settings">The settings in force (the hooks' among them).</param>
/// <param name="save">Saves the list (with the settings) after a change.</param>
/// <param name="limits">How many hooks run and wait, and for how long.</param>
/// <param name="clock">The time of events and of the hooks' time limits.</param>
/// <param name="log">The server's log: one line per hook that fails or is dropped.</param>
internal sealed class ServerHooks(TorrentManager torrents, ServerSettings settings, Action save, HookLimits limits, TimeProvider clock,
    Action<string>? log) : IAsyncDisposable
{
    /// <summary>Transmission's version as its scripts are told it (<c>TR_APP_VERSION</c>): the version the RPC gives.</summary>
    internal const string AppVersion = "4.0.0";

    private readonly HookRunner _runner = new(limits, clock, log, (request, ct) => torrents.Session.SendAsync(request, ct)); // as the trackers: the interface or proxy
    private readonly Lock _lock = new();
    private readonly HashSet<string> _downloading = new(StringComparer.Ordinal); // torrents whose run downloads (guarded by _lock)
    private readonly Queue<string> _fetched = new(); // magnet links' info hashes whose metadata arrived, not added yet (guarded by _lock)
    private const int MaxFetched = 64; // adds in flight at once; an older note belongs to an add that failed

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _raised = new(StringComparer.Ordinal);

    /// <summary>How many events of <paramref name="kind"/> were raised (tests: a restart raises no completion).</summary>
    internal int RaisedCount(string kind) => _raised.GetValueOrDefault(kind);

    /// <summary>The state of the last state alert followed (tests: the alert was seen).</summary>
    internal HandleState? LastFollowed { get; private set; }

    /// <summary>A torrent's id in the Transmission RPC (<c>TR_TORRENT_ID</c>), set by the RPC when it is made.</summary>
    public Func<ManagedTorrent, int>? TransmissionId { get; set; }

    // The settings: serve's options, the REST API's /api/settings, qBittorrent's autorun_*, Transmission's script-*.

    /// <summary>Changes the hooks: a command line (placeholders allowed), whether it runs, the webhook's URL; null leaves
    /// a field as it is, "" clears it. Checked whole before anything changes; saved; in force for the next event.</summary>
    /// <exception cref="WebApiException">400: a command line that does not split, a URL that is not http(s).</exception>
    public void Set(string? onAdded = null, bool? onAddedEnabled = null, string? onComplete = null, bool? onCompleteEnabled = null, string? webhook = null)
    {
        Check(onAdded, onComplete, webhook);
        settings.Change(s => s with
        {
            OnAdded = onAdded is null ? s.OnAdded : onAdded.Length == 0 ? null : onAdded,
            OnAddedEnabled = onAddedEnabled ?? s.OnAddedEnabled,
            OnComplete = onComplete is null ? s.OnComplete : onComplete.Length == 0 ? null : onComplete,
            OnCompleteEnabled = onCompleteEnabled ?? s.OnCompleteEnabled,
            Webhook = webhook is null ? s.Webhook : webhook.Length == 0 ? null : webhook,
        });
        save();
    }

    /// <exception cref="WebApiException">400, as <see cref="Set"/>.</exception>
    public static void Check(string? onAdded, string? onComplete, string? webhook)
    {
        if (onAdded is { Length: > 0 }) HookCommandLine.Split(onAdded);
        if (onComplete is { Length: > 0 }) HookCommandLine.Split(onComplete);
        if (webhook is { Length: > 0 } && WebhookProblem(webhook) is { } why) throw new WebApiException(400, why);
    }

    /// <summary>Why <paramref name="url"/> cannot be a webhook, or null: an absolute http or https URL.</summary>
    public static string? WebhookProblem(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : $"the webhook must be an http or https URL, got '{UntrustedText.Clean(url, 120)}'";

    /// <summary>On reload: the hooks of the file, when they changed.</summary>
    public IEnumerable<string> Reload(WebSettings saved)
    {
        var now = settings.Current;
        if (saved.OnAdded == now.OnAdded && saved.OnComplete == now.OnComplete && saved.Webhook == now.Webhook
            && (saved.OnAddedEnabled == true) == (now.OnAddedEnabled == true) && (saved.OnCompleteEnabled == true) == (now.OnCompleteEnabled == true))
            return [];
        try
        {
            Set(saved.OnAdded ?? "", saved.OnAddedEnabled == true, saved.OnComplete ?? "", saved.OnCompleteEnabled == true, saved.Webhook ?? "");
            return [$"reload: hooks: on added {Shown(saved.OnAdded, saved.OnAddedEnabled)}, on complete {Shown(saved.OnComplete, saved.OnCompleteEnabled)}, webhook {saved.Webhook ?? "none"}"];
        }
        catch (WebApiException e) { return [$"warning: reload: hooks: {e.Message}; the hooks in force stay"]; }
    }

    private static string Shown(string? program, bool? enabled) => program is null ? "none" : enabled == true ? program : $"{program} (off)";

    // The events.

    /// <summary>A magnet link's metadata arrived (<see cref="TorrentManager.FetchMagnetAsync"/>): its add, when it comes,
    /// is told as added and then metadata.</summary>
    public void NoteMetadata(string infoHash)
    {
        lock (_lock)
        {
            if (_fetched.Contains(infoHash)) return;
            _fetched.Enqueue(infoHash);
            while (_fetched.Count > MaxFetched) _fetched.Dequeue();
        }
    }

    /// <summary>A torrent was added (any API, the watch folder, RSS, a share): added, and metadata for a magnet link's.</summary>
    public void Added(ManagedTorrent torrent)
    {
        bool fetched;
        lock (_lock)
        {
            fetched = _fetched.Contains(torrent.InfoHash);
            if (fetched)
            {
                var rest = _fetched.Where(h => h != torrent.InfoHash).ToArray();
                _fetched.Clear();
                foreach (var hash in rest) _fetched.Enqueue(hash);
            }
        }
        Raise("added", torrent, null);
        if (fetched) Raise("metadata", torrent, null);
    }

    /// <summary>One of the session's alerts, in order: a run that downloaded and now seeds or is complete has completed
    /// (once per completion: a start of a torrent complete already, or a re-check that finds it complete, is none, as
    /// qBittorrent runs its program when a download finishes only); a run that failed is an error.</summary>
    public void Follow(TorrentAlert alert, ManagedTorrent? torrent)
    {
        if (alert.Kind != TorrentAlertKind.StateChanged) return;
        var hash = alert.Torrent.Torrent.InfoHash.Hex;
        try { FollowState(alert, torrent, hash); }
        finally { LastFollowed = alert.State; }
    }

    private void FollowState(TorrentAlert alert, ManagedTorrent? torrent, string hash)
    {
        bool completed;
        lock (_lock)
        {
            if (torrent is null || alert.State == HandleState.Downloading)
            {
                if (torrent is null) _downloading.Remove(hash); // removed
                else _downloading.Add(hash);
                return;
            }
            completed = alert.State is HandleState.Seeding or HandleState.Completed && _downloading.Remove(hash);
        }
        if (completed) Raise("completed", torrent, null);
        else if (alert.State == HandleState.Failed) Raise("error", torrent, alert.Torrent.Error?.Message ?? "failed");
    }

    /// <summary>Queues the program of <paramref name="kind"/> (added, completed) when one is set and on, and the webhook.</summary>
    private void Raise(string kind, ManagedTorrent torrent, string? error)
    {
        _raised.AddOrUpdate(kind, 1, (_, n) => n + 1);
        var now = settings.Current;
        var program = kind switch
        {
            "added" when now.OnAddedEnabled == true => now.OnAdded,
            "completed" when now.OnCompleteEnabled == true => now.OnComplete,
            _ => null,
        };
        if (program is null && now.Webhook is null) return;
        HookFields fields;
        try { fields = FieldsOf(kind, torrent, error); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TorrentLabException)
        {
            log?.Invoke($"warning: hooks for '{UntrustedText.Clean(torrent.Torrent.Name, 80)}' ({kind}) not run: {e.Message}");
            return;
        }
        var name = UntrustedText.Clean(fields.Name, 80);
        if (program is not null)
        {
            var what = $"on-{(kind == "added" ? "added" : "complete")} hook for '{name}'";
            try
            {
                var words = HookCommandLine.Split(program).Select(word => HookCommandLine.Expand(word, fields.Placeholder)).ToArray();
                _runner.TryRun(new HookJob(what, words, fields.Environment(AppVersion)));
            }
            catch (WebApiException e) { log?.Invoke($"warning: {what} not run: {e.Message}"); } // a saved line edited by hand
        }
        if (now.Webhook is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            _runner.TryRun(new HookJob($"webhook ({kind}) for '{name}'", Url: uri, Body: fields.Json()));
    }

    private HookFields FieldsOf(string kind, ManagedTorrent torrent, string? error)
    {
        var meta = torrent.Torrent;
        var save = torrents.FolderOf(torrent);
        var content = Path.Combine(save, meta.Name);
        var trackers = torrent.Handle.Trackers.SelectMany(tier => tier).ToArray();
        return new HookFields(kind, torrent.ShownName, torrent.Category ?? "", torrent.Tags, save, content, meta.IsMultiFile ? content : "",
            meta.Files.Count(f => !f.IsPadding), meta.PayloadLength, trackers.FirstOrDefault() ?? "", trackers,
            meta.IsV2Only ? null : meta.InfoHash.Hex, meta.InfoHashV2?.Hex, torrent.InfoHash, TransmissionId?.Invoke(torrent) ?? 0,
            torrent.Downloaded, clock.GetUtcNow(), error);
    }

    /// <summary>Stops the runner: waiting hooks are dropped, running ones stopped.</summary>
    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
