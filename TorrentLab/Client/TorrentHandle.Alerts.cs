using TorrentLab.Downloads;
using TorrentLab.Storage;

namespace TorrentLab.Client;

/// <summary>What the torrent's run reports, turned into its state and the session's alerts.</summary>
public sealed partial class TorrentHandle : ITorrentEvents
{
    void ITorrentRunObserver.Report(DownloadProgress p)
    {
        lock (_lock)
        {
            if (_run is null) return;
            // Payload moved since the last report (ActivityVersion): a rate, or more verified or sent.
            var moved = p.DownloadRate > 0 || p.UploadRate > 0 || p.Uploaded != _runUploaded || p.BytesDone != _reportedBytesDone;
            _reportedBytesDone = p.BytesDone;
            var done = p.PieceCount > 0 && p.PiecesDone == p.PieceCount; // PieceCount: the wanted pieces
            // A report with nothing to show beside the totals (a seed with no peer) is not kept: ten thousand idle
            // torrents hold none. The one that ends a download is (it says how the download ended).
            _progress = !done || State == TorrentState.Downloading || p.ConnectedPeers > 0 || p.Peers.Count > 0 || p.CurrentPeer is not null || p.DownloadRate > 0
                || p.UploadRate > 0 || p.Status is not null || p.BadPeers > 0 ? p : null;
            _runUploaded = p.Uploaded;
            _sources = p.PeerSources;
            if (p.Pieces is { } pieces && pieces.Count == Torrent.PieceCount)
            {
                VerifiedLocked(pieces);
                _shown = _pieces.All ? null : pieces; // a complete map is made when asked
                _mapMemory.Reported(pieces);
            }
            // Seeding once the handle counts every wanted piece too (the last one counts with the run's result); once the
            // run said what it downloaded, its state is set (Downloaded) and a later report does not move it back.
            if (_downloaded is null)
                SetState((done && _options.SeedAfterDownload && CompleteLocked) || _seedOnly is not null ? TorrentState.Seeding : TorrentState.Downloading);
            Bump(activity: moved);
        }
    }

    private long _reportedBytesDone = -1; // the last report's verified bytes (-1: none yet, so the first report counts)

    void ITorrentRunObserver.Ended(TorrentRunEnd end)
    {
        lock (_lock)
        {
            var paused = _pausing || end.Stopped;
            _pausing = false;
            _run = null; // its last report stays, until the next start
            _uploadedBefore += Math.Max(_runUploaded, end.Result?.Uploaded ?? 0);
            _runUploaded = 0;
            _mapMemory.RunEnded();
            _result = end.Result;
            ReleaseHeldLocked(); // verified and written: no run holds it back any more
            StopListeningLocked();
            // Every wanted piece is verified (a seed-only torrent's run fetched nothing: it has what it verified).
            if (end.Result is not null && _seedOnly is null) AllWantedVerifiedLocked();
            // Requested pieces are no longer being fetched: the map keeps the failed ones only.
            _shown = _shown is { } shown && _pieces.Bits is { } verified && shown.CountOf(PieceState.Failed) > 0
                ? PieceStates.From(verified, failed: shown.IndexesOf(PieceState.Failed))
                : null;
            if (end.Error is { } error)
            {
                _error = error;
                if (error is StorageException or IOException or UnauthorizedAccessException)
                    _session.Report(AlertLocked(TorrentAlertKind.StorageError) with { Error = error });
                SetState(TorrentState.Failed);
            }
            else if (paused || end.Result is null) SetState(TorrentState.Paused);
            else
            {
                SetState(TorrentState.Completed);
                _wantsRunning = false; // it ended on its own: a change restarts it only when asked to
            }
            Bump();
        }
    }

    void ITorrentEvents.Downloaded(DownloadResult result)
    {
        lock (_lock)
        {
            if (_run is null) return; // a run that already ended: its end said what it did
            _downloaded = result;
            if (_seedOnly is null)
            {
                ReleaseHeldLocked();       // nothing is held back from now on
                AllWantedVerifiedLocked(); // every wanted piece
            }
            // Where it stands from now: a waiter woken by the result sees the state that goes with it, not the download's
            // (the run still says goodbye to its trackers and peers before it ends, as Completed).
            SetState(_options.SeedAfterDownload || _seedOnly is not null ? TorrentState.Seeding : TorrentState.Completed);
            Bump();
        }
    }

    void ITorrentEvents.TrackerAnswered(string url, int peers, TimeSpan interval, string? warning)
    {
        Memory.Tracker(url, peers > 0 ? FindingKind.Ok : FindingKind.NoPeers,
            $"answered {peers} peer{(peers == 1 ? "" : "s")}" + (warning is null ? "" : $"; warning: {warning}"));
        Report(TorrentAlertKind.TrackerAnswered, url, null,
            $"{peers} peer{(peers == 1 ? "" : "s")}, next announce in {interval.TotalSeconds:0} s" + (warning is null ? "" : $"; warning: {warning}"));
    }

    void ITorrentEvents.TrackerFailed(string? url, string error, string? failureReason)
    {
        if (url is not null && !error.StartsWith("stopped announce", StringComparison.Ordinal)) Memory.Tracker(url, DiagnosisVerdict.TrackerFailure(failureReason), error);
        Report(TorrentAlertKind.TrackerFailed, url, null, error);
    }

    void ITorrentEvents.PeerBanned(System.Net.IPEndPoint peer, string reason) => Report(TorrentAlertKind.PeerBanned, null, peer, reason);

    private void Report(TorrentAlertKind kind, string? url, System.Net.IPEndPoint? peer, string message)
    {
        lock (_lock)
            _session.Report(AlertLocked(kind) with
            {
                Url = url is null ? null : UntrustedText.Clean(url, 500),
                Peer = peer,
                Message = UntrustedText.Clean(message, 500),
            });
    }

    /// <summary>An alert of this torrent with its figures of this moment (under _lock): a reader of the alert later
    /// sees the count the alert was about, not the count it has meanwhile.</summary>
    private TorrentAlert AlertLocked(TorrentAlertKind kind) =>
        new(kind, this) { PiecesDone = _pieces.Count, BytesDone = _pieces.BytesDone };
}
