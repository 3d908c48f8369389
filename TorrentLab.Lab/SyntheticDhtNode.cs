using System.Collections.Concurrent;
using System.Net;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Dht;

namespace TorrentLab.Lab;

/// <summary>How a synthetic DHT node of the lab behaves.</summary>
internal enum SyntheticDhtBehaviour
{
    /// <summary>Answers every well-formed query.</summary>
    Normal,
    /// <summary>Never answers (a node that left the DHT): a client must time out and move on.</summary>
    Silent,
    /// <summary>Answers with bytes that are not bencode: a client must drop them and move on.</summary>
    Garbage,
    /// <summary>Ignores the first query it gets (a lost datagram): a client must resend after a timeout.</summary>
    DropsFirst,
}

/// <summary>What one sender sent a synthetic DHT node.</summary>
[Flags]
internal enum SentKinds
{
    None = 0,
    /// <summary>A datagram that decodes as a bencoded dictionary (a KRPC message, well-formed or not).</summary>
    Dictionary = 1,
    /// <summary>A datagram that does not.</summary>
    NonDictionary = 2,
}

/// <summary>A scripted DHT node on 127.0.0.1 for the lab's DHT stages: it answers with the nodes and peers it was
/// given, and logs every query it received, so the checker's hints come from evidence (a query without 't', a lookup
/// that never reached the closer nodes, a token not echoed).</summary>
/// <remarks>It parses leniently (so it can tell what is wrong with a query) and answers with
/// <see cref="KrpcCodec"/>, the same encoder as TorrentLab's own node.</remarks>
internal sealed class SyntheticDhtNode : IAsyncDisposable
{
    private readonly UdpDatagramSocket _udp; // the same socket runner as TorrentLab's own node
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<IPAddress, byte[]> _tokens = new();
    private readonly ConcurrentDictionary<IPEndPoint, SentKinds> _sources = new();
    private int _arrived, _received;

    public SyntheticDhtNode(NodeId id, SyntheticDhtBehaviour behaviour, Action<string> log)
    {
        Id = id;
        Behaviour = behaviour;
        _log = log;
        _udp = new UdpDatagramSocket(TorrentLab.Network.SystemNetwork.Instance, new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = _udp.LocalEndPoint;
        _udp.Start(Serve);
    }

    public NodeId Id { get; }
    public IPEndPoint EndPoint { get; }
    public SyntheticDhtBehaviour Behaviour { get; }

    /// <summary>The nodes it answers find_node and get_peers with.</summary>
    public IReadOnlyList<NodeContact> Nodes { get; set; } = [];

    /// <summary>The peers it answers get_peers with (its "values").</summary>
    public IReadOnlyList<IPEndPoint> Values { get; set; } = [];

    /// <summary>Before each answer, sends one under another transaction id <c>t</c> carrying <see cref="DecoyId"/> (the
    /// strict grade of the ping stage): a client that matches answers to its query by <c>t</c> (BEP 5) ignores it.</summary>
    public bool DecoyFirst { get; init; }

    /// <summary>The node id the decoy answer carries.</summary>
    public NodeId DecoyId { get; init; }

    /// <summary>Datagrams received and handled so far: each one's sender is in <see cref="Sources"/> and its line in the
    /// log by the time it counts here, so whoever waits for the count reads the evidence it left.</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>Each address and port it got datagrams from, with what kinds of datagram each sent. Other
    /// programs on the machine can reach a lab node too (a port of theirs reused, a stray uTP packet): the checker
    /// counts a sender's datagrams as the client's evidence by this (<see cref="LabDht.ClientSentNonDictionary"/>).</summary>
    public IReadOnlyDictionary<IPEndPoint, SentKinds> Sources => _sources;

    /// <summary>The name it logs under: <c>dht node 127.0.0.1:40001</c>.</summary>
    public string Name => $"dht node {EndPoint}";

    /// <summary>One datagram in, at most one answer out (a send that fails is a lost datagram, as over the internet).</summary>
    private void Serve(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        var count = Interlocked.Increment(ref _arrived);   // the datagram's place, which behaviours go by
        byte[]? answer, tid;
        try { answer = Answer(datagram.ToArray(), from, count, out tid); }
        finally { Interlocked.Increment(ref _received); }
        if (answer is not null) _ = SendAsync(answer, tid, from);
    }

    private async Task SendAsync(byte[] answer, byte[]? tid, IPEndPoint from)
    {
        if (DecoyFirst && tid is not null)
        {
            // The same answer under another 't' (its last byte flipped): sent first, so a client that takes the first
            // datagram it reads without comparing 't' prints the decoy's id.
            var other = (byte[])tid.Clone();
            other[^1] ^= 0x5A;
            Log($"{DhtEvidence.DecoySent} (t={Convert.ToHexStringLower(other)}, id={DecoyId.Hex})");
            await _udp.SendAsync(KrpcCodec.Encode(new KrpcResponse(other, DecoyId)), from, CancellationToken.None).ConfigureAwait(false);
        }
        await _udp.SendAsync(answer, from, CancellationToken.None).ConfigureAwait(false);
    }

    private byte[]? Answer(byte[] datagram, IPEndPoint from, int count, out byte[]? answered)
    {
        answered = null;   // the query's 't', when the answer is a response (not an error)
        BDictionary message;
        try
        {
            message = BencodeDecoder.DecodeDictionary(datagram, BencodeOptions.Lenient);
        }
        catch (BencodeException e)
        {
            Heard(from, SentKinds.NonDictionary);
            Log($"got a datagram from {from} that is not a bencoded dictionary ({e.Message}): {Preview(datagram)}");
            return null;
        }
        Heard(from, SentKinds.Dictionary);
        if (message["t"] is not BString { Bytes.Length: > 0 } t)
        {
            Log($"{DhtEvidence.NoTransactionId}: {Preview(datagram)}");
            return null;
        }
        var method = (message["q"] as BString)?.Text ?? "?";
        if ((message["y"] as BString)?.Text != "q")
        {
            Log($"got a message whose 'y' is not \"q\": {Preview(datagram)}");
            return Error(t, KrpcError.Protocol, "'y' must be \"q\" for a query");
        }
        var args = message["a"] as BDictionary;
        if (args?["id"] is not BString { Bytes.Length: NodeId.Length } sender)
        {
            Log($"got {method} whose 'a' has no 20-byte 'id': {Preview(datagram)}");
            return Error(t, KrpcError.Protocol, "'a' must hold your 20-byte node id 'id'");
        }
        var target = (args["info_hash"] ?? args["target"]) as BString;
        Log($"got {method} from {from} (t={Convert.ToHexStringLower(t.Bytes.Span)}, id={Convert.ToHexStringLower(sender.Bytes.Span)[..8]}..."
            + (target is null ? "" : $", {(args.ContainsKey("info_hash") ? "info_hash" : "target")} of {target.Bytes.Length} bytes") + ")");
        if (target is not null && target.Bytes.Length != NodeId.Length)
        {
            Log($"{DhtEvidence.HexInfoHash} ({target.Bytes.Length} bytes)");
            return Error(t, KrpcError.Protocol, "info_hash and target are 20 raw bytes");
        }

        switch (Behaviour)
        {
            case SyntheticDhtBehaviour.Silent:
                return null;
            case SyntheticDhtBehaviour.Garbage:
                return Encoding.ASCII.GetBytes("this is not bencode");
            case SyntheticDhtBehaviour.DropsFirst when count == 1:
                Log("dropped this first query on purpose (UDP loses datagrams): a client resends after a timeout");
                return null;
        }

        var tid = t.Bytes.ToArray();
        switch (method)
        {
            case KrpcMethods.Ping:
                answered = tid;
                return KrpcCodec.Encode(new KrpcResponse(tid, Id));
            case KrpcMethods.FindNode:
                return KrpcCodec.Encode(new KrpcResponse(tid, Id) { Nodes = Nodes });
            case KrpcMethods.GetPeers:
                var token = _tokens.GetOrAdd(from.Address, _ => Encoding.ASCII.GetBytes($"tok{Random.Shared.Next(100_000, 999_999)}"));
                return KrpcCodec.Encode(new KrpcResponse(tid, Id) { Token = token, Nodes = Values.Count > 0 ? [] : Nodes, Values = Values });
            case KrpcMethods.AnnouncePeer:
                var given = args["token"] as BString;
                if (given is null || !_tokens.TryGetValue(from.Address, out var ours) || !given.Bytes.Span.SequenceEqual(ours))
                {
                    Log($"{DhtEvidence.TokenNotEchoed} (got {(given is null ? "none" : Convert.ToHexStringLower(given.Bytes.Span))})");
                    return Error(t, KrpcError.Protocol, "bad token");
                }
                return KrpcCodec.Encode(new KrpcResponse(tid, Id));
            default:
                return Error(t, KrpcError.MethodUnknown, "Method Unknown");
        }
    }

    private void Heard(IPEndPoint from, SentKinds kind) => _sources.AddOrUpdate(from, kind, (_, before) => before | kind);

    private static byte[] Error(BString t, int code, string text) => KrpcCodec.Encode(new KrpcError(t.Bytes.ToArray(), code, text));

    private void Log(string line) => _log($"{Name}: {line}");

    private static string Preview(byte[] datagram)
    {
        var shown = Encoding.Latin1.GetString(datagram, 0, Math.Min(datagram.Length, 120));
        return new string(shown.Select(c => c is >= ' ' and < (char)0x7F ? c : '.').ToArray()) + (datagram.Length > 120 ? "..." : "");
    }

    public ValueTask DisposeAsync() => _udp.DisposeAsync();
}
