using System.Net;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Tracker;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A DHT datagram (BEP 5 KRPC): decoded (a message, or a <see cref="DhtException"/>), then handed to a node
/// as if it came from 127.0.0.2, which must never throw and never send anywhere the address policy forbids.</summary>
/// <remarks>What must hold: a message we decoded encodes to a datagram we decode again. The node's sender only
/// records: nothing leaves the process.</remarks>
internal static class KrpcTarget
{
    public static FuzzTarget Target { get; } = new("krpc", "a KRPC datagram (query, response or error)", Run, Seeds);

    private static readonly IPEndPoint From = IPEndPoint.Parse("127.0.0.2:6881");
    private static readonly NodeId OurId = new(Enumerable.Repeat((byte)0x5a, NodeId.Length).ToArray());

    private sealed class RecordingSender : IDatagramSender
    {
        public List<IPEndPoint> SentTo { get; } = [];

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
        {
            SentTo.Add(to);
            return ValueTask.CompletedTask;
        }
    }

    private static void Run(byte[] input)
    {
        try
        {
            var message = KrpcCodec.Decode(input);
            KrpcCodec.Decode(KrpcCodec.Encode(message));
        }
        catch (DhtException) { }
        var sender = new RecordingSender();
        var node = new DhtNode(new DhtNodeOptions { Bootstrap = [], LoopbackOnly = false, Id = OurId }, sender);
        node.Receive(input, From);
        foreach (var to in sender.SentTo)
            if (!PeerAddressPolicy.MayDial(to)) throw new InvalidOperationException($"the node sent to {to}, which no client may contact");
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var id = NodeId.Random(new Random(1));
        var hash = NodeId.Random(new Random(2));
        var t = "aa"u8.ToArray();
        var nodes = Enumerable.Range(0, 8).Select(i => new NodeContact(NodeId.Random(new Random(10 + i)), new IPEndPoint(IPAddress.Loopback, 6000 + i))).ToList();
        (string, KrpcMessage)[] messages =
        [
            ("ping", new KrpcQuery(t, KrpcMethods.Ping, id)),
            ("find-node", new KrpcQuery(t, KrpcMethods.FindNode, id) { Target = hash, Want = ["n4", "n6"] }),
            ("get-peers", new KrpcQuery(t, KrpcMethods.GetPeers, id) { InfoHash = hash }),
            ("announce-peer", new KrpcQuery(t, KrpcMethods.AnnouncePeer, id) { InfoHash = hash, Port = 6881, ImpliedPort = true, Token = "12345678"u8.ToArray() }),
            ("nodes", new KrpcResponse(t, id) { Nodes = nodes }),
            ("nodes6", new KrpcResponse(t, id) { Nodes6 = [new NodeContact(id, IPEndPoint.Parse("[::1]:7000"))] }),
            ("values", new KrpcResponse(t, id) { Token = "tok"u8.ToArray(), Values = [.. nodes.Select(n => n.EndPoint)] }),
            ("error", new KrpcError(t, KrpcError.Protocol, "bad token") { Version = [(byte)'L', (byte)'T', 1, 2] }),
        ];
        foreach (var (name, message) in messages) yield return (name, KrpcCodec.Encode(message));
        yield return ("bep5-values", Encoding.Latin1.GetBytes("d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"));
    }
}
