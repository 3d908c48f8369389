using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Dht;

internal static partial class KrpcCodec
{
    // A KRPC message is two levels deep (the "values" list inside "r"), plus what a BEP 44 item's "v" nests (a small
    // list or dictionary); the element cap bounds a hostile datagram's work long before MaxDatagram would.
    private static readonly BencodeOptions DatagramOptions = new() { AllowUnsortedKeys = true, MaxDepth = 10, MaxElements = 1024 };

    private const int MaxTransactionId = 32;  // BEP 5: "typically 2 characters are enough"; we accept up to 32 bytes
    private const int MaxToken = 64;          // BEP 5 leaves the token opaque; real ones are 4 to 20 bytes
    private const int MaxMethod = 32;
    private const int MaxErrorMessage = 1024;
    private const int MaxSalt = 256;          // BEP 44 allows 64; a longer one is decoded so the node can answer 207

    /// <summary>Decodes one datagram into a query, response or error, checking every field it uses.</summary>
    /// <exception cref="DhtException">Not bencode, a missing or mistyped key, an id not 20 bytes, a port out of
    /// 1..65535, a compact list that is not a multiple of its record size.</exception>
    public static KrpcMessage Decode(ReadOnlyMemory<byte> datagram)
    {
        if (datagram.Length == 0) throw new DhtException("an empty datagram");
        if (datagram.Length > MaxDatagram) throw new DhtException($"a {datagram.Length}-byte datagram, over the {MaxDatagram}-byte limit");
        BDictionary root;
        try
        {
            root = BencodeDecoder.DecodeDictionary(datagram, DatagramOptions);
        }
        catch (BencodeException e)
        {
            throw new DhtException($"not a bencoded dictionary: {e.Message}", e);
        }

        // BEP 5: "Every message has a key "t" with a string value representing a transaction ID."
        var t = String(root, "t", "the message", 1, MaxTransactionId);
        // BEP 5: "Every message also has a key "y" with a single character value describing the type of message."
        var y = String(root, "y", "the message", 1, 1);
        var version = root.TryGet("v", out var v) && v is BString vs && vs.Bytes.Length <= 16 ? vs.Bytes.ToArray() : null;
        KrpcMessage message = y[0] switch
        {
            (byte)'q' => DecodeQuery(root, t) with { ReadOnly = IsReadOnly(root) },
            (byte)'r' => DecodeResponse(Dictionary(root, "r", "a response"), t),
            (byte)'e' => DecodeError(root, t),
            _ => throw new DhtException($"'y' is {Show(y)}, expected 'q', 'r' or 'e'"),
        };
        // BEP 42: "a top-level field called ip, containing a compact binary representation of the requestor's IP and
        // port"; anything else under that key is ignored, not an error (the answer itself is still good).
        var requester = y[0] != (byte)'q' && root.TryGet("ip", out var ip) && ip is BString compact ? RequesterOf(compact.Bytes.Span) : null;
        return message with { Version = version, RequesterAddress = requester };
    }

    /// <summary>BEP 43: a read-only node "places a 'ro' key in the top-level message dictionary and sets its value to 1".
    /// Like libtorrent we read any non-zero integer so; a value of another type is ignored rather than refused (the query
    /// itself is still good).</summary>
    private static bool IsReadOnly(BDictionary root) => root.TryGet("ro", out var ro) && ro is BInteger { Value: not 0 };

    private static IPEndPoint? RequesterOf(ReadOnlySpan<byte> compact)
    {
        try { return CompactNodes.DecodePeer(compact, "ip"); }
        catch (DhtException) { return null; } // another length, or port 0
    }

    /// <summary>The transaction id and type of a datagram that failed to decode, when those two keys are readable,
    /// so a malformed query can still be answered with error 203; null otherwise.</summary>
    public static (byte[] TransactionId, byte Type)? TryReadEnvelope(ReadOnlyMemory<byte> datagram)
    {
        try
        {
            if (datagram.Length is 0 or > MaxDatagram) return null;
            var root = BencodeDecoder.DecodeDictionary(datagram, DatagramOptions);
            return (String(root, "t", "the message", 1, MaxTransactionId), String(root, "y", "the message", 1, 1)[0]);
        }
        catch (BencodeException) { return null; }
        catch (DhtException) { return null; }
    }

    private static KrpcQuery DecodeQuery(BDictionary root, byte[] t)
    {
        var method = Encoding.ASCII.GetString(String(root, "q", "a query", 1, MaxMethod));
        var a = Dictionary(root, "a", "a query");
        var where = $"the '{method}' arguments";
        var query = new KrpcQuery(t, method, Id(a, "id", where));
        switch (method)
        {
            case KrpcMethods.FindNode:
                query = query with { Target = Id(a, "target", where) };
                break;
            case KrpcMethods.GetPeers:
                query = query with { InfoHash = Id(a, "info_hash", where) };
                break;
            case KrpcMethods.AnnouncePeer:
                var implied = a.TryGet("implied_port", out var ip) ? Integer(ip, "implied_port", where) : 0;
                if (implied is not (0 or 1)) throw new DhtException($"'implied_port' in {where} is {implied}, expected 0 or 1");
                var port = Integer(Required(a, "port", where), "port", where);
                // BEP 5: with implied_port set "the port argument should be ignored", so only a used port must be valid.
                if (implied == 0 && port is < 1 or > 65535) throw new DhtException($"'port' in {where} is {port}, expected 1..65535");
                query = query with
                {
                    InfoHash = Id(a, "info_hash", where), Port = (int)Math.Clamp(port, 0, 65535), ImpliedPort = implied == 1,
                    Token = String(a, "token", where, 1, MaxToken),
                };
                break;
            case KrpcMethods.Get:
                query = query with { Target = Id(a, "target", where), Sequence = a.ContainsKey("seq") ? Integer(a["seq"]!, "seq", where) : null };
                break;
            case KrpcMethods.Put:
                query = query with
                {
                    Token = String(a, "token", where, 1, MaxToken), Item = Item(a, where, withSalt: true),
                    Cas = a.ContainsKey("cas") ? Integer(a["cas"]!, "cas", where) : null,
                };
                break;
            case KrpcMethods.SampleInfohashes:
                query = query with { Target = Id(a, "target", where) };
                break;
        }
        return query with { Want = Want(a, where) };
    }

    private static KrpcResponse DecodeResponse(BDictionary r, byte[] t)
    {
        const string where = "the response";
        var response = new KrpcResponse(t, Id(r, "id", where));
        if (r.ContainsKey("nodes"))
            response = response with { Nodes = CompactNodes.DecodeNodes(String(r, "nodes", where, 0, MaxDatagram), AddressFamily.InterNetwork, "nodes") };
        if (r.ContainsKey("nodes6"))
            response = response with { Nodes6 = CompactNodes.DecodeNodes(String(r, "nodes6", where, 0, MaxDatagram), AddressFamily.InterNetworkV6, "nodes6") };
        if (r.ContainsKey("token")) response = response with { Token = String(r, "token", where, 1, MaxToken) };
        if (r.TryGet("values", out var values))
        {
            if (values is not BList list) throw new DhtException($"'values' in {where} is {Kind(values)}, expected a list of compact peers");
            var peers = new List<IPEndPoint>(list.Items.Count);
            for (var i = 0; i < list.Items.Count; i++)
            {
                if (list.Items[i] is not BString peer) throw new DhtException($"value {i} of 'values' is {Kind(list.Items[i])}, expected a string");
                peers.Add(CompactNodes.DecodePeer(peer.Bytes.Span, $"value {i} of 'values'"));
            }
            response = response with { Values = peers };
        }
        if (r.ContainsKey("v")) response = response with { Item = Item(r, where, withSalt: false) };
        if (r.ContainsKey("seq")) response = response with { Sequence = Integer(r["seq"]!, "seq", where) };
        if (r.ContainsKey("num")) response = response with { Num = Integer(r["num"]!, "num", where) };
        if (r.ContainsKey("interval")) response = response with { Interval = Integer(r["interval"]!, "interval", where) };
        if (r.ContainsKey("samples"))
        {
            var samples = String(r, "samples", where, 0, MaxDatagram);
            if (samples.Length % NodeId.Length != 0)
                throw new DhtException($"'samples' in {where} is {samples.Length} bytes, expected a multiple of {NodeId.Length}");
            response = response with { Samples = [.. samples.Chunk(NodeId.Length).Select(h => new NodeId(h))] };
        }
        return response;
    }

    /// <summary>BEP 44's item in put arguments or get return values: <c>v</c>, and <c>k</c>, <c>seq</c>, <c>sig</c>
    /// (all three or none) for a mutable one. Sizes and the signature are the node's to judge (errors 205 to 207); the
    /// codec checks the types, the key and signature lengths, and that <c>v</c> is canonical bencode (the signature
    /// and an immutable target cover exactly those bytes, and we send the value as we decoded it).</summary>
    private static DhtItem Item(BDictionary d, string where, bool withSalt)
    {
        var v = Required(d, "v", where);
        var raw = v.Raw.ToArray();
        if (!BencodeWriter.Encode(v).AsSpan().SequenceEqual(raw)) throw new DhtException($"'v' in {where} is not canonical bencode (unsorted keys)");
        var item = new DhtItem { Value = raw };
        var mutable = d.ContainsKey("k") || d.ContainsKey("sig");
        if (!mutable) return item;
        return item with
        {
            PublicKey = String(d, "k", where, Ed25519.KeyLength, Ed25519.KeyLength),
            Signature = String(d, "sig", where, Ed25519.SignatureLength, Ed25519.SignatureLength),
            Sequence = Integer(Required(d, "seq", where), "seq", where),
            Salt = withSalt && d.ContainsKey("salt") ? String(d, "salt", where, 0, MaxSalt) : [],
        };
    }

    private static KrpcError DecodeError(BDictionary root, byte[] t)
    {
        // BEP 5: "The value of the "e" key is a list. The first element is an integer representing the error code.
        // The second element is a string containing the error message."
        if (Required(root, "e", "an error") is not BList { Items.Count: 2 } list || list.Items[0] is not BInteger code || list.Items[1] is not BString text)
            throw new DhtException("'e' in an error is not a list of [code, message]");
        if (code.Value is < 0 or > 65535) throw new DhtException($"error code {code.Value} is out of range");
        if (text.Bytes.Length > MaxErrorMessage) throw new DhtException($"the error message is {text.Bytes.Length} bytes, over {MaxErrorMessage}");
        return new KrpcError(t, (int)code.Value, text.Text);
    }

    private static IReadOnlyList<string> Want(BDictionary a, string where)
    {
        if (!a.TryGet("want", out var want)) return [];
        if (want is not BList list || list.Items.Count > 4 || list.Items.Any(i => i is not BString { Bytes.Length: 2 }))
            throw new DhtException($"'want' in {where} is not a list of two-letter strings (\"n4\", \"n6\")");
        return [.. list.Items.Cast<BString>().Select(s => s.Text)];
    }

    private static BValue Required(BDictionary d, string key, string where) =>
        d.TryGet(key, out var value) ? value : throw new DhtException($"{where} has no '{key}'");

    private static BDictionary Dictionary(BDictionary d, string key, string where) =>
        Required(d, key, where) as BDictionary ?? throw new DhtException($"'{key}' in {where} is {Kind(d[key]!)}, expected a dictionary");

    private static byte[] String(BDictionary d, string key, string where, int min, int max)
    {
        if (Required(d, key, where) is not BString s) throw new DhtException($"'{key}' in {where} is {Kind(d[key]!)}, expected a string");
        if (s.Bytes.Length < min || s.Bytes.Length > max)
            throw new DhtException($"'{key}' in {where} is {s.Bytes.Length} bytes, expected {(min == max ? $"{min}" : $"{min} to {max}")}");
        return s.Bytes.ToArray();
    }

    private static long Integer(BValue value, string key, string where) =>
        value is BInteger i ? i.Value : throw new DhtException($"'{key}' in {where} is {Kind(value)}, expected an integer");

    // BEP 5: ids are 20-byte strings ("20-byte Node ID"), as are info hashes and targets.
    private static NodeId Id(BDictionary d, string key, string where) => new(String(d, key, where, NodeId.Length, NodeId.Length));

    private static string Kind(BValue value) => value switch
    {
        BString => "a string",
        BInteger => "an integer",
        BList => "a list",
        _ => "a dictionary",
    };
}
