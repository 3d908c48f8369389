namespace TorrentLab.Web;

// Where a torrent of the web interface keeps its data and whom it announces to: its save folder below the downloads
// folder (moved with its data), its tracker list (the handle's: the .torrent's until the user edits it), and its
// category.
internal sealed partial class ManagedTorrent
{
    private string _folder = "";
    private string[]? _trackerHosts;

    /// <summary>Its save folder, relative to the downloads folder with '/' ("" for the downloads folder itself): the
    /// torrent's name is the file or top folder inside it. The server's name for the place the handle's
    /// <see cref="Client.TorrentHandle.SaveFolder"/> is (the key of its map of places).</summary>
    public string SaveFolder
    {
        get { lock (_lock) return _folder; }
        init => _folder = value;
    }

    /// <summary>The tracker tiers it announces to (BEP 12): those the user set, else the .torrent's.</summary>
    public IReadOnlyList<IReadOnlyList<string>> TrackerTiers => Handle.Trackers;

    /// <summary>The tiers the user set, or null while the torrent announces to its .torrent's (for the saved list).</summary>
    public IReadOnlyList<IReadOnlyList<string>>? EditedTrackers => Handle.TrackersReplaced ? Handle.Trackers : null;

    /// <summary>Replaces the tracker list, or with null goes back to the .torrent's (a running torrent announces to the
    /// new list at once, its peers kept).</summary>
    public async Task SetTrackersAsync(IReadOnlyList<IReadOnlyList<string>>? tiers)
    {
        await Handle.SetTrackersAsync(tiers).ConfigureAwait(false);
        lock (_lock)
        {
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
            var state = StateLocked();
            if (state is TorrentState.Downloading or TorrentState.Seeding or TorrentState.Queued or TorrentState.Checking or TorrentState.Moving)
                throw new WebApiException(409, $"'{Torrent.Name}' is {state.ToString().ToLowerInvariant()}: its data cannot be moved now");
            _step = Step.Moving;
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
            _step = Step.None;
            Bump();
        }
    }

    /// <summary>Adds the figures of this part to a row: category, save folder, tracker hosts, and whether Start would
    /// do anything (<paramref name="seeds"/>: a complete torrent would seed).</summary>
    private TorrentSummary WithPlace(TorrentSummary summary, TorrentState state, bool seeds) => summary with
    {
        Category = Category,
        Folder = _folder,
        TrackerHosts = _trackerHosts ??= Hosts(Handle.Trackers),
        CanStart = state switch
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
