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
                case null when e.Name == "handshake": // "info_hash=... peer_id=<40 hex> extensions=... transport=tcp encryption=rc4"
                    row.Incoming ??= received; // whoever spoke first opened the connection
                    if (!received) break;
                    row.PeerId = FieldValue(e.Fields, "peer_id");
                    row.Transport = FieldValue(e.Fields, "transport");
                    row.Encryption = FieldValue(e.Fields, "encryption");
                    break;
                case MessageKind.Bitfield when received: // "bytes=N set=M": how many pieces it has, not which
                    row.Pieces = int.TryParse(FieldValue(e.Fields, "set"), out var set) ? set : 0;
                    break;
                case MessageKind.Have when received: row.Pieces++; break;
                case MessageKind.HaveAll when received: row.Pieces = int.MaxValue; break;
                case MessageKind.HaveNone when received: row.Pieces = 0; break;
                case MessageKind.Choke: if (received) row.PeerChoking = true; else row.AmChoking = true; break;
                case MessageKind.Unchoke: if (received) row.PeerChoking = false; else row.AmChoking = false; break;
                case MessageKind.Interested: if (received) row.PeerInterested = true; else row.AmInterested = true; break;
                case MessageKind.NotInterested: if (received) row.PeerInterested = false; else row.AmInterested = false; break;
                case MessageKind.Piece:
                    // BEP 3 piece: <len><id 7><index 4><begin 4><block>: the payload is the block.
                    (received ? row.Down : row.Up).Add(Math.Max(0, e.WireLength - 13));
                    if (received) row.Downloaded += Math.Max(0, e.WireLength - 13);
                    else row.Uploaded += Math.Max(0, e.WireLength - 13);
                    break;
            }
        }
    }

    /// <summary>The connected peers: the engine's own per-peer rows when it reports them (the swarm engine, whose list
    /// may be empty), else the single path's current peer as seen on the wire; none while the torrent does not run.</summary>
    public IReadOnlyList<PeerDetails> Snapshot(DownloadProgress? progress, bool running, int pieceCount = 0)
    {
        var now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            var rows = _rows ??= new(StringComparer.Ordinal); // asked for: the torrent is being looked at
            foreach (var stale in rows.Where(r => now - r.Value.LastSeen > Forget).Select(r => r.Key).ToList()) rows.Remove(stale);
            // Only connected peers are listed: a peer that left drops out at once, its last rate with it.
            if (!running || progress is null) return [];
            if (progress is { Peers.Count: > 0 } || progress.CurrentPeer is null)
                return progress.Peers.Where(p => !_banned.Any(b => b.Address == p.Address)).Select(p =>
                {
                    var seen = rows.GetValueOrDefault(p.Address);
                    var client = p.Client.Length > 0 ? p.Client : seen?.PeerId is { } id ? PeerId.ClientOfHex(id) : "unknown";
                    return With(new PeerDetails(p.Address, client, seen?.PeerId, p.DownloadRate, p.UploadRate, p.PeerChoking, p.AmInterested,
                        seen?.AmChoking ?? true, seen?.PeerInterested ?? false, Connected: running), seen, pieceCount);
                }).Concat(BannedRows()).ToArray();
            return rows.Where(r => r.Key == progress.CurrentPeer).Select(r => With(new PeerDetails(r.Key,
                r.Value.PeerId is { } hex ? PeerId.ClientOfHex(hex) : "unknown", r.Value.PeerId,
                r.Value.Down.BytesPerSecond, r.Value.Up.BytesPerSecond, r.Value.PeerChoking, r.Value.AmInterested,
                r.Value.AmChoking, r.Value.PeerInterested, Connected: true), r.Value, pieceCount)).ToArray();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rows?.Clear();
            _banned.Clear();
        }
    }

    private const int MaxBanned = 100; // rows of banned peers kept, the newest: a torrent banning thousands lists its last
    private readonly List<(string Address, string Reason)> _banned = [];

    /// <summary>The swarm banned the peer at <paramref name="address"/> (a client ban rule, a progress liar, bad data):
    /// listed with <paramref name="reason"/> while the torrent runs.</summary>
    public void Banned(string address, string reason)
    {
        lock (_lock)
        {
            _banned.RemoveAll(b => b.Address == address);
            _banned.Add((address, reason));
            if (_banned.Count > MaxBanned) _banned.RemoveAt(0);
        }
    }

    /// <summary>The banned peers' rows (under _lock): not connected, with their reason.</summary>
    private IEnumerable<PeerDetails> BannedRows() => _banned.Select(b => new PeerDetails(b.Address,
        _rows?.GetValueOrDefault(b.Address)?.PeerId is { } id ? PeerId.ClientOfHex(id) : "unknown", _rows?.GetValueOrDefault(b.Address)?.PeerId,
        0, 0, PeerChoking: true, AmInterested: false, AmChoking: true, PeerInterested: false, Connected: false) { Banned = b.Reason });

    /// <summary>What the handshake and the piece announcements told about the peer: which side connected, over what,
    /// encrypted or not, and how much of the torrent it has.</summary>
    private static PeerDetails With(PeerDetails peer, Row? seen, int pieceCount) => seen is null ? peer : peer with
    {
        Incoming = seen.Incoming ?? false,
        Transport = seen.Transport ?? "tcp",
        Encrypted = seen.Encryption is "rc4",
        Progress = pieceCount <= 0 ? 0 : Math.Min(1, (double)seen.Pieces / pieceCount),
        Downloaded = seen.Downloaded,
        Uploaded = seen.Uploaded,
    };

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
        public bool? Incoming;          // null until the first handshake: received first means the peer connected to us
        public string? Transport, Encryption;
        public int Pieces;              // announced: a bitfield's count, then one per have (int.MaxValue: have all)
        public long Downloaded, Uploaded; // payload bytes of its piece messages, each way
        public RateMeter Down { get; } = new();
        public RateMeter Up { get; } = new();
    }
}
