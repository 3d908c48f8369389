using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>Records who sent each verified piece, for the piece map: a row per peer, two bytes per piece. Only
/// observes: nothing the engine decides reads it.</summary>
/// <remarks>Thread-safe. The table is made at the first piece recorded (a seed's swarm, which verifies none, holds
/// none), and a snapshot is made again only after a piece was recorded since the last one, so the progress report a
/// few times a second copies nothing while no piece arrives.</remarks>
internal sealed class PieceSenderTable
{
    private readonly Lock _lock = new();
    private readonly int _pieceCount;
    private ushort[]? _entries;                                      // guarded by _lock
    private readonly List<PieceSender> _peers = [];                  // guarded by _lock
    private readonly Dictionary<string, int> _rows = [];             // a peer's address: its row; guarded by _lock
    private PieceSenders? _snapshot;                                 // null: a piece was recorded since the last one

    public PieceSenderTable(int pieceCount) => _pieceCount = pieceCount;

    /// <summary>Piece <paramref name="index"/> verified; <paramref name="address"/> sent most of its blocks (all of them
    /// unless <paramref name="several"/>).</summary>
    public void Record(int index, string address, string? client, bool several)
    {
        if ((uint)index >= (uint)_pieceCount) return;
        lock (_lock)
        {
            _entries ??= new ushort[_pieceCount];
            if (!_rows.TryGetValue(address, out var row))
            {
                if (_peers.Count >= PieceSenders.MaxPeers) return; // the table is full: this piece's sender stays unknown
                _rows[address] = row = _peers.Count;
                _peers.Add(new PieceSender(address, client));
            }
            _entries[index] = PieceSenders.Entry(row, several);
            _snapshot = null;
        }
    }

    /// <summary>What is recorded now; null before any piece was.</summary>
    public PieceSenders? Snapshot()
    {
        lock (_lock) return _entries is null ? null : _snapshot ??= new PieceSenders((ushort[])_entries.Clone(), [.. _peers]);
    }
}
