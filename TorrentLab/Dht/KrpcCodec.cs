using System.Net.Sockets;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Dht;

/// <summary>KRPC messages to and from their bencoded datagrams, byte for byte (BEP 5, with BEP 32's <c>nodes6</c>
/// and <c>want</c>, BEP 44's get and put and BEP 51's sample_infohashes).</summary>
/// <remarks>BEP 5: "A KRPC message is a single dictionary with three keys common to every message and additional keys
/// depending on the type of message." Every layout, keys sorted as bencode requires:
/// <code>
///   query:    d 1:a d 2:id 20:&lt;id&gt; [6:target 20:..] [9:info_hash 20:..] [12:implied_port i1e] [4:port i..e] [5:token ..] e
///               1:q &lt;method&gt; [2:ro i1e] 1:t &lt;tid&gt; [1:v 4:..] 1:y 1:q e
///   response: d 1:r d 2:id 20:&lt;id&gt; [5:nodes 26n:..] [6:nodes6 38n:..] [5:token ..] [6:values l 6:.. e] e
///               1:t &lt;tid&gt; [1:v 4:..] 1:y 1:r e
///   error:    d 1:e l i&lt;code&gt;e &lt;message&gt; e 1:t &lt;tid&gt; [1:v 4:..] 1:y 1:e e
/// BEP 44 adds to the arguments [3:cas i..e] [1:k 32:..] [4:salt ..] [3:seq i..e] [3:sig 64:..] [1:v &lt;any bencoded&gt;]
/// and to the return values [1:k 32:..] [3:seq i..e] [3:sig 64:..] [1:v ..]; BEP 51 adds to the return values
/// [8:interval i..e] [3:num i..e] [7:samples 20n:..].
/// </code>
/// Decoding is in <c>KrpcCodec.Decode.cs</c>.</remarks>
internal static partial class KrpcCodec
{
    /// <summary>The largest datagram we decode: a full get_peers answer is about 1,500 bytes; 8 KiB leaves room.</summary>
    public const int MaxDatagram = 8 * 1024;

    /// <summary>Encodes any KRPC message.</summary>
    public static byte[] Encode(KrpcMessage message)
    {
        var root = new BDictionary().Set("t", new BString(message.TransactionId));
        if (message.Version is { } version) root.Set("v", new BString(version));
        if (message is not KrpcQuery && message.RequesterAddress is { } requester) root.Set("ip", new BString(CompactNodes.EncodePeer(requester)));
        switch (message)
        {
            case KrpcQuery q:
                root.Set("y", new BString("q")).Set("q", new BString(q.Method)).Set("a", QueryArguments(q));
                if (q.ReadOnly) root.Set("ro", new BInteger(1)); // BEP 43
                break;
            case KrpcResponse r:
                root.Set("y", new BString("r")).Set("r", ResponseValues(r));
                break;
            case KrpcError e:
                root.Set("y", new BString("e")).Set("e", new BList([new BInteger(e.Code), new BString(e.Message)]));
                break;
            default:
                throw new InvalidOperationException($"unknown KRPC message type {message.GetType().Name}");
        }
        return BencodeWriter.Encode(root);
    }

    private static BDictionary QueryArguments(KrpcQuery q)
    {
        var a = new BDictionary().Set("id", Id(q.SenderId));
        if (q.Target is { } target) a.Set("target", Id(target));
        if (q.InfoHash is { } infoHash) a.Set("info_hash", Id(infoHash));
        if (q.Method == KrpcMethods.AnnouncePeer)
        {
            if (q.ImpliedPort) a.Set("implied_port", new BInteger(1));
            a.Set("port", new BInteger(q.Port));
        }
        if (q.Token is { } token) a.Set("token", new BString(token));
        if (q.Want.Count > 0) a.Set("want", new BList([.. q.Want.Select(w => new BString(w))]));
        if (q.Sequence is { } seq) a.Set("seq", new BInteger(seq));
        if (q.Cas is { } cas) a.Set("cas", new BInteger(cas));
        if (q.Item is { } item)
        {
            SetItem(a, item);
            if (item.Salt.Length > 0) a.Set("salt", new BString(item.Salt));
        }
        return a;
    }

    private static BDictionary ResponseValues(KrpcResponse r)
    {
        var values = new BDictionary().Set("id", Id(r.SenderId));
        if (r.Nodes.Count > 0) values.Set("nodes", new BString(CompactNodes.EncodeNodes(r.Nodes, AddressFamily.InterNetwork)));
        if (r.Nodes6.Count > 0) values.Set("nodes6", new BString(CompactNodes.EncodeNodes(r.Nodes6, AddressFamily.InterNetworkV6)));
        if (r.Token is { } token) values.Set("token", new BString(token));
        if (r.Values.Count > 0) values.Set("values", new BList([.. r.Values.Select(p => new BString(CompactNodes.EncodePeer(p)))]));
        if (r.Item is { } item) SetItem(values, item);
        else if (r.Sequence is { } seq) values.Set("seq", new BInteger(seq));
        if (r.Num is { } num) values.Set("num", new BInteger(num));
        if (r.Interval is { } interval) values.Set("interval", new BInteger(interval));
        if (r.Samples.Count > 0) values.Set("samples", new BString(r.Samples.SelectMany(h => h.Bytes.ToArray()).ToArray()));
        return values;
    }

    // BEP 44: v, and for a mutable item k, seq and sig (the salt goes only into a put's arguments).
    private static void SetItem(BDictionary d, DhtItem item)
    {
        d.Set("v", BencodeDecoder.Decode(item.Value));
        if (!item.IsMutable) return;
        d.Set("k", new BString(item.PublicKey!)).Set("seq", new BInteger(item.Sequence)).Set("sig", new BString(item.Signature ?? []));
    }

    private static BString Id(NodeId id) => new(id.Bytes.ToArray());

    /// <summary>Text of a byte string for error messages: printable ASCII as is, anything else as hex.</summary>
    internal static string Show(ReadOnlySpan<byte> bytes) =>
        bytes.ToArray().All(b => b is >= 0x20 and < 0x7F) ? $"'{Encoding.ASCII.GetString(bytes)}'" : $"0x{Convert.ToHexStringLower(bytes)}";
}
