using TorrentLab.Downloads;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>What the torrent's run reports, turned into its state and the session's alerts.</summary>
public sealed partial class TorrentHandle
{
    /// <summary>Hears one run of the torrent (kept apart so that the handle's own surface stays the handle's).</summary>
    private sealed class RunObserver(TorrentHandle handle, TaskCompletionSource ended) : ITorrentRunObserver
    {
        public void Report(DownloadProgress value) => handle.OnProgress(value);

        public void Ended(TorrentRunEnd end)
        {
            try { handle.OnEnded(end); }
            finally { ended.TrySetResult(); }
        }
    }

    private void OnProgress(DownloadProgress p)
    {
        lock (_lock)
        {
            if (_run is null) return;
            _progress = p;
            if (p.Pieces is { } pieces && pieces.Count == Torrent.PieceCount) Verified(pieces.Verified());
            var done = p.PieceCount > 0 && p.PiecesDone == p.PieceCount;
            SetState(done && _options.SeedAfterDownload ? TorrentState.Seeding : TorrentState.Downloading);
        }
    }

    private void OnEnded(TorrentRunEnd end)
    {
        lock (_lock)
        {
            var paused = _pausing || end.Stopped;
            _pausing = false;
            _run = null;
            _progress = null;
            if (end.Result is not null)
            {
                // Every wanted piece is verified: those not reported yet are finished now.
                var selection = Pieces.PieceSelection.For(Torrent, _options.FilePriorities);
                var all = new Bitfield(Torrent.PieceCount);
                foreach (var i in _verified.SetIndexes()) all.Set(i);
                for (var i = 0; i < Torrent.PieceCount; i++) if (selection.IsWanted(i)) all.Set(i);
                Verified(all);
            }
            if (end.Error is { } error)
            {
                _error = error;
                if (error is StorageException or IOException or UnauthorizedAccessException)
                    _session.Report(new TorrentAlert(TorrentAlertKind.StorageError, this) { Error = error });
                SetState(TorrentState.Failed);
            }
            else if (paused) SetState(TorrentState.Paused);
            else if (end.Result is not null)
            {
                SetState(TorrentState.Completed);
                _wantsRunning = false; // it ended on its own: a change restarts it only when asked to
            }
            else SetState(TorrentState.Paused);
        }
    }

    /// <summary>Reports the pieces verified since the last look, then the files they completed (under _lock).</summary>
    private void Verified(Bitfield now) => Verified(now.SetIndexes());

    /// <summary>As <see cref="Verified(Bitfield)"/>, for the pieces listed (under _lock).</summary>
    private void Verified(IEnumerable<int> pieces)
    {
        var any = false;
        foreach (var i in pieces)
        {
            if (_verified[i]) continue;
            _verified.Set(i);
            _reads.Wake(i); // a stream waiting for it goes on (a run without the written signal reports it here)
            any = true;
            _session.Report(new TorrentAlert(TorrentAlertKind.PieceFinished, this) { Index = i });
        }
        if (any) MarkCompleteFiles(report: true);
    }

    /// <summary>Marks the files whose every piece is verified, reporting those newly complete that are wanted.</summary>
    private void MarkCompleteFiles(bool report)
    {
        var priorities = _options.FilePriorities;
        for (var f = 0; f < Torrent.Files.Count; f++)
        {
            var file = Torrent.Files[f];
            if (_fileDone[f] || file.IsPadding) continue;
            if (file.Length > 0)
            {
                var first = (int)(file.Offset / Torrent.PieceLength);
                var last = (int)((file.Offset + file.Length - 1) / Torrent.PieceLength);
                var complete = true;
                for (var i = first; i <= last && complete; i++) complete = _verified[i];
                if (!complete) continue;
            }
            _fileDone[f] = true;
            if (report && (priorities is null || priorities[f] != Pieces.FilePriority.Skip))
                _session.Report(new TorrentAlert(TorrentAlertKind.FileCompleted, this) { Index = f });
        }
    }

    /// <summary>The engine's typed events of the torrent's run, turned into alerts (kept apart, as the observer).</summary>
    private sealed class RunEvents(TorrentHandle handle) : ITorrentEvents
    {
        public void TrackerAnswered(string url, int peers, TimeSpan interval, string? warning) =>
            handle.Report(TorrentAlertKind.TrackerAnswered, url, null,
                $"{peers} peer{(peers == 1 ? "" : "s")}, next announce in {interval.TotalSeconds:0} s" + (warning is null ? "" : $"; warning: {warning}"));

        public void TrackerFailed(string? url, string error) => handle.Report(TorrentAlertKind.TrackerFailed, url, null, error);

        public void PeerBanned(System.Net.IPEndPoint peer, string reason) => handle.Report(TorrentAlertKind.PeerBanned, null, peer, reason);
    }

    private void Report(TorrentAlertKind kind, string? url, System.Net.IPEndPoint? peer, string message) =>
        _session.Report(new TorrentAlert(kind, this)
        {
            Url = url is null ? null : UntrustedText.Clean(url, 500),
            Peer = peer,
            Message = UntrustedText.Clean(message, 500),
        });
}
