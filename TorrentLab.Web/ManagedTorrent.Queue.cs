using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>A torrent's own seeding limits; a null value takes the server's default.</summary>
/// <param name="Seed">Keep seeding after the download completes.</param>
/// <param name="Ratio">Stop seeding once uploaded bytes reach this multiple of the torrent's size.</param>
/// <param name="Minutes">Stop seeding after this many minutes.</param>
public sealed record SeedPolicy(bool? Seed = null, double? Ratio = null, double? Minutes = null)
{
    /// <summary>No limits of its own: the server's defaults (one instance for every such torrent).</summary>
    internal static SeedPolicy Default { get; } = new();
}

internal sealed partial class ManagedTorrent
{
    private bool _seeding;       // this run keeps seeding after completion
    private long _uploadedBefore; // payload bytes uploaded by earlier runs
    private long _runUploaded;    // and by this run, so far
    private long _queueTicket;

    /// <summary>Downloading or seeding now: an engine run is under way.</summary>
    public bool IsRunning => State is TorrentState.Downloading or TorrentState.Seeding;

    /// <summary>This torrent's seeding limits (null values take the server's defaults).</summary>
    public SeedPolicy Seeding { get; set; } = SeedPolicy.Default;

    /// <summary>Peers its magnet link named (<c>x.pe</c>) and those the user added, tried on every run.</summary>
    public IReadOnlyList<IPEndPoint> LinkPeers { get; set; } = [];

    /// <summary>Payload bytes uploaded by every run so far (kept in the saved list, so the ratio survives a restart).</summary>
    public long Uploaded
    {
        get { lock (_lock) return _uploadedBefore + _runUploaded; }
        init => _uploadedBefore = value;
    }

    /// <summary>Its place in the queue: smaller starts first (the order of the start requests).</summary>
    public long QueueTicket { get { lock (_lock) return _queueTicket; } }

    /// <summary>Gives the torrent another place in the queue (a queue move renumbers every torrent).</summary>
    public void SetQueueTicket(long ticket)
    {
        lock (_lock) _queueTicket = ticket;
    }

    /// <summary>Its category (Transmission's label, qBittorrent's category), or null; kept in the saved list.</summary>
    public string? Category { get; set; }

    /// <summary>Pieces fetched in order, lowest first (Transmission's and qBittorrent's sequentialDownload); read when
    /// a run starts, kept in the saved list.</summary>
    public bool Sequential { get; set; }

    /// <summary>Its own peer limit (Transmission's peer-limit), or null for the server's; read when a run starts.</summary>
    public int? MaxPeers { get; set; }

    /// <summary>Marks the torrent as waiting for a download slot; false when it runs already, or is complete and will
    /// not seed.</summary>
    public bool Queue(long ticket, bool seedWhenComplete)
    {
        lock (_lock)
        {
            if (IsRunning || State is TorrentState.Queued or TorrentState.Checking or TorrentState.Moving) return State == TorrentState.Queued;
            if (State == TorrentState.Completed && !seedWhenComplete) return false;
            State = TorrentState.Queued;
            WantsRunning = true;
            _error = null;
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
            State = TorrentState.Checking;
            Bump();
        }
    }

    /// <summary>Ends a re-hash with the pieces found intact: complete (every wanted piece), or paused with those pieces.</summary>
    public void EndCheck(PieceStates pieces, string? error)
    {
        lock (_lock)
        {
            _pieces = pieces;
            _bytesDone = BytesOf(pieces);
            _error = error;
            // Complete when every wanted piece is intact: a skipped file's pieces are not needed.
            State = error is not null ? TorrentState.Failed
                : _selection.IsDoneIn(pieces.Verified()) ? TorrentState.Completed : TorrentState.Paused;
            if (State == TorrentState.Completed) _completedAt ??= DateTimeOffset.UtcNow;
            Bump();
        }
    }

    /// <summary>Adds the figures the list shows beside progress: ETA, uploaded bytes and ratio, tracker error, stalled.</summary>
    private TorrentSummary WithParity(TorrentSummary summary)
    {
        var uploaded = _uploadedBefore + _runUploaded; // under the lock already
        var trackerError = _trackerAnswer is { } answer && answer.Text.Contains("failed", StringComparison.Ordinal) ? answer.Text : null;
        return summary with
        {
            Eta = State == TorrentState.Downloading ? _progress?.Eta?.TotalSeconds : null,
            Uploaded = uploaded,
            Ratio = Torrent.PayloadLength == 0 ? 0 : (double)uploaded / Torrent.PayloadLength,
            TrackerError = IsRunning ? trackerError : null,
            Stalled = State == TorrentState.Downloading && _progress?.Status is not null,
            Seeding = Seeding,
        };
    }
}

