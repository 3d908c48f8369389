using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>A torrent's own seeding limits; a null value takes the server's default.</summary>
/// <param name="Seed">Keep seeding after the download completes.</param>
/// <param name="Ratio">Stop seeding once uploaded bytes reach this multiple of the torrent's size.</param>
/// <param name="Minutes">Stop seeding after this many minutes.</param>
/// <param name="IdleMinutes">Stop seeding once nothing was uploaded for this many minutes (0: no such limit).</param>
public sealed record SeedPolicy(bool? Seed = null, double? Ratio = null, double? Minutes = null, double? IdleMinutes = null)
{
    /// <summary>No limits of its own: the server's defaults (one instance for every such torrent).</summary>
    internal static SeedPolicy Default { get; } = new();
}

// The queue (the server runs a few downloads at a time: the others wait here, paused in the session), the seeding
// policy the server's defaults fill in, the peer limit, and the re-check step.
internal sealed partial class ManagedTorrent
{
    private long _uploadedBefore; // payload bytes uploaded before this server's start (the saved list's), the handle counts since
    private (long Uploaded, long SecondsSeeding) _shareBase; // what it had uploaded and seeded when its run began (guarded by _lock)
    private long _queueTicket;
    private bool _ownPeerLimit;   // the handle's peer cap is the torrent's own, not the server's

    /// <summary>Downloading or seeding now: an engine run is under way.</summary>
    public bool IsRunning => State is TorrentState.Downloading or TorrentState.Seeding;

    /// <summary>This torrent's seeding limits (null values take the server's defaults), given to the handle at each
    /// start (<see cref="Start"/>).</summary>
    public SeedPolicy Seeding { get; set; } = SeedPolicy.Default;

    // Peers the server dials for every torrent (WebServerOptions.ConfigureDownload's), among the handle's extra peers
    // from its first start; the others are this torrent's own.
    private IReadOnlyList<IPEndPoint> _serverPeers = [];

    /// <summary>Peers its magnet link named (<c>x.pe</c>) and those the user added, tried on every run (the handle's
    /// extra peers beyond the server's).</summary>
    public IReadOnlyList<IPEndPoint> LinkPeers
    {
        get
        {
            var all = Handle.ExtraPeers;
            IReadOnlyList<IPEndPoint> server;
            lock (_lock) server = _serverPeers;
            return server.Count == 0 ? all : [.. all.Where(p => !server.Contains(p))];
        }
    }

    /// <summary>Payload bytes uploaded by every run so far (kept in the saved list, so the ratio survives a restart).</summary>
    public long Uploaded
    {
        get { lock (_lock) return _uploadedBefore + Handle.Uploaded; }
        init => _uploadedBefore = value;
    }

    /// <summary>What it had uploaded and seeded when its current (or last) run began: its share limits count over every
    /// run, and the engine counts from the run's start (<see cref="SeedingRun.Less"/>).</summary>
    public (long Uploaded, long SecondsSeeding) ShareBase { get { lock (_lock) return _shareBase; } }

    /// <summary>Its place in the queue: smaller starts first (the order of the start requests).</summary>
    public long QueueTicket { get { lock (_lock) return _queueTicket; } }

    /// <summary>Gives the torrent another place in the queue (a queue move renumbers every torrent).</summary>
    public void SetQueueTicket(long ticket)
    {
        lock (_lock) _queueTicket = ticket;
    }

    /// <summary>Its category (Transmission's label, qBittorrent's category), or null; kept in the saved list.</summary>
    public string? Category { get; set; }

    /// <summary>Pieces fetched in order, lowest first (Transmission's and qBittorrent's sequentialDownload): the
    /// handle's, kept in the saved list.</summary>
    public bool Sequential => Handle.Sequential;

    /// <summary>Whether it super-seeds once complete (BEP 16): the handle's setting.</summary>
    public bool SuperSeed => Handle.SuperSeed;

    /// <summary>Its own peer limit (Transmission's peer-limit, the handle's cap), or null while it has the server's.</summary>
    public int? MaxPeers
    {
        get { lock (_lock) return _ownPeerLimit ? Handle.MaxPeers : null; }
        init => _ownPeerLimit = value is not null;
    }

    /// <summary>Gives it a peer limit of its own (the handle's cap; it runs the swarm engine from then on).</summary>
    public async Task SetMaxPeersAsync(int maxPeers)
    {
        await Handle.SetMaxPeersAsync(maxPeers).ConfigureAwait(false);
        lock (_lock)
        {
            _ownPeerLimit = true;
            Bump();
        }
    }

    /// <summary>Marks the torrent as waiting for a download slot; false when it runs already, or is complete and will
    /// not seed.</summary>
    public bool Queue(long ticket, bool seedWhenComplete)
    {
        lock (_lock)
        {
            var state = StateLocked();
            if (state is TorrentState.Downloading or TorrentState.Seeding or TorrentState.Queued or TorrentState.Checking or TorrentState.Moving)
                return state == TorrentState.Queued;
            if (state == TorrentState.Completed && !seedWhenComplete) return false;
            _step = Step.Queued;
            _wants = true;
            _stepError = null;
            _queueTicket = ticket;
            Bump();
            return true;
        }
    }

    /// <summary>Takes the torrent out of the list's normal states while its data is re-hashed.</summary>
    public void BeginCheck()
    {
        lock (_lock)
        {
            _step = Step.Checking;
            Bump();
        }
    }

    /// <summary>Ends a re-hash: the handle holds the pieces found intact (complete when every wanted piece is, else
    /// paused with those pieces), or failed with <paramref name="error"/>.</summary>
    public void EndCheck(string? error)
    {
        lock (_lock)
        {
            _step = Step.None;
            _stepError = error;
            _lastBytes = -1; // the pieces found are no activity: counted from the next look
            if (error is null && StateLocked() == TorrentState.Completed) _completedAt ??= DateTimeOffset.UtcNow;
            Bump();
        }
    }

    /// <summary>Adds the figures the list shows beside progress: ETA, uploaded bytes and ratio, tracker error, stalled.</summary>
    private TorrentSummary WithParity(TorrentSummary summary, TorrentState state, DownloadProgress? progress)
    {
        var uploaded = _uploadedBefore + Handle.Uploaded; // under the lock already
        var trackerError = _trackerAnswer is { } answer && answer.Text.Contains("failed", StringComparison.Ordinal) ? answer.Text : null;
        var running = state is TorrentState.Downloading or TorrentState.Seeding;
        return summary with
        {
            Eta = state == TorrentState.Downloading ? progress?.Eta?.TotalSeconds : null,
            Uploaded = uploaded,
            Ratio = Torrent.PayloadLength == 0 ? 0 : (double)uploaded / Torrent.PayloadLength,
            TrackerError = running ? trackerError : null,
            Stalled = state == TorrentState.Downloading && progress?.Status is not null,
            Seeding = Seeding,
        };
    }
}
