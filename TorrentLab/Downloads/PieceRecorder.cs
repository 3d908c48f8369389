namespace TorrentLab.Downloads;

/// <summary>Records a download's piece map as it changes (<see cref="Observe"/> each map the progress reports give),
/// into a <see cref="PieceRecording"/>: an event per piece that changed state since the last map, with its time and,
/// once verified, who sent it.</summary>
/// <remarks>Thread-safe. The first map observed records every piece not missing at its time, so a resumed download's
/// recording starts with what was already on disk. Costs a byte per piece and the events.</remarks>
public sealed class PieceRecorder
{
    private readonly Lock _lock = new();
    private readonly Metainfo.Torrent _torrent;
    private readonly PieceState[] _last;                       // guarded by _lock
    private readonly bool[] _named;                            // a verified piece's sender recorded; guarded by _lock
    private readonly List<PieceEvent> _events = [];            // guarded by _lock
    private readonly List<PieceSender> _senders = [];          // guarded by _lock
    private readonly Dictionary<PieceSender, int> _rows = [];  // guarded by _lock
    private TimeSpan _lastAt;                                  // guarded by _lock

    /// <summary>A recorder for <paramref name="torrent"/>'s map.</summary>
    public PieceRecorder(Metainfo.Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        _torrent = torrent;
        _last = new PieceState[torrent.PieceCount];
        _named = new bool[torrent.PieceCount];
    }

    /// <summary>Events recorded so far.</summary>
    public int Count { get { lock (_lock) return _events.Count; } }

    /// <summary>Takes the map as it stands <paramref name="at"/> (since the recording began): an event for each piece
    /// whose state changed. A map of another piece count is ignored; a time earlier than the last is taken as the last.</summary>
    public void Observe(PieceStates map, TimeSpan at)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count != _last.Length) return;
        lock (_lock)
        {
            _lastAt = at = at < _lastAt ? _lastAt : at;
            for (var i = 0; i < _last.Length; i++)
            {
                var state = map[i];
                // A verified piece whose sender the map did not know yet is told again once it does.
                if (state == _last[i] && (state != PieceState.Verified || _named[i])) continue;
                var (row, several) = state == PieceState.Verified && map.Senders is { } senders && senders.PeerOf(i) is var known and >= 0
                    ? (RowOf(senders.Peers[known]), senders.FromSeveral(i)) : (-1, false);
                if (state == _last[i] && row < 0) continue;
                _last[i] = state;
                _named[i] = row >= 0;
                _events.Add(new PieceEvent(at, i, state, row, several));
            }
        }
    }

    private int RowOf(PieceSender sender)
    {
        if (!_rows.TryGetValue(sender, out var row))
        {
            _rows[sender] = row = _senders.Count;
            _senders.Add(sender);
        }
        return row;
    }

    /// <summary>What is recorded so far.</summary>
    public PieceRecording ToRecording()
    {
        lock (_lock) return new PieceRecording(_torrent.Name, _torrent.InfoHash.Hex, _torrent.PieceCount, _torrent.PieceLength, [.. _senders], [.. _events]);
    }
}
