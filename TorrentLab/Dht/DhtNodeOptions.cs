using System.Net;
using Microsoft.Extensions.Logging;
using TorrentLab.Network;

namespace TorrentLab.Dht;

/// <summary>How a DHT node starts: where it listens, whom it bootstraps from, where its routing table is saved.</summary>
public sealed record DhtNodeOptions
{
    /// <summary>The well-known public routers of the Mainline DHT. Never used unless a caller passes them: no test does.</summary>
    public static IReadOnlyList<string> PublicRouters { get; } = ["router.bittorrent.com:6881", "dht.transmissionbt.com:6881"];

    /// <summary>The bootstrap nodes, <c>HOST:PORT</c> each; required, so nothing reaches the public routers by
    /// accident (pass <see cref="PublicRouters"/> to join the public DHT). May be empty when a saved table exists.</summary>
    public required IReadOnlyList<string> Bootstrap { get; init; }

    /// <summary>The UDP address to listen on; port 0 picks a free one. The engine uses its peer port (BEP 5).</summary>
    public IPEndPoint LocalEndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>The routing table file (a small JSON: our id and the good nodes), read at start and written at stop;
    /// null for none.</summary>
    public string? StatePath { get; init; }

    /// <summary>Our node id; null for the saved one, else a fresh random one.</summary>
    public NodeId? Id { get; init; }

    /// <summary>How long a query waits for its answer.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>BEP 42 enforced: lookups take no token from, and do not end on, nodes whose id does not fit their
    /// address (local networks exempt), so announces go to nodes that cannot have chosen their place. Off by default,
    /// as in libtorrent (<c>dht_enforce_node_id</c>): many nodes still run with free ids. Queries are answered either way.</summary>
    public bool EnforceNodeIds { get; init; }

    /// <summary>BEP 43 read-only: the node answers no queries and marks each of its own with <c>"ro": 1</c>, so the nodes
    /// it asks answer it but keep it out of their routing tables. For a short-lived node (the CLI's one-shot
    /// <c>dht</c> commands, a magnet fetch's lookup without a session), which would otherwise linger in others' tables
    /// and cost their lookups a timeout each after it exits; as libtorrent's <c>dht_read_only</c>. Off by default: a
    /// node that stays serves the DHT.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>How long one iterative lookup may run in all.</summary>
    public TimeSpan LookupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often buckets are checked for refresh, questionable nodes pinged and stored peers expired.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Send to loopback addresses only (127.0.0.0/8, ::1): other nodes learned are ignored and other bootstrap
    /// hosts refused. On when the environment sets <c>TORRENTLAB_DHT_LOOPBACK_ONLY=1</c>, as the test suite does.</summary>
    public bool LoopbackOnly { get; init; } = Environment.GetEnvironmentVariable("TORRENTLAB_DHT_LOOPBACK_ONLY") == "1";

    /// <summary>Where the node logs (queries answered, bootstrap, state saved), one line each at
    /// <see cref="LogLevel.Debug"/>; null for nothing.</summary>
    public ILogger? Logger
    {
        get => _logger;
        init
        {
            _logger = value;
            _log = null;
        }
    }

    private readonly ILogger? _logger;
    private Action<string>? _log;

    /// <summary>The node's lines, made from <see cref="Logger"/> once; the session and the tests may set it directly.</summary>
    internal Action<string>? Log
    {
        get => _log ??= EngineLog.Lines(_logger);
        init => _log = value;
    }

    /// <summary>The clock (tests pass a manual one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The network a node started with <see cref="DhtNode.StartAsync"/> binds its UDP port on and resolves
    /// bootstrap names with (a session's node runs on the session's port instead).</summary>
    internal INetwork Network { get; init; } = SystemNetwork.Instance;
}
