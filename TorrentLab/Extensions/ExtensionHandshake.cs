using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;

namespace TorrentLab.Extensions;

/// <summary>The BEP 10 extension handshake: which extensions a peer speaks, under which ids, and facts about it.</summary>
/// <remarks>
/// <code>
/// &lt;len=2+X&gt;&lt;id=20&gt;&lt;extended id=0&gt;&lt;bencoded dictionary X&gt;
/// d
///   1:m  d 11:ut_metadata i3e 6:ut_pex i4e 12:ut_holepunch i6e e    the ids the SENDER receives each extension on; 0 = disabled
///   13:metadata_size i&lt;bytes&gt;e                 BEP 9: the size of the info dictionary, when the sender has it
///   1:p  i&lt;tcp port&gt;e                          the sender's listen port
///   4:reqq i&lt;n&gt;e                               outstanding requests the sender queues without dropping
///   11:upload_only i1e                            BEP 21: the sender wants nothing more (a seed or partial seed)
///   1:v  &lt;client name and version&gt;
///   6:yourip &lt;4 or 16 bytes&gt;                    the receiver's address as the sender sees it (no port)
/// e
/// </code>
/// BEP 10: "All items in the dictionary are optional. Any unknown names should be ignored by the client."
/// So a field of the wrong type is ignored like an unknown one; only an <c>m</c> id outside 0..255 (it cannot be
/// a one-byte id) and a negative <c>metadata_size</c> are violations.
/// </remarks>
internal sealed record ExtensionHandshake
{
    /// <summary><c>m</c>: extension name to the id its sender receives it on (0 disables the extension).</summary>
    public IReadOnlyDictionary<string, byte> Messages { get; init; } = new Dictionary<string, byte>();

    /// <summary><c>v</c>: client name and version.</summary>
    public string? Client { get; init; }

    /// <summary><c>p</c>: the sender's TCP listen port.</summary>
    public int? ListenPort { get; init; }

    /// <summary><c>metadata_size</c> (BEP 9): bytes of the info dictionary.</summary>
    public long? MetadataSize { get; init; }

    /// <summary><c>reqq</c>: requests the sender queues per peer without dropping any.</summary>
    public int? RequestQueue { get; init; }

    /// <summary><c>yourip</c>: our address as the sender sees it.</summary>
    public IPAddress? YourIp { get; init; }

    /// <summary><c>upload_only</c> (BEP 21): true when the sender "is not interested in downloading anything", false
    /// when it says 0, null when the key is absent (a later handshake without it leaves the state as it was).</summary>
    public bool? UploadOnly { get; init; }

    /// <summary>Our handshake to <paramref name="remote"/>: the extensions of <see cref="ExtensionRegistry"/> in <c>m</c>
    /// (with <paramref name="pex"/> false only those a private torrent offers, BEP 27), and <c>upload_only</c> when given (BEP 21).</summary>
    public static ExtensionHandshake Ours(IPEndPoint remote, int? listenPort, long? metadataSize, bool pex, bool? uploadOnly = null) => new()
    {
        UploadOnly = uploadOnly,
        Messages = ExtensionRegistry.Offered(pex),
        Client = ExtensionIds.ClientVersion,
        ListenPort = listenPort,
        MetadataSize = metadataSize,
        RequestQueue = ExtensionIds.RequestQueue,
        YourIp = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address,
    };

    /// <summary>The bencoded dictionary (the payload after the extended id 0); keys sorted, absent fields omitted.</summary>
    public byte[] Encode()
    {
        var m = new BDictionary();
        foreach (var (name, id) in Messages) m.Set(name, new BInteger(id));
        var d = new BDictionary().Set("m", m);
        if (MetadataSize is { } size) d.Set("metadata_size", new BInteger(size));
        if (ListenPort is { } port) d.Set("p", new BInteger(port));
        if (RequestQueue is { } reqq) d.Set("reqq", new BInteger(reqq));
        if (UploadOnly is { } only) d.Set("upload_only", new BInteger(only ? 1 : 0));
        if (Client is not null) d.Set("v", new BString(Client));
        if (YourIp is not null) d.Set("yourip", new BString(YourIp.GetAddressBytes()));
        return BencodeWriter.Encode(d);
    }

    /// <summary>Decodes the payload of an extended message with id 0.</summary>
    /// <exception cref="ExtensionException">Not a bencoded dictionary, or an id or size that cannot be right.</exception>
    public static ExtensionHandshake Decode(ReadOnlyMemory<byte> payload)
    {
        var d = ExtensionPayload.Dictionary(payload, "extension handshake");
        var messages = new Dictionary<string, byte>();
        if (d["m"] is BDictionary m)
        {
            foreach (var (key, value) in m.Entries)
            {
                if (value is not BInteger id) continue;   // not an id: ignored like an unknown name
                var name = System.Text.Encoding.UTF8.GetString(key);
                if (id.Value is < 0 or > 255)
                    throw new ExtensionException($"extension handshake: m.{name} = {id.Value}, expected a one-byte id 0..255");
                messages[name] = (byte)id.Value;
            }
        }
        long? metadataSize = d["metadata_size"] is BInteger size ? size.Value : null;
        if (metadataSize < 0) throw new ExtensionException($"extension handshake: metadata_size = {metadataSize}, expected a byte count");
        return new ExtensionHandshake
        {
            Messages = messages,
            Client = d["v"] is BString v ? UntrustedText.Clean(v.Text, 64) : null, // shown in peer lists: escaped and cut
            ListenPort = d["p"] is BInteger { Value: > 0 and <= 65535 } p ? (int)p.Value : null,
            MetadataSize = metadataSize,
            RequestQueue = d["reqq"] is BInteger { Value: > 0 and <= int.MaxValue } q ? (int)q.Value : null,
            YourIp = d["yourip"] is BString { Bytes.Length: 4 or 16 } ip ? new IPAddress(ip.Bytes.Span) : null,
            UploadOnly = d["upload_only"] is BInteger only ? only.Value != 0 : null,
        };
    }

    /// <summary>The handshake as a trace shows it.</summary>
    public override string ToString() =>
        $"extension handshake m={{{string.Join(", ", Messages.Select(p => $"{p.Key}: {p.Value}"))}}}" +
        (MetadataSize is { } s ? $" metadata_size={s}" : "") + (ListenPort is { } port ? $" p={port}" : "") +
        (RequestQueue is { } q ? $" reqq={q}" : "") + (UploadOnly is { } u ? $" upload_only={(u ? 1 : 0)}" : "") + (Client is { } c ? $" v=\"{c}\"" : "") +
        (YourIp is { } ip ? $" yourip={(ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip)}" : "");
}
