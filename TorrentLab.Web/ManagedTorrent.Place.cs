namespace TorrentLab.Web;

// Where a torrent of the web interface keeps its data and whom it announces to: its save folder below the downloads
// folder (moved with its data), its tracker list (the .torrent's until the user edits it), and its category.
internal sealed partial class ManagedTorrent
{
    private string _folder = "";
    private IReadOnlyList<IReadOnlyList<string>>? _trackers;
    private string[]? _trackerHosts;
    private TorrentState _stateBeforeMove;

    /// <summary>Its save folder, relative to the downloads folder with '/' ("" for the downloads folder itself): the
    /// torrent's name is the file or top folder inside it.</summary>
    public string SaveFolder
    {
        get { lock (_lock) return _folder; }
        init => _folder = value;
    }

    /// <summary>The tracker tiers it announces to (BEP 12): those the user set, else the .torrent's.</summary>
    public IReadOnlyList<IReadOnlyList<string>> TrackerTiers
    {
        get { lock (_lock) return _trackers ?? Torrent.TrackerTiers; }
    }

    /// <summary>The tiers the user set, or null while the torrent announces to its .torrent's (for the saved list).</summary>
    public IReadOnlyList<IReadOnlyList<string>>? EditedTrackers
    {
        get { lock (_lock) return _trackers; }
        init => _trackers = value;
    }

    /// <summary>Replaces the tracker list, or with null goes back to the .torrent's (applied from the next run; the
    /// manager restarts a running torrent).</summary>
    public void SetTrackers(IReadOnlyList<IReadOnlyList<string>>? tiers)
    {
        lock (_lock)
        {
            _trackers = tiers;
            _trackerHosts = null;
            _trackerAnswer = null; // the last answer may be of a tracker no longer listed
            _announces = null;
            Bump();
        }
    }

    /// <summary>Decides whether Start would run it: a complete torrent runs only when it will seed. Set by the manager,
    /// called outside this torrent's lock (the answer reads the server's settings under the manager's lock).</summary>
    public Func<ManagedTorrent, bool>? SeedsWhenComplete { get; init; }

    /// <summary>Gives its place in the queue, from 0 (set by the manager; called outside this torrent's lock too).</summary>
    public Func<ManagedTorrent, int>? QueuePositionOf { get; init; }

    /// <summary>Takes the torrent out of its normal states while its data moves.</summary>
    /// <exception cref="WebApiException">409: it is running, being checked or being moved.</exception>
    public void BeginMove()
    {
        lock (_lock)
        {
            if (IsRunning || State is TorrentState.Queued or TorrentState.Checking or TorrentState.Moving)
                throw new WebApiException(409, $"'{Torrent.Name}' is {State.ToString().ToLowerInvariant()}: its data cannot be moved now");
            _stateBeforeMove = State;
            State = TorrentState.Moving;
            Bump();
        }
    }

    /// <summary>Ends a move in the state it began from: in <paramref name="folder"/> when it completed, else where it
    /// was (the data whole there), with the reason in its log.</summary>
    public void EndMove(string? folder, string? error)
    {
        if (error is not null) AddLog($"moving the data failed, it stays in place: {error}");
        lock (_lock)
        {
            if (folder is not null) _folder = folder;
            State = _stateBeforeMove;
            Bump();
        }
    }

    /// <summary>Adds the figures of this part to a row: category, save folder, tracker hosts, and whether Start would
    /// do anything (<paramref name="seeds"/>: a complete torrent would seed).</summary>
    private TorrentSummary WithPlace(TorrentSummary summary, bool seeds) => summary with
    {
        Category = Category,
        Folder = _folder,
        TrackerHosts = _trackerHosts ??= Hosts(_trackers ?? Torrent.TrackerTiers),
        CanStart = State switch
        {
            TorrentState.Paused or TorrentState.Failed => true,
            TorrentState.Completed => seeds,
            _ => false,
        },
    };

    private static string[] Hosts(IReadOnlyList<IReadOnlyList<string>> tiers) =>
    [
        .. tiers.SelectMany(tier => tier).Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : null)
            .OfType<string>().Where(host => host.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase),
    ];
}
