using TorrentLab.Downloads;
using TorrentLab.Pieces;

namespace TorrentLab.Swarm;

/// <summary>What the swarm moves and how it goes: payload bytes received and sent and their rates, the peers
/// delivering blocks now, and the progress report (pieces, rates, peers, the piece map) the timer sends a few times a
/// second.</summary>
internal sealed class SwarmProgress
{
    private readonly TorrentSwarm _swarm;
    private readonly long _startedAt; // a timestamp of Time
    private long _received, _uploaded;
    private long _lastUploadAt; // a timestamp of Time when payload was last sent; 0: none yet
    private int _deliveringPeers;
    private IProgress<DownloadProgress>? _reportTo;

    public SwarmProgress(TorrentSwarm swarm)
    {
        _swarm = swarm;
        _startedAt = swarm.Time.GetTimestamp();
        Down = new RateMeter(swarm.Time);
        Up = new RateMeter(swarm.Time);
    }

    /// <summary>The rates of payload received and sent (the choker ranks by the upload rate once seeding).</summary>
    public RateMeter Down { get; }
    public RateMeter Up { get; }

    /// <summary>Payload bytes received (all blocks, wasted ones included) and sent.</summary>
    public long Received => Interlocked.Read(ref _received);
    public long Uploaded => Interlocked.Read(ref _uploaded);

    /// <summary>When payload was last sent to a peer (a timestamp of the session's clock), or 0 before any: what an
    /// idle seeding limit counts from (<see cref="DownloadOptions.SeedIdleTime"/>).</summary>
    public long LastUploadAt => Interlocked.Read(ref _lastUploadAt);

    public TimeSpan Elapsed => _swarm.Time.GetElapsedTime(_startedAt);

    /// <summary>What the swarm downloaded, and from whom.</summary>
    public DownloadResult Result() =>
        new(Received, Uploaded, _swarm.StartPieces, _swarm.PeersUsed, _swarm.BadPeers, Elapsed)
        {
            PeerSources = _swarm.PeerSources,
            Selected = _swarm.Selected,
        };

    /// <summary>Where progress goes (set before or after the swarm starts).</summary>
    public IProgress<DownloadProgress>? ReportTo { set => _reportTo = value; }

    /// <summary>Both rates have fallen to zero (so the last report shows none).</summary>
    public bool Still => Up.BytesPerSecond == 0 && Down.BytesPerSecond == 0;

    /// <summary>Payload bytes that moved: <paramref name="received"/> accepted from a peer (or a web seed),
    /// <paramref name="uploaded"/> sent to one.</summary>
    public void Transferred(long received, long uploaded)
    {
        if (received > 0)
        {
            Interlocked.Add(ref _received, received);
            Down.Add(received);
        }
        if (uploaded > 0)
        {
            Interlocked.Add(ref _uploaded, uploaded);
            Interlocked.Exchange(ref _lastUploadAt, _swarm.Time.GetTimestamp());
            Up.Add(uploaded);
        }
    }

    /// <summary>The counts carried over from earlier swarms of the same seeding torrent, so totals keep growing.</summary>
    public void CountFrom(long received, long uploaded)
    {
        Interlocked.Exchange(ref _received, received);
        Interlocked.Exchange(ref _uploaded, uploaded);
    }

    /// <summary>Peers delivering blocks now (they share the requests in flight): counted up at a peer's first block
    /// after a pause, down when it has sent none for a second (the timer) or ends (<see cref="SwarmPeer.StopDelivering"/>).</summary>
    public int DeliveringPeers => Volatile.Read(ref _deliveringPeers);

    /// <summary>A peer started or stopped delivering blocks (the session counts them across torrents too).</summary>
    public void Delivering(bool started)
    {
        Interlocked.Add(ref _deliveringPeers, started ? 1 : -1);
        _swarm.Session.OnDelivering(started);
    }

    /// <summary>Sends the progress report, when someone listens.</summary>
    public void Report() => _reportTo?.Report(Snapshot());

    /// <summary>The progress report: pieces, rates, peers.</summary>
    public DownloadProgress Snapshot()
    {
        var peers = _swarm.PeersSnapshot();
        var (done, doneBytes) = _swarm.Wanted.WantedWritten;
        var selection = _swarm.Wanted.Selection;
        // Progress counts what this download wants: every piece, or those holding the selected files' bytes.
        return new DownloadProgress(done, selection.WantedCount, doneBytes, selection.WantedBytes,
            Down.BytesPerSecond, Up.BytesPerSecond, peers.Length, null, Elapsed)
        {
            Uploaded = Uploaded,
            BadPeers = _swarm.BadPeers.Count,
            Status = _swarm.Stall.WaitingStatus(peers.Length),
            PeerSources = _swarm.Book.Sources,
            // The piece map: verified, being assembled, or last copy failed its hash, how many connected peers have each
            // piece, and who sent each verified one (cheap: a byte, a byte and two bytes per piece); the moments the engine
            // changed its mode.
            Pieces = PieceStates.From(_swarm.Pieces.SnapshotHave(), _swarm.Pieces.SnapshotInProgress(), _swarm.FailedPiecesSnapshot())
                .WithAvailability(_swarm.Pieces.SnapshotAvailability()).WithSenders(_swarm.PieceSendersSnapshot())
                .WithMoments(_swarm.MomentsSnapshot()),
            Peers = [.. peers.Select(p => new PeerProgress(p.Address, p.Client, p.Down.BytesPerSecond, p.Up.BytesPerSecond,
                p.Connection.PeerChoking, p.Connection.AmInterested))],
        };
    }
}
