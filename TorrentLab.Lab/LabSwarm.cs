using System.Collections.Concurrent;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>A classroom swarm on loopback: our tracker, a generated torrent that announces to it, and synthetic
/// seeders that registered with it. The peer stages start a fresh one per run of the student's program; <c>lab
/// swarm</c> keeps one open for manual exploration.</summary>
/// <remarks>Everything the tracker and the peers log, and with <see cref="LabSwarmOptions.Trace"/> every message
/// the peers exchange, is kept (bounded) as evidence for the checker's hints.</remarks>
public sealed class LabSwarm : IAsyncDisposable
{
    private const int MaxLines = 5_000; // evidence kept per swarm; a runaway client cannot grow it without bound

    // Our own loopback tracker, already listening: a slow answer means a loaded machine, never a tracker that is gone.
    private static readonly TimeSpan OwnTrackerTimeout = TimeSpan.FromMinutes(10);

    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<string> _trace = new();
    private readonly List<SyntheticPeer> _peers = [];
    private readonly Action<string>? _onLog;
    private TrackerServer? _tracker;
    private LabTorrent? _torrent;

    private LabSwarm(Action<string>? onLog) => _onLog = onLog;

    public TrackerServer Tracker => _tracker ?? throw new InvalidOperationException("the swarm is not started");

    public LabTorrent Torrent => _torrent ?? throw new InvalidOperationException("the swarm is not started");

    public IReadOnlyList<SyntheticPeer> Peers => _peers;

    /// <summary>The tracker's and peers' log lines, in the order written: <c>tracker: rejected announce ...</c>,
    /// <c>peer 127.0.0.1:40001: refused request ...</c>.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary>The peers' wire trace (when enabled): <c>peer 127.0.0.1:40001 &lt;- request index=0 begin=0 length=32768</c>.</summary>
    public IReadOnlyList<string> Trace => [.. _trace];

    /// <summary>Starts the tracker, writes the torrent, starts one synthetic peer per behaviour and announces each.</summary>
    /// <exception cref="TrackerException">A peer's announce to our own tracker failed (a bug of the lab, not the student).</exception>
    public static async Task<LabSwarm> StartAsync(LabSwarmOptions options, CancellationToken ct)
    {
        var swarm = new LabSwarm(options.OnLog);
        try
        {
            swarm._tracker = await TrackerServer.StartAsync(new TrackerServerOptions
            {
                Port = options.TrackerPort,
                Interval = TimeSpan.FromMinutes(30),
                ShufflePeers = false,   // peers are listed in the order they announce, which the run's seed decides
                Log = line => swarm.Add(swarm._log, $"tracker: {line}", notify: true),
            }, ct).ConfigureAwait(false);
            var torrent = swarm._torrent = options.MakeTorrent is { } make ? make(swarm._tracker.HttpAnnounceUrl)
                : options.PayloadSize is { } size
                ? LabTorrent.GenerateOfSize(options.Random, options.Folder, swarm._tracker.HttpAnnounceUrl, size)
                : LabTorrent.Generate(options.Random, options.Folder, swarm._tracker.HttpAnnounceUrl);
            foreach (var behaviour in options.Behaviours)
            {
                SyntheticPeer? peer = null;
                var peerOptions = SyntheticPeerOptions.ForTorrent(torrent.Torrent, torrent.Seeded, behaviour) with
                {
                    PeerId = PeerId.CreateOurs(options.Random),   // seeded: the same ids on every run of a seed
                    ServeMetadata = options.MetadataExtensionId is not null,
                    MetadataExtensionId = options.MetadataExtensionId ?? SyntheticPeerOptions.DefaultMetadataExtensionId,
                    MaxConnections = options.MaxConnectionsPerPeer,
                    UnchokeDelay = options.UnchokeDelay,
                    OnLog = line => swarm.Add(swarm._log, $"peer {peer?.EndPoint}: {line}", notify: true),
                    Connection = PeerConnectionOptions.Default with
                    {
                        Encryption = options.Encryption,
                        Trace = options.Trace ? e => swarm.Add(swarm._trace, $"peer {peer?.EndPoint} {e}", notify: false) : null,
                    },
                };
                peer = SyntheticPeer.Start(options.ConfigurePeer?.Invoke(peerOptions, behaviour, torrent) ?? peerOptions);
                lock (swarm._peers) swarm._peers.Add(peer);
            }
            await swarm.AnnounceSeedersAsync(ct).ConfigureAwait(false);
            return swarm;
        }
        catch
        {
            await swarm.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The peers' addresses as the tracker hands them out: <c>127.0.0.1:40001</c>.</summary>
    public IReadOnlyList<string> PeerAddresses => [.. _peers.Select(p => p.EndPoint.ToString())];

    /// <summary>Announces every seeder to our own tracker before the student's program starts, so the tracker lists them
    /// from its first answer. The tracker is ours and on loopback: it answers, however loaded the machine, so there is no
    /// start-up timeout that could abort a check (only Ctrl-C stops the wait).</summary>
    private async Task AnnounceSeedersAsync(CancellationToken ct)
    {
        using var client = new TrackerClient([[Tracker.HttpAnnounceUrl]], new TrackerClientOptions { HttpTimeout = OwnTrackerTimeout });
        foreach (var peer in _peers)
        {
            var request = new AnnounceRequest(Torrent.Torrent.InfoHash, peer.PeerId, peer.EndPoint.Port, 0, 0, Left: 0, AnnounceEvent.Started);
            await client.AnnounceAsync(request, ct).ConfigureAwait(false);
        }
    }

    private void Add(ConcurrentQueue<string> queue, string line, bool notify)
    {
        if (queue.Count < MaxLines) queue.Enqueue(line);
        // A faulty peer is sending its corrupt data (or its forged v2 layer): the peers that lacked that piece, the metadata
        // or the layers get them now
        // (SyntheticPeerOptions.LatePiece, LateMetadata), so a downloader meets the fault before it can avoid it.
        if (line.Contains(PeerLog.CorruptSent, StringComparison.Ordinal) || line.Contains(PeerLog.MetadataCorrupted, StringComparison.Ordinal)
            || line.Contains(PeerLog.ForgedLayerSent, StringComparison.Ordinal))
        {
            SyntheticPeer[] peers;
            lock (_peers) peers = [.. _peers];
            foreach (var peer in peers) peer.AcquireLate();
        }
        if (notify) _onLog?.Invoke(line);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers) await peer.DisposeAsync().ConfigureAwait(false);
        if (_tracker is not null) await _tracker.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>What <see cref="LabSwarm.StartAsync"/> builds.</summary>
public sealed record LabSwarmOptions
{
    /// <summary>The payload and torrent come from this random source.</summary>
    public required Random Random { get; init; }

    /// <summary>Where the .torrent file is written.</summary>
    public required string Folder { get; init; }

    /// <summary>One synthetic seeder per entry.</summary>
    public required IReadOnlyList<SyntheticBehaviour> Behaviours { get; init; }

    /// <summary>Payload size in bytes; null: a few pieces of random size (<see cref="LabTorrent.Generate"/>).</summary>
    public long? PayloadSize { get; init; }

    /// <summary>Builds the torrent from the tracker's announce URL (e.g. the demo's multi-file torrent); null generates
    /// a single-file one from <see cref="Random"/> and <see cref="PayloadSize"/>.</summary>
    public Func<string, LabTorrent>? MakeTorrent { get; init; }

    /// <summary>The tracker's port; 0 picks a free one.</summary>
    public int TrackerPort { get; init; }

    /// <summary>The pause before each peer unchokes (see <see cref="SyntheticPeerOptions.UnchokeDelay"/>).</summary>
    public TimeSpan UnchokeDelay { get; init; }

    public int MaxConnectionsPerPeer { get; init; } = 32;

    /// <summary>Whether the peers accept MSE/PE: off for the checker (students' clients speak plain BEP 3, and a wrong
    /// first byte must read as a handshake mistake), prefer for the demo, whose engine dials encrypted.</summary>
    public EncryptionPolicy Encryption { get; init; } = EncryptionPolicy.Off;

    /// <summary>When set, every peer serves the torrent's metadata (BEP 9) and receives ut_metadata on this id (BEP 10),
    /// so the swarm can be joined from the torrent's magnet link.</summary>
    public byte? MetadataExtensionId { get; init; }

    /// <summary>Record the wire trace of every peer connection.</summary>
    public bool Trace { get; init; }

    /// <summary>Adjusts each peer's options (e.g. which piece a corrupting peer corrupts).</summary>
    public Func<SyntheticPeerOptions, SyntheticBehaviour, LabTorrent, SyntheticPeerOptions>? ConfigurePeer { get; init; }

    /// <summary>Receives every tracker and peer log line as it is written.</summary>
    public Action<string>? OnLog { get; init; }
}
