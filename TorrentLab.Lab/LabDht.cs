using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Lab;

/// <summary>A classroom DHT on 127.0.0.1 for the DHT stages: a chain of synthetic nodes, each closer to an info hash
/// than the last, from a bootstrap node down to the node that holds the peers; with faults, dead and garbage nodes
/// among the closer nodes too.</summary>
internal sealed class LabDht : IAsyncDisposable
{
    private const int MaxLines = 2_000; // evidence kept; a runaway client cannot grow it without bound

    // How many leading bits each node of the chain shares with the info hash: every hop gets closer.
    private static readonly int[] ChainPrefixes = [0, 24, 64, 120];

    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<SyntheticDhtNode> _nodes = [];

    private LabDht(NodeId infoHash) => InfoHash = infoHash;

    public NodeId InfoHash { get; }

    /// <summary>The chain, from the bootstrap node to the node holding the peers.</summary>
    public IReadOnlyList<SyntheticDhtNode> Chain { get; private set; } = [];

    /// <summary>The faulty nodes handed out beside the chain (none without faults).</summary>
    public IReadOnlyList<SyntheticDhtNode> Faulty { get; private set; } = [];

    public SyntheticDhtNode Bootstrap => Chain[0];

    /// <summary>The peers the last node of the chain holds.</summary>
    public IReadOnlyList<IPEndPoint> Peers { get; private set; } = [];

    /// <summary>Every node's log lines, in the order written.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary>Whether the client sent a node a datagram that is not a bencoded dictionary. A sender counts as the
    /// client when it also sent a dictionary to some node, or when no sender did (a client that sends only such
    /// datagrams); a sender of nothing but such datagrams beside a client that speaks KRPC is another program on the
    /// machine, not the client.</summary>
    public bool ClientSentNonDictionary
    {
        get
        {
            var senders = _nodes.SelectMany(n => n.Sources).ToList();
            var speakers = senders.Where(s => s.Value.HasFlag(SentKinds.Dictionary)).Select(s => s.Key).ToHashSet();
            return senders.Any(s => s.Value.HasFlag(SentKinds.NonDictionary) && (speakers.Count == 0 || speakers.Contains(s.Key)));
        }
    }

    /// <summary>A single node, for the ping stage; with <paramref name="decoy"/>, one that first answers under another
    /// transaction id (<see cref="SyntheticDhtNode.DecoyFirst"/>).</summary>
    public static LabDht Single(Random random, SyntheticDhtBehaviour behaviour, bool decoy = false)
    {
        var dht = new LabDht(NodeId.Random(random));
        var node = dht.Add(NodeId.Random(random), behaviour, decoy ? NodeId.Random(random) : null);
        dht.Chain = [node];
        return dht;
    }

    /// <summary>The chain for the get_peers stage, with 2 to 4 peers at its end.</summary>
    public static LabDht Chained(Random random, bool faults)
    {
        var dht = Chained(random, faults, NodeId.Random(random), null);
        dht.Peers = [.. Enumerable.Range(0, random.Next(2, 5)).Select(_ => new IPEndPoint(IPAddress.Parse($"127.0.{random.Next(1, 255)}.{random.Next(1, 255)}"), random.Next(10_000, 60_000)))];
        dht.Chain[^1].Values = dht.Peers;
        return dht;
    }

    /// <summary>The chain towards <paramref name="infoHash"/> whose last node holds <paramref name="peers"/> (the magnet
    /// stage's real seeders); null peers for none yet.</summary>
    public static LabDht Chained(Random random, bool faults, NodeId infoHash, IReadOnlyList<IPEndPoint>? peers)
    {
        var dht = new LabDht(infoHash);
        dht.Chain = [.. ChainPrefixes.Select(bits => dht.Add(dht.InfoHash.RandomWithPrefix(bits, random), SyntheticDhtBehaviour.Normal))];
        dht.Faulty = faults
            ? [dht.Add(dht.InfoHash.RandomWithPrefix(30, random), SyntheticDhtBehaviour.Silent),
               dht.Add(dht.InfoHash.RandomWithPrefix(40, random), SyntheticDhtBehaviour.Garbage)]
            : [];
        for (var i = 0; i + 1 < dht.Chain.Count; i++)
        {
            // Each node knows the next one of the chain; the bootstrap node also hands out the faulty ones, which are
            // closer than it is, so a correct lookup asks them too and must survive their silence and garbage.
            var next = new NodeContact(dht.Chain[i + 1].Id, dht.Chain[i + 1].EndPoint);
            dht.Chain[i].Nodes = i == 0 ? [next, .. dht.Faulty.Select(f => new NodeContact(f.Id, f.EndPoint))] : [next];
        }
        dht.Peers = peers ?? [];
        dht.Chain[^1].Values = dht.Peers;
        return dht;
    }

    private SyntheticDhtNode Add(NodeId id, SyntheticDhtBehaviour behaviour, NodeId? decoy = null)
    {
        var node = new SyntheticDhtNode(id, behaviour, line =>
        {
            if (_log.Count < MaxLines) _log.Enqueue(line);
        }) { DecoyFirst = decoy is not null, DecoyId = decoy ?? default };
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync().ConfigureAwait(false);
    }
}
