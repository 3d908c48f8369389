using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>What the wire trace tells about each peer of one torrent: its peer id (so its client), the BEP 3 choke
/// and interest flags on both sides, and payload rates. It fills the peer table for engines whose progress reports
/// carry no per-peer detail (the single-peer reference path).</summary>
internal sealed class PeerTable
{
    private static readonly TimeSpan Forget = TimeSpan.FromSeconds(30); // a silent peer leaves the table after this
    private Dictionary<string, Row>? _rows; // made at the first traced message: idle torrents have none
    private readonly Lock _lock = new();

    /// <summary>Updates the peer's row from one traced message.</summary>
    public void Observe(WireTraceEvent e)
    {
        var received = e.Direction == WireDirection.Received;
        lock (_lock)
        {
            var key = e.Peer.ToString();
            _rows ??= new(StringComparer.Ordinal);
            if (!_rows.TryGetValue(key, out var row)) _rows[key] = row = new Row();
            row.LastSeen = e.Time;
            switch (e.Kind)
            {
                case null when received && e.Name == "handshake": // the handshake: "info_hash=... peer_id=<40 hex> extensions=..."
                    row.PeerId = FieldValue(e.Fields, "peer_id");
                    break;
                case MessageKind.Choke: if (received) row.PeerChoking = true; else row.AmChoking = true; break;
                case MessageKind.Unchoke: if (received) row.PeerChoking = false; else row.AmChoking = false; break;
                case MessageKind.Interested: if (received) row.PeerInterested = true; else row.AmInterested = true; break;
                case MessageKind.NotInterested: if (received) row.PeerInterested = false; else row.AmInterested = false; break;
                case MessageKind.Piece:
                    // BEP 3 piece: <len><id 7><index 4><begin 4><block>: the payload is the block.
                    (received ? row.Down : row.Up).Add(Math.Max(0, e.WireLength - 13));
                    break;
            }
        }
    }

    /// <summary>The connected peers: the engine's own per-peer rows when it reports them (the swarm engine, whose list
    /// may be empty), else the single path's current peer as seen on the wire; none while the torrent does not run.</summary>
    public IReadOnlyList<PeerDetails> Snapshot(DownloadProgress? progress, bool running)
    {
        var now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            var rows = _rows ??= new(StringComparer.Ordinal); // asked for: the torrent is being looked at
            foreach (var stale in rows.Where(r => now - r.Value.LastSeen > Forget).Select(r => r.Key).ToList()) rows.Remove(stale);
            // Only connected peers are listed: a peer that left drops out at once, its last rate with it.
            if (!running || progress is null) return [];
            if (progress is { Peers.Count: > 0 } || progress.CurrentPeer is null)
                return progress.Peers.Select(p =>
                {
                    var seen = rows.GetValueOrDefault(p.Address);
                    var client = p.Client.Length > 0 ? p.Client : seen?.PeerId is { } id ? PeerId.ClientOfHex(id) : "unknown";
                    return new PeerDetails(p.Address, client, seen?.PeerId, p.DownloadRate, p.UploadRate, p.PeerChoking, p.AmInterested,
                        seen?.AmChoking ?? true, seen?.PeerInterested ?? false, Connected: running);
                }).ToArray();
            return rows.Where(r => r.Key == progress.CurrentPeer).Select(r => new PeerDetails(r.Key,
                r.Value.PeerId is { } hex ? PeerId.ClientOfHex(hex) : "unknown", r.Value.PeerId,
                r.Value.Down.BytesPerSecond, r.Value.Up.BytesPerSecond, r.Value.PeerChoking, r.Value.AmInterested,
                r.Value.AmChoking, r.Value.PeerInterested, Connected: true)).ToArray();
        }
    }

    public void Clear() { lock (_lock) _rows?.Clear(); }

    private static string? FieldValue(string fields, string key)
    {
        foreach (var pair in fields.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (pair.StartsWith(key + "=", StringComparison.Ordinal)) return pair[(key.Length + 1)..];
        return null;
    }

    private sealed class Row
    {
        public DateTimeOffset LastSeen;
        public string? PeerId;
        public bool PeerChoking = true, AmChoking = true, AmInterested, PeerInterested; // BEP 3: connections start choked and not interested
        public RateMeter Down { get; } = new();
        public RateMeter Up { get; } = new();
    }
}
